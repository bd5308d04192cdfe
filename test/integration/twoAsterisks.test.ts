/**
 * One daemon connected to two Asterisks (`asterisk:` as a list): calls arrive on both, and every
 * call is served through the Asterisk it came in on (its responders rung there, its message
 * recorded and copied from there); one Asterisk down is named in /healthz and /metrics while the
 * other goes on; a restart takes back each Asterisk's calls from that Asterisk alone.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Daemon } from '../../src/daemon';
import { loadConfigText } from '../../src/config/load';
import { AsteriskSimulator } from '../../src/simulator';
import type { CallRow, LegRow, VoicemailRow } from '../../src/store/calls';
import type { PageRow } from '../../src/store/pages';
import { captureLogger, until } from '../helpers/harness';
import { accepts, messageFor, pickOption } from '../helpers/people';
import { tempDir } from '../helpers/tmp';

const yaml = (east: string, west: string): string => `
asterisk:
  - { name: east, url: ${east}, username: lcr, password: lcr-secret, request_timeout: 2s }
  - { name: west, url: ${west}, username: lcr, password: lcr-secret, request_timeout: 2s }
settings: { storage_dir: ./data, http_listen: 127.0.0.1:0 }
prompts: { engine: none }
responders:
  - { id: alice, name: Alice, phones: ['PJSIP/alice'] }
  - { id: bob, name: Bob, phones: ['PJSIP/bob'] }
escalation_policies:
  - id: ops-policy
    levels:
      - { targets: [{ responder: alice }], ring_timeout: 4s, escalate_after: 5m }
      - { targets: [{ responder: bob }], ring_timeout: 4s }
teams:
  - { id: ops, name: Operations, escalation_policy: ops-policy }
routes:
  - id: direct
    name: Ops hotline
    numbers: ['5550200']
    routing: direct
    options: [{ key: 1, team: ops, label: Operations }]
    direct: { confirm_timeout: 2s, on_no_answer: voicemail }
    voicemail: { max_silence: 2s }
  - id: messages
    name: Ops messages
    numbers: ['5550100']
    routing: voicemail
    options: [{ key: 1, team: ops, label: Operations }]
    voicemail: { max_duration: 30s, max_silence: 3s, min_duration: 2s }
`;

interface Setup {
  east: AsteriskSimulator;
  west: AsteriskSimulator;
  daemon: Daemon;
  logs: string[];
  file: string;
}

const dir = tempDir();
let setup: Setup | undefined;

async function startDaemon(file: string, logs: string[]): Promise<Daemon> {
  const { config } = loadConfigText(fs.readFileSync(file, 'utf8'), 'routes.yaml', file);
  const daemon = new Daemon({
    config,
    logger: captureLogger(logs),
    retry: { minMs: 50, maxMs: 200 },
    voicemailRetry: { baseMs: 200, maxMs: 1000 },
    pagingPollMs: 200,
  });
  await daemon.start();
  return daemon;
}

async function start(): Promise<Setup> {
  const east = await AsteriskSimulator.start({ timeScale: 0.1 });
  const west = await AsteriskSimulator.start({ timeScale: 0.1 });
  const file = path.join(fs.mkdtempSync(path.join(dir, 'two-')), 'routes.yaml');
  fs.writeFileSync(file, yaml(east.url, west.url));
  const logs: string[] = [];
  const daemon = await startDaemon(file, logs);
  await until(() => east.connectedWebSockets > 0 && west.connectedWebSockets > 0, 10_000, 'both connections');
  setup = { east, west, daemon, logs, file };
  return setup;
}

afterEach(async () => {
  if (setup === undefined) return;
  const { east, west, daemon } = setup;
  setup = undefined;
  try {
    await daemon.stop();
    for (const sim of [east, west]) {
      expect(sim.leftovers()).toEqual({ channels: [], bridges: [] });
      expect(sim.violations).toEqual([]);
    }
  } finally {
    await Promise.all([east.stop(), west.stop()]);
  }
});

const row = (daemon: Daemon, channelId: string): CallRow | undefined =>
  daemon.db.prepare('SELECT * FROM calls WHERE channel_id = ?').get(channelId) as CallRow | undefined;
const finished = (daemon: Daemon, channelId: string): Promise<CallRow> =>
  until(
    () => {
      const call = row(daemon, channelId);
      return call?.ended_at === null ? undefined : call;
    },
    30_000,
    `the call on ${channelId} to end`,
  );
const legsOf = (daemon: Daemon, callId: string): LegRow[] =>
  daemon.db.prepare('SELECT * FROM call_legs WHERE call_id = ? ORDER BY started_at').all(callId) as LegRow[];

test('calls on both Asterisks at once: each is connected to a responder rung through its own Asterisk', async () => {
  const { east, west, daemon } = await start();
  for (const sim of [east, west])
    sim.phone('PJSIP/alice', accepts(500, 200, [{ wait: 3000 }, { hangup: true }]));
  // The same caller id and the same number on both: only the Asterisk tells the calls apart.
  const onEast = east.call({ to: '5550200', from: '+15551230001', steps: pickOption('1') });
  const onWest = west.call({ to: '5550200', from: '+15551230001', steps: pickOption('1') });
  const [eastRow, westRow] = await Promise.all([
    finished(daemon, onEast.channelId),
    finished(daemon, onWest.channelId),
  ]);
  for (const [call, name] of [
    [eastRow, 'east'],
    [westRow, 'west'],
  ] as const)
    expect(call).toMatchObject({ asterisk: name, outcome: 'connected', connected_responder_id: 'alice' });
  // Each Asterisk rang Alice once, for its own caller: the leg on record is the channel it holds.
  for (const [sim, call] of [
    [east, eastRow],
    [west, westRow],
  ] as const) {
    const legs = legsOf(daemon, call.id);
    expect(legs.map((l) => [l.responder_id, l.result])).toEqual([['alice', 'accepted']]);
    expect(sim.legs().map((l) => [l.channelId, l.dialstring])).toEqual([[legs[0]!.channel_id, 'alice']]);
    expect(sim.transcript(call.channel_id).some((entry) => entry.kind === 'bridged')).toBe(true);
  }
});

test('a message left on the second Asterisk is recorded and copied from it, and paged', async () => {
  const { east, west, daemon } = await start();
  const call = west.call({ to: '5550100', from: '+15551230002', steps: messageFor('1', 3000) });
  const ended = await finished(daemon, call.channelId);
  expect(ended).toMatchObject({ asterisk: 'west', outcome: 'voicemail', team_id: 'ops' });
  const voicemail = await until(
    () => {
      const vm = daemon.db.prepare('SELECT * FROM voicemails WHERE call_id = ?').get(ended.id) as
        VoicemailRow | undefined;
      return vm?.file_path === null ? undefined : vm;
    },
    10_000,
    'the copy',
  );
  expect(voicemail.fetch_error).toBeNull();
  const audio = fs.readFileSync(
    path.join(daemon.currentConfig.settings.storageDir, 'voicemail', voicemail.file_path!),
  );
  expect(audio.subarray(0, 4).toString('latin1')).toBe('RIFF');
  const page = daemon.db.prepare('SELECT * FROM pages WHERE voicemail_id = ?').get(voicemail.id) as PageRow;
  expect(page).toMatchObject({ team_id: 'ops', status: 'triggered', escalation_level: 0 });
  expect((await daemon.pages.assignments(page.id)).map((a) => a.responder_id)).toEqual(['alice']);
  // East never saw the call: no request named its recording there.
  expect(east.requests.some((r) => r.path.includes(voicemail.recording_name))).toBe(false);
  expect(west.requests.some((r) => r.method === 'GET' && r.path.includes(voicemail.recording_name))).toBe(
    true,
  );
});

test('one Asterisk down: /healthz and /metrics name it, and callers on the other are served', async () => {
  const { east, west, daemon } = await start();
  west.refuseWebSockets(60_000);
  west.dropWebSockets();
  const health = await until(
    async () => {
      const answer = await fetch(`${daemon.httpUrl}/healthz`);
      const body = (await answer.json()) as {
        status: string;
        asterisks: Record<string, { connected: boolean }>;
      };
      return body.asterisks.west.connected ? undefined : { status: answer.status, body };
    },
    10_000,
    'west to be seen down',
  );
  expect(health.status).toBe(503);
  expect(health.body.asterisks).toMatchObject({ east: { connected: true }, west: { connected: false } });
  const metrics = await (await fetch(`${daemon.httpUrl}/metrics`)).text();
  expect(metrics).toContain('lcr_asterisk_connected{asterisk="east"} 1');
  expect(metrics).toContain('lcr_asterisk_connected{asterisk="west"} 0');
  expect(metrics).toContain('lcr_ari_connected 0');
  east.phone('PJSIP/alice', accepts(500, 200, [{ wait: 1000 }, { hangup: true }]));
  const call = east.call({ to: '5550200', from: '+15551230003', steps: pickOption('1') });
  expect(await finished(daemon, call.channelId)).toMatchObject({ asterisk: 'east', outcome: 'connected' });
});

test("a restart takes back each Asterisk's calls from that Asterisk: a connected call on the second stays up", async () => {
  const first = await start();
  const { east, west, file, logs } = first;
  west.phone('PJSIP/alice', accepts(500, 200));
  const call = west.call({ to: '5550200', from: '+15551230004', steps: pickOption('1') });
  await until(
    () => row(first.daemon, call.channelId)?.connected_at ?? undefined,
    20_000,
    'the call to connect',
  );
  // A stop with no drain time leaves the connected call in Asterisk for the next start to adopt.
  await first.daemon.stop();
  const daemon = await startDaemon(file, logs);
  setup = { ...first, daemon };
  await until(
    () => daemon.router.activeCalls + daemon.links[1]!.router.activeCalls > 0 || undefined,
    10_000,
    'the adoption',
  );
  // East's reconciliation ran too, and found nothing of its own to close.
  await until(
    () => daemon.links.every((link) => link.reconciler.runs > 0) || undefined,
    10_000,
    'both reconciliations',
  );
  expect(row(daemon, call.channelId)).toMatchObject({ asterisk: 'west', ended_at: null });
  await west.act(call.channelId, [{ hangup: true }]);
  const ended = await finished(daemon, call.channelId);
  expect(ended).toMatchObject({ outcome: 'connected', connected_responder_id: 'alice' });
  expect(ended.outcome_detail ?? '').not.toContain('stopped');
  expect(east.requests.some((r) => r.path.includes(call.channelId))).toBe(false);
});
