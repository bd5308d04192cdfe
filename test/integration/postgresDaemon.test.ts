/**
 * The daemon on PostgreSQL (settings.database: { url }): the same calls as on SQLite, every row
 * in the shared database; and two daemons (lcr-a, lcr-b) on one simulated Asterisk and one
 * PostgreSQL, where the engine's work runs on one of them at a time and passes to the other when
 * it stops. Against a real PostgreSQL (a throwaway cluster): skipped with a SKIPPED test where
 * PostgreSQL is not installed, failed under CI.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfigText } from '../../src/config/load';
import { Daemon } from '../../src/daemon';
import { createLogger, silentLogger } from '../../src/log/logger';
import { AsteriskSimulator } from '../../src/simulator';
import type { CallRow, LegRow, VoicemailRow } from '../../src/store/calls';
import type { PageRow } from '../../src/store/pages';
import { openPostgres } from '../../src/store/sql/postgres';
import type { SqlDatabase } from '../../src/store/sql/driver';
import { MODULES } from '../../src/paging/modules';
import { accepts } from '../helpers/people';
import { startCuttingProxy } from '../helpers/cuttingProxy';
import { describeWithPostgres } from '../helpers/postgres';

const yamlFor = (simUrl: string, databaseUrl: string, app: string, peers: string[]): string => `
asterisk: { url: ${simUrl}, username: lcr, password: lcr-secret, request_timeout: 2s, app: ${app}, peers: [${peers.join(', ')}] }
settings:
  storage_dir: ./data-${app}
  database: { url: '${databaseUrl}', lease: 1s }
  node_id: node-${app}
prompts: { engine: none }
responders:
  - { id: alice, name: Alice, phones: ['PJSIP/alice'] }
  - { id: bob, name: Bob, phones: ['PJSIP/bob'] }
escalation_policies:
  - id: p
    levels:
      - { targets: [{ responder: alice }], ring_timeout: 3s, escalate_after: 5m }
      - { targets: [{ responder: bob }], ring_timeout: 3s }
teams: [{ id: db-team, name: Database, escalation_policy: p }]
routes:
  - id: main
    name: Acme hotline
    numbers: ['+1 555 0100']
    routing: voicemail
    options: [{ key: 1, team: db-team, label: Database }]
    voicemail: { max_duration: 30s, max_silence: 3s, min_duration: 2s }
  - id: direct
    name: Ops hotline
    numbers: ['5550200']
    routing: direct
    options: [{ key: 1, team: db-team, label: Database }]
    direct: { confirm_timeout: 2s, on_no_answer: hangup, page_on_connect: true }
`;

interface Started {
  daemon: Daemon;
  stop(): Promise<void>;
}

async function startDaemon(
  sim: AsteriskSimulator,
  databaseUrl: string,
  app: string,
  peers: string[],
): Promise<Started> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lcr-pg-'));
  const file = path.join(dir, 'routes.yaml');
  const yaml = yamlFor(sim.url, databaseUrl, app, peers);
  fs.writeFileSync(file, yaml);
  const { config } = loadConfigText(yaml, 'routes.yaml', file);
  const daemon = await Daemon.open({
    config,
    logger: process.env['LCR_TEST_LOG'] ? createLogger({ level: 'debug', format: 'text' }) : silentLogger,
    retry: { minMs: 50, maxMs: 200 },
    pagingPollMs: 200,
    httpListen: '127.0.0.1:0',
  });
  await daemon.start();
  return {
    daemon,
    async stop() {
      await daemon.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const finishedCall = (sql: SqlDatabase, channelId: string): Promise<CallRow> =>
  eventually(`the call on ${channelId} to finish`, async () => {
    const row = await sql.get<CallRow>('SELECT * FROM calls WHERE channel_id = ?', [channelId]);
    return row?.ended_at === null ? undefined : row;
  });

describeWithPostgres('the daemon on PostgreSQL', (cluster) => {
  let sim: AsteriskSimulator;
  let check: SqlDatabase;
  let databaseUrl: string;
  const running: Started[] = [];

  beforeEach(async () => {
    sim = await AsteriskSimulator.start({ timeScale: 0.1 });
    databaseUrl = await cluster().createDatabase();
    check = await openPostgres({ url: databaseUrl, poolSize: 2 });
  });
  afterEach(async () => {
    for (const started of running.splice(0)) await started.stop();
    await check.close();
    await sim.stop();
  });

  test('a message and a connected call: the calls, legs, voicemail and pages are rows in PostgreSQL', async () => {
    const a = await startDaemon(sim, databaseUrl, 'lcr-a', []);
    running.push(a);
    await eventually('the daemon to connect', async () => (sim.connectedWebSockets > 0 ? true : undefined));

    const message = sim.call({
      app: 'lcr-a',
      to: '+15550100',
      from: '+15551230001',
      steps: [{ waitFor: 'recording' }, { speak: 4000 }, { wait: 300 }, { press: '#' }],
    });
    const row = await finishedCall(check, message.channelId);
    expect(row).toMatchObject({
      route_id: 'main',
      option_key: '1',
      team_id: 'db-team',
      outcome: 'voicemail',
    });
    const voicemails = await check.all<VoicemailRow>('SELECT * FROM voicemails WHERE call_id = ?', [row.id]);
    expect(voicemails).toEqual([
      expect.objectContaining({ ended_by: 'dtmf', duration_seconds: 4, too_short: 0 }),
    ]);
    const page = await eventually('the page', () =>
      check.get<PageRow>('SELECT * FROM pages WHERE call_id = ?', [row.id]),
    );
    expect(page).toMatchObject({ team_id: 'db-team', status: 'triggered', voicemail_id: voicemails[0]!.id });
    expect((await a.daemon.pages.assignments(page.id)).map((x) => x.responder_id)).toEqual(['alice']);

    sim.phone('PJSIP/alice', accepts(500, 300));
    const direct = sim.call({
      app: 'lcr-a',
      to: '5550200',
      from: '+15551230002',
      steps: [{ waitFor: 'bridged' }, { wait: 500 }, { hangup: true }],
    });
    const connected = await finishedCall(check, direct.channelId);
    expect(connected).toMatchObject({ outcome: 'connected', connected_responder_id: 'alice' });
    const legs = await check.all<LegRow>('SELECT * FROM call_legs WHERE call_id = ?', [connected.id]);
    expect(legs.map((l) => [l.responder_id, l.result])).toEqual([['alice', 'accepted']]);
    // Acknowledged by who took the call at once, resolved once the call has ended (resolve_on_hangup).
    const connectedPage = await eventually('the connected call’s page to be resolved', async () => {
      const page = await check.get<PageRow>('SELECT * FROM pages WHERE call_id = ?', [connected.id]);
      return page?.status === 'resolved' ? page : undefined;
    });
    // Acknowledged by who took the call, resolved when it ended (resolve_on_hangup).
    expect(connectedPage).toMatchObject({
      status: 'resolved',
      acknowledged_by: 'alice',
      resolved_by: 'alice',
    });

    // /healthz names the cluster: this daemon, alive, holding every engine lease.
    const health = (await (await fetch(`${a.daemon.httpUrl}/healthz`)).json()) as {
      status: string;
      database: { writable: boolean };
      cluster: { node: string; members: unknown[]; leases: Array<{ name: string; holder: string }> };
    };
    expect(health.status).toBe('ok');
    expect(health.database.writable).toBe(true);
    expect(health.cluster.node).toBe('node-lcr-a');
    expect(health.cluster.members).toEqual([
      expect.objectContaining({ id: 'node-lcr-a', app: 'lcr-a', alive: true }),
    ]);
    expect(health.cluster.leases.map((l) => l.holder)).toEqual(expect.arrayContaining(['node-lcr-a']));
    const metrics = await (await fetch(`${a.daemon.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/^lcr_engine_leases_held [1-9]/m);
    expect(sim.engine.channels.size).toBe(0);
  }, 60_000);

  test('PostgreSQL out of reach mid-call: the caller is served, and the rows and the page land once it is back', async () => {
    const port = Number(new URL(databaseUrl).port);
    const proxy = await startCuttingProxy({ host: '127.0.0.1', port });
    try {
      const proxied = databaseUrl.replace(`:${port}/`, `:${proxy.port}/`);
      const a = await startDaemon(sim, proxied, 'lcr-a', []);
      running.push(a);
      await eventually('the daemon to connect', async () => (sim.connectedWebSockets > 0 ? true : undefined));
      proxy.cut();
      const message = sim.call({
        app: 'lcr-a',
        to: '+15550100',
        from: '+15551230003',
        steps: [{ waitFor: 'recording' }, { speak: 3000 }, { wait: 300 }, { press: '#' }],
      });
      await message.ended;
      const heard = message.transcript.filter((t) => t.kind === 'played').map((t) => t.detail);
      expect(heard).toEqual(expect.arrayContaining(['sound:welcome', 'sound:vm-intro', 'sound:vm-msgsaved']));
      expect(
        await check.get('SELECT id FROM calls WHERE channel_id = ?', [message.channelId]),
      ).toBeUndefined();
      proxy.heal();
      const row = await finishedCall(check, message.channelId);
      expect(row).toMatchObject({ outcome: 'voicemail', team_id: 'db-team' });
      expect(
        await check.get('SELECT ended_by, duration_seconds FROM voicemails WHERE call_id = ?', [row.id]),
      ).toEqual({
        ended_by: 'dtmf',
        duration_seconds: 3,
      });
      await eventually('the page', () =>
        check.get<PageRow>('SELECT * FROM pages WHERE call_id = ?', [row.id]),
      );
      expect(sim.engine.channels.size).toBe(0);
    } finally {
      await proxy.close();
    }
  }, 60_000);

  test('two daemons on one Asterisk and one PostgreSQL: the engine runs on one, and on the other once it stops', async () => {
    const a = await startDaemon(sim, databaseUrl, 'lcr-a', ['lcr-b']);
    running.push(a);
    await eventually('lcr-a to connect', async () => (sim.connectedWebSockets > 0 ? true : undefined));
    // A caller of lcr-a is leaving a message while lcr-b starts: lcr-b's reconciliation, reading
    // the shared call log, must leave lcr-a's open call alone.
    const message = sim.call({
      app: 'lcr-a',
      to: '+15550100',
      from: '+15551230001',
      steps: [{ waitFor: 'recording' }, { speak: 6000 }, { wait: 300 }, { press: '#' }],
    });
    await eventually(
      'the recording',
      async () =>
        await check.get<CallRow>(`SELECT * FROM calls WHERE channel_id = ? AND stage = 'recording'`, [
          message.channelId,
        ]),
    );
    const b = await startDaemon(sim, databaseUrl, 'lcr-b', ['lcr-a']);
    running.push(b);
    await eventually('lcr-b to reconcile', async () => (b.daemon.reconciler.runs > 0 ? true : undefined));
    expect(
      await check.get('SELECT ended_at, stage FROM calls WHERE channel_id = ?', [message.channelId]),
    ).toEqual({ ended_at: null, stage: 'recording' });
    const kept = await finishedCall(check, message.channelId);
    expect(kept).toMatchObject({ app: 'lcr-a', outcome: 'voicemail' });
    expect(
      await check.get('SELECT ended_by, duration_seconds FROM voicemails WHERE call_id = ?', [kept.id]),
    ).toEqual({
      ended_by: 'dtmf',
      duration_seconds: 6,
    });
    const escalateHolder = (): Promise<string | undefined> =>
      check
        .get<{ holder: string }>('SELECT holder FROM leases WHERE name = ?', [MODULES.escalate])
        .then((row) => row?.holder);
    const first = await eventually('a daemon to take the escalation lease', escalateHolder);
    const [holder, other] = first === 'node-lcr-a' ? [a, b] : [b, a];

    // Pages made through either daemon: each escalates once, by the lease's holder.
    const triggered = [];
    for (const via of [a, b])
      triggered.push(
        await via.daemon.paging.trigger({
          teamId: 'db-team',
          routeId: 'main',
          callId: null,
          voicemailId: null,
          callerNumber: null,
          summary: 'overdue',
          at: Date.now() - 6 * 60_000,
        }),
      );
    const ids = triggered.map((t) => t.pageId);
    const escalatedOnce = async (): Promise<true | undefined> => {
      const rows = await check.all<{ page_id: number; n: number }>(
        `SELECT page_id, COUNT(*) AS n FROM page_events WHERE type = 'escalated' AND page_id IN (?, ?) GROUP BY page_id`,
        ids,
      );
      return rows.length === 2 && rows.every((r) => r.n === 1) ? true : undefined;
    };
    await eventually('both pages to escalate', escalatedOnce);

    // The holder stops: it gives its leases up, and the other takes them at once.
    running.splice(running.indexOf(holder), 1);
    await holder.stop();
    await eventually('the other daemon to take the escalation lease', async () =>
      (await escalateHolder()) === other.daemon.cluster!.nodeId ? true : undefined,
    );
    const later = await other.daemon.paging.trigger({
      teamId: 'db-team',
      routeId: 'main',
      callId: null,
      voicemailId: null,
      callerNumber: null,
      summary: 'overdue, after the stop',
      at: Date.now() - 6 * 60_000,
    });
    await eventually('the page after the stop to escalate', async () => {
      const page = await check.get<PageRow>('SELECT * FROM pages WHERE id = ?', [later.pageId]);
      return page?.escalation_level === 1 ? true : undefined;
    });
    const members = await check.all<{ id: string; stopped_at: number | null }>(
      'SELECT id, stopped_at FROM nodes ORDER BY id',
    );
    expect(members.map((m) => [m.id, m.stopped_at !== null])).toEqual([
      ['node-lcr-a', holder === a],
      ['node-lcr-b', holder === b],
    ]);
    expect(await escalatedOnce()).toBe(true);
  }, 60_000);
});
