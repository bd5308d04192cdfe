/**
 * Two daemons on one Asterisk, each with its own application (lcr-a, lcr-b) and database, and a
 * failover dialplan (Stasis(lcr-a), then Stasis(lcr-b)): a daemon starting leaves the other's
 * calls, ringing legs and bridges alone; when one is down, or turns new callers away while it
 * stops, the other takes them.
 */
import * as fs from 'node:fs';
import Database from 'better-sqlite3';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfigText } from '../../src/config/load';
import { Daemon } from '../../src/daemon';
import { AsteriskSimulator } from '../../src/simulator';
import type { CallRow } from '../../src/store/calls';
import { captureLogger, until } from '../helpers/harness';
import { accepts, leaveMessage, neverAnswers } from '../helpers/people';
import { drainConfig } from '../helpers/shutdown';

/** The stop tests' configuration (direct Ops on 5550200 ringing Alice, Net on 5550300 ringing Bob, voicemail on 5550100), as daemon `app`. */
const yamlFor = (
  simUrl: string,
  app: string,
  newCalls: 'prompt' | 'dialplan',
  peers: readonly string[],
): string =>
  drainConfig(`{ new_calls: ${newCalls} }`).replace(
    'url: http://127.0.0.1:1, username: lcr,',
    `url: '${simUrl}', username: lcr, app: ${app}, peers: [${peers.join(', ')}],`,
  );

interface Running {
  daemon: Daemon;
  dir: string;
  logs: string[];
}

let sim: AsteriskSimulator;
const running: Running[] = [];

async function startDaemon(
  app: string,
  newCalls: 'prompt' | 'dialplan' = 'prompt',
  peers: readonly string[] = [],
): Promise<Running> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `lcr-${app}-`));
  const yaml = yamlFor(sim.url, app, newCalls, peers);
  const file = path.join(dir, 'routes.yaml');
  fs.writeFileSync(file, yaml);
  const logs: string[] = [];
  const daemon = new Daemon({
    config: loadConfigText(yaml, 'routes.yaml', file).config,
    logger: captureLogger(logs),
    retry: { minMs: 50, maxMs: 200 },
    pagingPollMs: 200,
    peerCheckMs: 100,
    httpListen: '127.0.0.1:0',
  });
  await daemon.start();
  const started = { daemon, dir, logs };
  running.push(started);
  // Connected, and its first reconciliation under way (it starts by asking for its application).
  await until(
    () => sim.requests.some((r) => r.method === 'GET' && r.path === `/ari/applications/${app}`) || undefined,
    10_000,
    `${app} to reconcile`,
  );
  await new Promise((resolve) => setTimeout(resolve, 300));
  return started;
}

const rowOf = (daemon: Daemon, channelId: string): CallRow | undefined =>
  daemon.db.prepare('SELECT * FROM calls WHERE channel_id = ?').get(channelId) as CallRow | undefined;

beforeEach(async () => {
  sim = await AsteriskSimulator.start({ timeScale: 1 });
});

afterEach(async () => {
  for (const { daemon, dir } of running.splice(0)) {
    await daemon.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  await sim.stop();
});

test("a daemon starting beside another leaves the other's connected call, ringing leg and bridge alone", async () => {
  const a = await startDaemon('lcr-a');
  sim.phone('PJSIP/alice', accepts(300));
  sim.phone('PJSIP/bob', neverAnswers);
  const talking = sim.call({
    to: '5550200',
    from: '+15551230001',
    app: 'lcr-a',
    steps: [{ waitFor: 'bridged' }, { wait: 5000 }, { hangup: true }],
  });
  const ringing = sim.call({
    to: '5550300',
    from: '+15551230002',
    app: 'lcr-a',
    steps: [{ wait: 6000 }, { hangup: true }],
  });
  await until(
    () => rowOf(a.daemon, talking.channelId)?.connected_at ?? undefined,
    10_000,
    'the call to be connected',
  );
  await until(
    () =>
      sim.requests.some((r) => r.path === '/ari/channels' && r.query?.['endpoint'] === 'PJSIP/bob') ||
      undefined,
  );
  const before = sim.requests.length;

  const b = await startDaemon('lcr-b');
  await new Promise((resolve) => setTimeout(resolve, 500));
  // lcr-b sent no hang-up and no bridge destruction: nothing of lcr-a's is its to judge.
  const fromB = sim.requests.slice(before).filter((r) => r.method === 'DELETE');
  expect(fromB).toEqual([]);

  const connected = await until(() => {
    const row = rowOf(a.daemon, talking.channelId);
    return row?.ended_at ? row : undefined;
  }, 10_000);
  expect(connected.outcome).toBe('connected');
  expect((await a.daemon.calls.legsOfCall(connected.id)).map((l) => l.result)).toEqual(['accepted']);
  const rang = await until(() => {
    const row = rowOf(a.daemon, ringing.channelId);
    return row?.ended_at ? row : undefined;
  }, 10_000);
  expect(rang.outcome).toBe('abandoned');
  // Bob's phone rang until the caller gave up: lcr-b did not hang it up when it started.
  const bobLeg = (await a.daemon.calls.legsOfCall(rang.id))[0]!;
  expect(bobLeg.ended_at! - bobLeg.started_at).toBeGreaterThan(2000);
  expect(await b.daemon.calls.listCalls(10)).toEqual([]);
  await until(
    () => (sim.leftovers().channels.length === 0 && sim.leftovers().bridges.length === 0) || undefined,
    5000,
  );
}, 30_000);

test('with lcr-a down, the failover dialplan hands the caller to lcr-b', async () => {
  const b = await startDaemon('lcr-b');
  const call = sim.call({
    to: '5550100',
    from: '+15551230003',
    apps: ['lcr-a', 'lcr-b'],
    steps: leaveMessage(),
  });
  await call.ended;
  const row = await until(() => {
    const r = rowOf(b.daemon, call.channelId);
    return r?.ended_at ? r : undefined;
  }, 10_000);
  expect(row.outcome).toBe('voicemail');
  expect(call.transcript.map((t) => t.detail)).toContain(
    'Stasis(lcr-a) failed: app not registered, STASISSTATUS=FAILED; the dialplan tries the next',
  );
}, 30_000);

test('a daemon stopping with new_calls: dialplan hands new callers to the next daemon of the dialplan', async () => {
  const a = await startDaemon('lcr-a', 'dialplan');
  const b = await startDaemon('lcr-b');
  sim.phone('PJSIP/alice', accepts(200));
  // A call in progress keeps lcr-a draining for a while.
  const talking = sim.call({
    to: '5550200',
    from: '+15551230004',
    apps: ['lcr-a', 'lcr-b'],
    steps: [{ waitFor: 'bridged' }, { wait: 2500 }, { hangup: true }],
  });
  await until(
    () => rowOf(a.daemon, talking.channelId)?.connected_at ?? undefined,
    10_000,
    'the call to be connected',
  );
  const stopping = a.daemon.stop(10_000);
  await new Promise((resolve) => setTimeout(resolve, 100));
  const late = sim.call({
    to: '5550100',
    from: '+15551230005',
    apps: ['lcr-a', 'lcr-b'],
    steps: leaveMessage(),
  });
  const served = await until(() => {
    const r = rowOf(b.daemon, late.channelId);
    return r?.ended_at ? r : undefined;
  }, 15_000);
  expect(served.outcome).toBe('voicemail');
  await stopping;
  const db = new Database(path.join(a.dir, 'data', 'lcr.db'), { readonly: true });
  try {
    expect(
      db.prepare('SELECT outcome, outcome_detail FROM calls WHERE channel_id = ?').get(late.channelId),
    ).toEqual({
      outcome: 'refused-stopping',
      outcome_detail: 'handed back to the dialplan: lcr was stopping',
    });
  } finally {
    db.close();
  }
}, 30_000);

/** until() for a probe that has to ask over HTTP. */
async function eventually(probe: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('/healthz and /metrics say whether the peers are connected', async () => {
  const a = await startDaemon('lcr-a', 'prompt', ['lcr-b']);
  const health = async (): Promise<{ peers: Record<string, { registered: boolean | null }> }> =>
    (await fetch(`${a.daemon.httpUrl}/healthz`)).json() as Promise<{
      peers: Record<string, { registered: boolean | null }>;
    }>;
  const metrics = async (): Promise<string> => (await fetch(`${a.daemon.httpUrl}/metrics`)).text();
  await eventually(async () => (await health()).peers['lcr-b']?.registered === false);
  expect(await metrics()).toMatch(/^lcr_peer_registered\{app="lcr-b"\} 0$/m);
  const b = await startDaemon('lcr-b', 'prompt', ['lcr-a']);
  await eventually(async () => (await health()).peers['lcr-b']?.registered === true);
  expect(await metrics()).toMatch(/^lcr_peer_registered\{app="lcr-b"\} 1$/m);
  await b.daemon.stop();
  await eventually(async () => (await health()).peers['lcr-b']?.registered === false);
}, 30_000);
