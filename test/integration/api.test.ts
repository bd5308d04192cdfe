/** The HTTP API with and without its token, health, metrics, and voicemail downloads. */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { TEST_CONFIG, type Harness, startHarness, until, useHarness } from '../helpers/harness';
import { leaveMessage } from '../helpers/people';

const TOKEN = 'api-token-for-tests-0123456789';
const API_CONFIG = TEST_CONFIG.replace(
  '  http_listen: 127.0.0.1:0',
  '  http_listen: 127.0.0.1:0\n  api_token_env: TEST_API_TOKEN',
);
process.env['TEST_API_TOKEN'] = TOKEN;

let h: Harness;
useHarness({ yaml: API_CONFIG }, (started) => (h = started));

async function api(
  pathname: string,
  init: RequestInit & { token?: string | null } = {},
  // JSON bodies are checked field by field with expect(); typing each response shape adds nothing here.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
): Promise<{ status: number; json: any; text: string; headers: Headers }> {
  const token = init.token === undefined ? TOKEN : init.token;
  const response = await fetch(`${h.daemon.httpUrl}${pathname}`, {
    ...init,
    headers: {
      ...(token === null ? {} : { Authorization: `Bearer ${token}` }),
      ...(init.body ? { 'Content-Type': 'application/json' } : {}),
    },
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, json, text, headers: response.headers };
}

async function voicemailPage(): Promise<{ pageId: number; voicemailId: string; callId: string }> {
  const call = h.sim.call({
    to: '+15550150',
    from: '+15551230009',
    steps: leaveMessage(),
  });
  const row = await h.finishedCall(call.channelId);
  const page = h.pages()[0]!;
  return { pageId: page.id, voicemailId: page.voicemail_id!, callId: row.id };
}

test('without the right token: 401 and nothing else, for every API path', async () => {
  const { pageId, voicemailId } = await voicemailPage();
  for (const [pathname, method] of [
    ['/api/pages', 'GET'],
    [`/api/pages/${pageId}`, 'GET'],
    [`/api/pages/${pageId}/acknowledge`, 'POST'],
    [`/api/voicemails/${voicemailId}/audio`, 'GET'],
    ['/api/calls', 'GET'],
  ] as const) {
    for (const token of [null, 'wrong-token', `${TOKEN}x`]) {
      const result = await api(pathname, { method, token });
      expect(result.status).toBe(401);
      expect(result.json).toEqual({ error: 'unauthorized' });
      expect(result.headers.get('www-authenticate')).toBe('Bearer realm="lcr"');
    }
  }
  expect((await h.daemon.pages.get(pageId))!.status).toBe('triggered');
});

test('pages: list, show with timeline and notifications, acknowledge, resolve; refusals change nothing', async () => {
  const { pageId } = await voicemailPage();
  const list = await api('/api/pages?status=triggered');
  expect(list.status).toBe(200);
  expect(list.json.pages.map((p: { id: number }) => p.id)).toEqual([pageId]);
  const shown = await api(`/api/pages/${pageId}`);
  expect(shown.json.page).toMatchObject({ id: pageId, team_id: 'net-team', status: 'triggered' });
  expect(shown.json.timeline.map((e: { type: string }) => e.type)).toEqual(['triggered', 'assigned']);
  expect(shown.json.timeline[1].detail).toMatchObject({ level: 0, responders: ['carol'] });
  expect(shown.json.notifications[0]).toMatchObject({ channel: 'phone', responder_id: 'carol' });

  expect(
    (await api(`/api/pages/${pageId}/acknowledge`, { method: 'POST', body: '{"as":"nobody"}' })).status,
  ).toBe(400);
  expect((await api(`/api/pages/${pageId}/acknowledge`, { method: 'POST', body: 'not json' })).status).toBe(
    400,
  );
  const acked = await api(`/api/pages/${pageId}/acknowledge`, {
    method: 'POST',
    body: JSON.stringify({ as: 'alice', note: 'looking' }),
  });
  expect(acked.status).toBe(200);
  expect(acked.json.page).toMatchObject({ status: 'acknowledged', acknowledged_by: 'alice' });
  const timeline = (await api(`/api/pages/${pageId}`)).json.timeline;
  // alice is not on call for the network team: allowed, and recorded as such.
  expect(timeline.at(-1)).toMatchObject({
    type: 'acknowledged',
    actor: 'alice',
    via: 'http',
    detail: { note: 'looking', assigned: false, on_call: false },
  });
  expect((await api(`/api/pages/${pageId}/acknowledge`, { method: 'POST' })).status).toBe(409);
  expect(
    (await api(`/api/pages/${pageId}/resolve`, { method: 'POST', body: '{"as":"carol"}' })).json.page,
  ).toMatchObject({ status: 'resolved', resolved_by: 'carol' });
  const refused = await api(`/api/pages/${pageId}/acknowledge`, { method: 'POST', body: '{"as":"carol"}' });
  expect(refused.status).toBe(409);
  expect(refused.json.error).toBe('page is already resolved');
  expect((await api(`/api/pages/${pageId}`)).json.timeline).toHaveLength(timeline.length + 1);
  expect((await api('/api/pages/9999')).status).toBe(404);
  expect((await api('/api/pages/9999/resolve', { method: 'POST' })).status).toBe(404);
});

test('voicemail audio: exactly the stored file; unknown ids and path tricks get 404', async () => {
  const { voicemailId, callId } = await voicemailPage();
  const response = await fetch(`${h.daemon.httpUrl}/api/voicemails/${voicemailId}/audio`, {
    headers: { Authorization: `Bearer ${TOKEN}` },
  });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('audio/wav');
  const stored = fs.readFileSync(path.join(h.dir, 'data', 'voicemail', h.voicemails(callId)[0]!.file_path!));
  expect(Buffer.from(await response.arrayBuffer()).equals(stored)).toBe(true);
  for (const id of [
    'nope',
    '..%2F..%2Flcr.db',
    '..%2F..%2F..%2Fetc%2Fpasswd',
    `${voicemailId}%2F..%2F..%2Flcr.db`,
    '%00',
  ]) {
    expect((await api(`/api/voicemails/${id}/audio`)).status).toBe(404);
  }
  // The signed media path Asterisk uses cannot be used without a valid signature.
  expect((await api(`/media/voicemail/${voicemailId}.wav`, { token: null })).status).toBe(404);
  expect(
    (await api(`/media/voicemail/${voicemailId}.wav?e=99999999999999&s=AAAA`, { token: null })).status,
  ).toBe(404);
});

test('calls are listed and shown with their legs and voicemails', async () => {
  const { callId } = await voicemailPage();
  expect((await api('/api/calls')).json.calls.map((c: { id: string }) => c.id)).toEqual([callId]);
  const shown = await api(`/api/calls/${callId}`);
  expect(shown.json.call).toMatchObject({ id: callId, outcome: 'voicemail', route_id: 'vendors' });
  expect(shown.json.voicemails).toHaveLength(1);
  expect((await api('/api/calls/unknown')).status).toBe(404);
});

test('healthz reports ARI and the database; metrics are Prometheus text', async () => {
  await voicemailPage();
  const health = await api('/healthz', { token: null });
  expect(health.status).toBe(200);
  expect(health.json).toMatchObject({ status: 'ok', ari: { connected: true }, database: { writable: true } });
  const metrics = await fetch(`${h.daemon.httpUrl}/metrics`);
  expect(metrics.headers.get('content-type')).toContain('text/plain');
  const text = await metrics.text();
  expect(text).toContain('lcr_calls_total{route="vendors",outcome="voicemail"} 1');
  expect(text).toContain('lcr_pages{state="triggered"} 1');
  expect(text).toContain('lcr_active_calls 0');
  expect(text).toContain('lcr_ari_connected 1');
  expect(text).toContain('# TYPE lcr_time_to_responder_connected_seconds histogram');
  expect(text).toMatch(/^lcr_event_loop_delay_seconds\{stat="p99"\} \S+$/m);
  // Asterisk goes away: the daemon says it is not healthy any more.
  h.sim.dropWebSockets(60_000);
  let status = 200;
  for (let i = 0; i < 100 && status === 200; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    status = (await api('/healthz', { token: null })).status;
  }
  expect(status).toBe(503);
  expect((await api('/healthz', { token: null })).json).toMatchObject({
    status: 'failing',
    ari: { connected: false },
  });
});

test('without a configured token the API is off; health and metrics stay on', async () => {
  const other = await startHarness({});
  try {
    const pages = await fetch(`${other.daemon.httpUrl}/api/pages`, {
      headers: { Authorization: 'Bearer anything' },
    });
    expect(pages.status).toBe(503);
    expect(await pages.json()).toEqual({
      error: 'the API is disabled: set settings.api_token_env (or api_token_file)',
    });
    expect((await fetch(`${other.daemon.httpUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${other.daemon.httpUrl}/metrics`)).status).toBe(200);
    expect((await fetch(`${other.daemon.httpUrl}/nothing-here`)).status).toBe(404);
  } finally {
    await other.stop();
  }
});

describe('hostile URLs', () => {
  test.each(['/ack/%E0%A4%A', '/ack/%c0%ae%c0%ae/%c0%ae', '/ack/%', '/api/pages/%E0%A4%A'])(
    '%s: refused as not found, nothing logged as an error',
    async (pathname) => {
      const response = await fetch(`${h.daemon.httpUrl}${pathname}`, {
        headers: { Authorization: `Bearer ${TOKEN}` },
      });
      expect([400, 404]).toContain(response.status);
      await response.text();
      expect(h.logs.filter((line) => line.includes('"level":"error"'))).toEqual([]);
    },
  );
});

describe('slow clients', () => {
  let slow: Harness;
  afterEach(async () => slow.stop());

  test('clients that send their headers slowly are cut off, and past the connection limit refused, while health still answers', async () => {
    slow = await startHarness({
      yaml: API_CONFIG,
      daemon: {
        listenerLimits: {
          headersTimeoutMs: 500,
          requestTimeoutMs: 1000,
          keepAliveTimeoutMs: 500,
          maxConnections: 20,
        },
      },
    });
    const { port } = new URL(slow.daemon.httpUrl!);
    const closed: boolean[] = [];
    const sockets = Array.from({ length: 30 }, (_, i) => {
      const socket = net.connect(Number(port), '127.0.0.1');
      closed[i] = false;
      socket.on('close', () => (closed[i] = true));
      socket.on('error', () => undefined);
      // Read what the listener answers (408), so its closing the connection is seen.
      socket.resume();
      // A request head that never ends.
      socket.write('GET /healthz HTTP/1.1\r\nHost: lcr\r\n');
      return socket;
    });
    try {
      await until(() => closed.every(Boolean) || undefined, 10_000, 'every slow client to be cut off');
      const response = await fetch(`${slow.daemon.httpUrl}/healthz`);
      expect(response.status).toBe(200);
    } finally {
      sockets.forEach((socket) => socket.destroy());
    }
  });
});
