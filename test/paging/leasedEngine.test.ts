/**
 * Several daemons' engines on one PostgreSQL: every module runs under a lease, so each page
 * escalates once and each notification is sent once, whichever daemon does it; when the daemon
 * holding the leases stops dead, another takes them over once they expire and carries on.
 */
import { silentLogger } from '../../src/log/logger';
import { NotificationDispatcher } from '../../src/paging/dispatcher';
import type { PagingEngine } from '../../src/paging/engine';
import type { LeasedModule } from '../../src/paging/leased';
import { MODULES, createEngine } from '../../src/paging/modules';
import { PagingService } from '../../src/paging/service';
import { CallStore } from '../../src/store/calls';
import { openDatabase } from '../../src/store/database';
import { LeaseStore } from '../../src/store/leases';
import { LinkTokenStore } from '../../src/store/linkTokens';
import { NotificationStore } from '../../src/store/notifications';
import { PageStore } from '../../src/store/pages';
import type { SqlDatabase } from '../../src/store/sql/driver';
import { openPostgres } from '../../src/store/sql/postgres';
import { SqliteDatabase } from '../../src/store/sql/sqlite';
import { systemClock } from '../../src/util/clock';
import { configFromText } from '../helpers/config';
import { describeWithPostgres } from '../helpers/postgres';

const config = configFromText(`asterisk: { url: 'http://127.0.0.1:8088', username: lcr, password: x }
notifications:
  email: { host: 127.0.0.1, port: 2525, tls: none, from: lcr@example.com }
responders:
  - { id: alice, name: Alice, email: alice@example.com }
  - { id: bob, name: Bob, email: bob@example.com }
escalation_policies:
  - id: p
    levels:
      - { targets: [{ responder: alice }], escalate_after: 10m }
      - { targets: [{ responder: bob }], escalate_after: 10m }
teams: [{ id: db-team, name: Database, escalation_policy: p }]
routes:
  - { id: main, name: Main, numbers: ['+1 555 0100'], routing: voicemail, options: [{ key: 1, team: db-team, label: DB }] }
`);
const MINUTE = 60_000;
const TTL_MS = 1500;

interface Node {
  name: string;
  service: PagingService;
  engine: PagingEngine;
  leased: LeasedModule[];
  stop(): Promise<void>;
}

/** Sends, by notification id, across every node: a notification sent twice shows here. */
const sent = new Map<number, string[]>();

async function startNode(name: string, url: string): Promise<Node> {
  const sql: SqlDatabase = await openPostgres({ url, poolSize: 4 });
  const pages = new PageStore(sql);
  const notifications = new NotificationStore(sql);
  const ref: { engine?: PagingEngine } = {};
  const service = new PagingService({
    sql,
    config: () => config,
    pages,
    notifications,
    logger: silentLogger,
    onChange: () => ref.engine?.wake(MODULES.escalate, MODULES.dispatch),
  });
  const email = {
    async send(delivery: { notification: { id: number } }) {
      sent.set(delivery.notification.id, [...(sent.get(delivery.notification.id) ?? []), name]);
      return { ok: true as const, detail: `mailed by ${name}` };
    },
  };
  const dispatcher = new NotificationDispatcher({
    config: () => config,
    notifications,
    pages,
    transactional: (work) => sql.transaction(work),
    notifiers: { email },
    logger: silentLogger,
    retry: { baseMs: 1000, maxMs: 10_000 },
    onSettled: () => ref.engine?.wake(MODULES.dispatch),
    clock: systemClock,
  });
  // The voicemail copy module needs a call log; the copy never runs (no voicemail is owed).
  const scratch = openDatabase(':memory:');
  const built = createEngine({
    sql,
    clock: systemClock,
    logger: silentLogger,
    pollMs: 100,
    service,
    pages,
    notifications,
    calls: new CallStore(new SqliteDatabase(scratch, 'sqlite::memory:')),
    linkTokens: new LinkTokenStore(sql),
    dispatcher,
    copyVoicemail: async () => ({ error: 'not in this test' }),
    ariConnected: () => true,
    cluster: { leases: new LeaseStore(sql), holder: name, ttlMs: TTL_MS },
  });
  ref.engine = built.engine;
  await built.engine.start();
  return {
    name,
    service,
    engine: built.engine,
    leased: built.leased,
    async stop() {
      await built.engine.stop();
      dispatcher.stopping = true;
      await dispatcher.settled();
      await sql.close();
      scratch.close();
    },
  };
}

async function triggerOverdue(service: PagingService, count: number): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < count; i++) {
    const { pageId } = await service.trigger({
      teamId: 'db-team',
      routeId: 'main',
      callId: null,
      voicemailId: null,
      callerNumber: `+1555000${i}`,
      summary: `page ${i}`,
      // Its first level's ten minutes are already over: due for escalation at once.
      at: Date.now() - 11 * MINUTE,
    });
    ids.push(pageId);
  }
  return ids;
}

async function waitFor(what: string, condition: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describeWithPostgres('engines of several daemons on one PostgreSQL', (cluster) => {
  test('each page escalates once and each message is sent once; a dead holder’s work is taken over', async () => {
    sent.clear();
    const url = await cluster().createDatabase();
    const a = await startNode('node-a', url);
    const b = await startNode('node-b', url);
    const c = await startNode('node-c', url);
    const nodes = [a, b, c];
    const check = await openPostgres({ url, poolSize: 2 });
    try {
      const first = await triggerOverdue(b.service, 30);
      const escalated = async (ids: number[]): Promise<boolean> => {
        const rows = await check.all<{ n: number }>(
          `SELECT COUNT(*) AS n FROM pages WHERE escalation_level = 1 AND id IN (${ids.join(',')})`,
        );
        return rows[0]!.n === ids.length;
      };
      const allSent = async (): Promise<boolean> => {
        const rows = await check.all<{ n: number }>(
          `SELECT COUNT(*) AS n FROM notifications WHERE status != 'sent'`,
        );
        return rows[0]!.n === 0;
      };
      await waitFor('the first pages to escalate', () => escalated(first));
      await waitFor('every message to be sent', allSent);

      // One holder per lease, whoever it is.
      const leases = await check.all<{ name: string; holder: string }>('SELECT name, holder FROM leases');
      expect(leases.map((l) => l.name).sort()).toEqual(
        [
          MODULES.escalate,
          MODULES.dispatch,
          MODULES.voicemailCopies,
          MODULES.pruneLinkTokens,
          MODULES.releaseStaleNotifications,
        ].sort(),
      );
      const escalator = nodes.find(
        (n) => n.name === leases.find((l) => l.name === MODULES.escalate)!.holder,
      )!;
      const dispatcherNode = nodes.find(
        (n) => n.name === leases.find((l) => l.name === MODULES.dispatch)!.holder,
      )!;

      // The escalating and the sending daemons die without a word (their leases are not given up).
      const dead = new Set([escalator, dispatcherNode]);
      for (const node of dead) await node.engine.stop();
      const survivors = nodes.filter((n) => !dead.has(n));
      expect(survivors.length).toBeGreaterThan(0);
      const second = await triggerOverdue(survivors[0]!.service, 30);
      for (const node of survivors) node.engine.wake();
      await waitFor('a survivor to escalate the new pages', () => escalated(second));
      await waitFor('every new message to be sent', allSent);

      const events = await check.all<{ page_id: number; type: string; n: number }>(
        `SELECT page_id, type, COUNT(*) AS n FROM page_events GROUP BY page_id, type ORDER BY page_id, type`,
      );
      const perPage = new Map<number, Record<string, number>>();
      for (const e of events) perPage.set(e.page_id, { ...perPage.get(e.page_id), [e.type]: e.n });
      expect(perPage.size).toBe(60);
      for (const counts of perPage.values())
        expect(counts).toEqual({ triggered: 1, assigned: 1, escalated: 1 });
      // alice when triggered, bob when escalated: 120 messages, each sent exactly once.
      expect(sent.size).toBe(120);
      for (const senders of sent.values()) expect(senders.length).toBe(1);
      const holders = await check.all<{ name: string; holder: string; token: number }>(
        'SELECT name, holder, token FROM leases WHERE name IN (?, ?)',
        [MODULES.escalate, MODULES.dispatch],
      );
      for (const lease of holders) {
        expect(survivors.map((n) => n.name)).toContain(lease.holder);
        expect(lease.token).toBeGreaterThanOrEqual(2);
      }
    } finally {
      await check.close();
      for (const node of nodes) await node.stop();
    }
  }, 60_000);
});
