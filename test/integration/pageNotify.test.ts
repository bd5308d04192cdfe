/**
 * Email and webhook notifications against real peers on loopback (smtp-server, an HTTP
 * receiver), and the acknowledge links they carry.
 */
import { createHmac } from 'node:crypto';
import { Daemon, type DaemonOptions } from '../../src/daemon';
import { loadConfigFile } from '../../src/config/load';
import { silentLogger } from '../../src/log/logger';
import { TEST_CONFIG, expectCleanAsterisk, startHarness, type Harness, until } from '../helpers/harness';
import {
  startHttpPeer,
  startSilentPeer,
  startSmtpPeer,
  type HttpPeer,
  type SmtpPeer,
} from '../helpers/peers';
import * as path from 'node:path';
import { leaveMessage } from '../helpers/people';
import type { NotificationRow } from '../../src/store/notifications';

const WEBHOOK_SECRET = 'hook-secret';

function configWith(notifications: string): string {
  return (
    TEST_CONFIG.replace(
      "  - { id: carol, name: Carol, phones: ['PJSIP/carol'] }",
      "  - { id: carol, name: Carol, phones: ['PJSIP/carol'], email: carol@example.com, notify: [email] }",
    )
      .replace('escalation_policies:', `notifications:\n${notifications}\nescalation_policies:`)
      // Each vendor message a page of its own: these tests count one notification per page.
      .replace('page_on_abandon: true }', 'page_on_abandon: true }\n    dedupe: { scope: off }')
  );
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function harness(notifications: string, daemon: Partial<DaemonOptions> = {}): Promise<Harness> {
  process.env['TEST_SMTP_PASSWORD'] = 'mail-secret';
  const h = await startHarness({ yaml: configWith(notifications), daemon });
  cleanups.push(async () => {
    try {
      await expectCleanAsterisk(h);
    } finally {
      await h.stop();
    }
  });
  return h;
}

/** A vendor leaves a message on the voicemail line: a page for the network team (carol). */
async function vendorVoicemail(h: Harness): Promise<number> {
  const call = h.sim.call({
    to: '+15550150',
    from: '+15551230009',
    steps: leaveMessage(),
  });
  await h.finishedCall(call.channelId);
  return h.pages()[0]!.id;
}

function email(smtp: { port: number }, extra = ''): string {
  return `  email: { host: 127.0.0.1, port: ${smtp.port}, tls: none, username: lcr, password_env: TEST_SMTP_PASSWORD, from: 'Acme pages <pages@example.com>', timeout: 1s, max_attempts: 3${extra} }`;
}

async function smtpPeer(): Promise<SmtpPeer> {
  const peer = await startSmtpPeer();
  cleanups.push(() => peer.stop());
  return peer;
}

async function httpPeer(): Promise<HttpPeer> {
  const peer = await startHttpPeer();
  cleanups.push(() => peer.stop());
  return peer;
}

/** A page's notifications read straight from the daemon's database, as an operator's sqlite3 would. */
const notificationRows = (daemon: Daemon, pageId: number): NotificationRow[] =>
  daemon.db
    .prepare('SELECT * FROM notifications WHERE page_id = ? ORDER BY id')
    .all(pageId) as NotificationRow[];

const settled = (h: Harness, pageId: number, channel: string) =>
  until(
    () => {
      const rows = notificationRows(h.daemon, pageId).filter((n) => n.channel === channel);
      return rows.length > 0 && rows.every((n) => n.status === 'sent' || n.status === 'failed')
        ? rows
        : undefined;
    },
    15_000,
    `${channel} notifications to settle`,
  );

describe('email', () => {
  test('the responder gets the page by email, with the voicemail attached and a link that acknowledges once', async () => {
    const smtp = await smtpPeer();
    const h = await harness(email(smtp));
    const pageId = await vendorVoicemail(h);
    const mail = await until(() => smtp.mails[0], 10_000, 'the email');
    expect(mail.to).toEqual(['carol@example.com']);
    expect(mail.from).toBe('pages@example.com');
    const raw = mail.raw.replace(/=\r?\n/g, '');
    expect(raw).toMatch(/Subject: \[lcr\] Page #1 for Network:/);
    expect(raw).toContain('Caller:  +15551230009');
    expect(raw).toContain('Route:   Vendor line');
    expect(raw).toMatch(/Content-Type: audio\/wav; name=voicemail-page-1\.wav/);
    const link = /Acknowledge: (http:\/\/127\.0\.0\.1:\d+\/ack\/[A-Za-z0-9_.-]+)/.exec(raw)![1]!;
    expect(link.startsWith(`${h.daemon.httpUrl}/ack/`)).toBe(true);

    // A mail scanner opening the link changes nothing; the button does, once.
    const shown = await fetch(link);
    expect(shown.status).toBe(200);
    expect(await shown.text()).toContain(
      '<form method="post"><button type="submit">Acknowledge as Carol</button>',
    );
    expect((await h.daemon.pages.get(pageId))!.status).toBe('triggered');
    const acked = await fetch(link, { method: 'POST' });
    expect(acked.status).toBe(200);
    expect(await acked.text()).toContain('Acknowledged.');
    expect(await h.daemon.pages.get(pageId)).toMatchObject({
      status: 'acknowledged',
      acknowledged_by: 'carol',
    });
    expect((await h.daemon.pages.events(pageId)).at(-1)).toMatchObject({ type: 'acknowledged', via: 'link' });
    const again = await fetch(link, { method: 'POST' });
    expect(again.status).toBe(410);
    expect(await again.text()).toContain('already used');
    const tampered = await fetch(
      link.replace(/.(.{5})$/, (_, tail: string) => (link.at(-6) === 'A' ? 'B' : 'A') + tail),
      { method: 'POST' },
    );
    expect(tampered.status).toBe(404);
    const [row] = await settled(h, pageId, 'email');
    expect(await h.daemon.notifications.attempts(row!.id)).toEqual([
      expect.objectContaining({ ok: 1, detail: expect.stringContaining('sent to carol@example.com: 250') }),
    ]);
  });

  test('a server that answers 451 is tried again; one that answers 550 is not', async () => {
    const smtp = await smtpPeer();
    smtp.mode = 'temporary-failure';
    const h = await harness(email(smtp));
    const pageId = await vendorVoicemail(h);
    await until(
      () =>
        notificationRows(h.daemon, pageId).find(
          (n) => n.channel === 'email' && n.attempts === 1 && n.status === 'pending',
        ),
      10_000,
      'a first failed attempt',
    );
    smtp.mode = 'accept';
    const [row] = await settled(h, pageId, 'email');
    expect(row).toMatchObject({ status: 'sent', attempts: 2 });
    const attempts = await h.daemon.notifications.attempts(row!.id);
    expect(attempts.map((a) => a.ok)).toEqual([0, 1]);
    expect(attempts[0]!.detail).toContain('451');
    expect(smtp.mails).toHaveLength(1);

    smtp.mode = 'permanent-failure';
    const second = await vendorVoicemail(h);
    const [failed] = await settled(h, second, 'email');
    expect(failed).toMatchObject({ status: 'failed', attempts: 1 });
    expect(failed!.result).toContain('550');
  });

  test('a server that never answers times out, every attempt is recorded, then the notification fails', async () => {
    const silent = await startSilentPeer();
    cleanups.push(() => silent.stop());
    const h = await harness(email(silent));
    const pageId = await vendorVoicemail(h);
    const [row] = await settled(h, pageId, 'email');
    expect(row).toMatchObject({ status: 'failed', attempts: 3 });
    const attempts = await h.daemon.notifications.attempts(row!.id);
    expect(attempts).toHaveLength(3);
    for (const attempt of attempts) {
      expect(attempt.ok).toBe(0);
      expect(attempt.detail).toMatch(/greeting never received|timeout/i);
      expect(attempt.ended_at - attempt.started_at).toBeGreaterThanOrEqual(900);
    }
  });

  test('wrong SMTP credentials fail clearly, without retrying forever', async () => {
    const smtp = await smtpPeer();
    process.env['TEST_SMTP_PASSWORD'] = 'wrong';
    const h = await startHarness({ yaml: configWith(email(smtp)) });
    cleanups.push(() => h.stop());
    const pageId = await vendorVoicemail(h);
    const [row] = await settled(h, pageId, 'email');
    expect(row!.status).toBe('failed');
    expect(row!.result).toMatch(/535|Invalid username or password/);
  });
});

describe('webhooks', () => {
  const hooks = (peer: HttpPeer, extra = ''): string => `  webhooks:
    - { id: generic, url: '${peer.url}/generic', secret: ${WEBHOOK_SECRET}, timeout: 1s, max_attempts: 4${extra} }
    - { id: slack, url: '${peer.url}/slack', format: slack, teams: [net-team], events: [triggered] }
    - { id: teams, url: '${peer.url}/teams', format: teams, teams: [db-team] }`;

  test('every page event is POSTed, signed over the body; Slack gets its format, Teams only its team', async () => {
    const peer = await httpPeer();
    const h = await harness(hooks(peer));
    const pageId = await vendorVoicemail(h);
    await until(
      () => peer.requests.filter((r) => r.path === '/generic').length === 1 || undefined,
      10_000,
      'the trigger webhook',
    );
    await h.daemon.paging.acknowledge(pageId, { id: 'carol', via: 'http', responderId: 'carol' });
    await h.daemon.paging.resolve(pageId, { id: 'carol', via: 'http', responderId: 'carol' });
    await until(
      () => peer.requests.filter((r) => r.path === '/generic').length === 3 || undefined,
      10_000,
      'three webhooks',
    );
    const generic = peer.requests.filter((r) => r.path === '/generic');
    expect(generic.map((r) => r.headers['x-lcr-event'])).toEqual(['triggered', 'acknowledged', 'resolved']);
    for (const request of generic) {
      const expected = `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(request.body).digest('hex')}`;
      expect(request.headers['x-lcr-signature']).toBe(expected);
      expect(request.headers['content-type']).toBe('application/json');
    }
    const first = JSON.parse(generic[0]!.body) as { page: { ack_url?: string } };
    expect(first).toMatchObject({
      event: 'triggered',
      page: {
        id: pageId,
        team_id: 'net-team',
        team: 'Network',
        route: 'Vendor line',
        caller_number: '+15551230009',
      },
    });
    expect(first.page.ack_url).toMatch(/\/ack\//);
    expect(JSON.parse(generic[1]!.body)).toMatchObject({
      event: 'acknowledged',
      timeline_event: { type: 'acknowledged', actor: 'carol', via: 'http' },
    });
    const slack = peer.requests.filter((r) => r.path === '/slack');
    expect(slack).toHaveLength(1);
    const slackBody = JSON.parse(slack[0]!.body) as { text: string; blocks: Array<{ type: string }> };
    expect(slackBody.text).toMatch(/^Page #\d+ triggered: Voicemail for Network/);
    expect(slackBody.blocks.map((b) => b.type)).toEqual(['section', 'section', 'actions']);
    expect(peer.requests.filter((r) => r.path === '/teams')).toHaveLength(0);
  });

  test('the Teams format is an Adaptive Card message', async () => {
    const peer = await httpPeer();
    const h = await harness(hooks(peer));
    await h.daemon.paging.trigger({
      teamId: 'db-team',
      routeId: 'main',
      callId: null,
      voicemailId: null,
      callerNumber: null,
      summary: 'Database is down',
      at: Date.now(),
    });
    const request = await until(
      () => peer.requests.find((r) => r.path === '/teams'),
      10_000,
      'the Teams webhook',
    );
    const body = JSON.parse(request.body) as {
      type: string;
      attachments: Array<{ contentType: string; content: Record<string, unknown> }>;
    };
    expect(body.type).toBe('message');
    expect(body.attachments[0]!.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(body.attachments[0]!.content).toMatchObject({
      type: 'AdaptiveCard',
      actions: [{ type: 'Action.OpenUrl', title: 'Acknowledge' }],
    });
  });

  test('a receiver answering 500, or not at all, gets the event again until it takes it', async () => {
    const peer = await httpPeer();
    peer.scripts['/generic'] = [500, 'hang'];
    const h = await harness(hooks(peer));
    const pageId = await vendorVoicemail(h);
    const rows = await settled(h, pageId, 'webhook');
    const generic = rows.find((r) => r.webhook_id === 'generic')!;
    expect(generic).toMatchObject({ status: 'sent', attempts: 3 });
    const attempts = await h.daemon.notifications.attempts(generic.id);
    expect(attempts.map((a) => [a.ok, a.detail])).toEqual([
      [0, 'generic: HTTP 500'],
      [0, 'generic: no answer within 1s'],
      [1, 'generic: HTTP 200'],
    ]);
    // The deliveries carry the same event each time.
    const bodies = peer.requests.filter((r) => r.path === '/generic').map((r) => r.headers['x-lcr-delivery']);
    expect(new Set(bodies).size).toBe(1);
  });

  test('retries survive a restart of the daemon', async () => {
    const peer = await httpPeer();
    peer.scripts['/generic'] = [503];
    // The retry is due in 3 s: the daemon is stopped before it, and the new one sends it.
    const h = await harness(hooks(peer), { notificationRetry: { baseMs: 3000, maxMs: 3000 } });
    const pageId = await vendorVoicemail(h);
    await until(
      () => notificationRows(h.daemon, pageId).find((n) => n.webhook_id === 'generic' && n.attempts === 1),
      10_000,
      'a failed delivery',
    );
    await h.daemon.stop();
    const { config } = loadConfigFile(path.join(h.dir, 'routes.yaml'));
    const restarted = new Daemon({
      config,
      logger: silentLogger,
      ariUrl: h.sim.url,
      httpListen: '127.0.0.1:0',
      notificationRetry: { baseMs: 200, maxMs: 1000 },
      pagingPollMs: 200,
    });
    h.daemon = restarted;
    await restarted.start();
    await until(
      () =>
        notificationRows(restarted, pageId).find((n) => n.webhook_id === 'generic' && n.status === 'sent'),
      10_000,
      'the delivery after the restart',
    );
    expect(peer.requests.filter((r) => r.path === '/generic').map((r) => r.headers['x-lcr-event'])).toEqual([
      'triggered',
      'triggered',
    ]);
  });
});
