/**
 * The store's contract, run against both engines: SQLite (the embedded default) and a real
 * PostgreSQL (a throwaway cluster; skipped with a SKIPPED test where PostgreSQL is not installed,
 * failed under CI). Each store's SQL is written once: what the paging side reads back must be the
 * same on both, down to the numbers' types.
 */
import { silentLogger } from '../../src/log/logger';
import { PagingService, type Transactional } from '../../src/paging/service';
import { openDatabase } from '../../src/store/database';
import { LeaseLostError, LeaseStore } from '../../src/store/leases';
import { LinkTokenStore } from '../../src/store/linkTokens';
import { MIGRATIONS } from '../../src/store/migrations';
import { NotificationStore } from '../../src/store/notifications';
import { PageStore } from '../../src/store/pages';
import type { SqlDatabase } from '../../src/store/sql/driver';
import { openPostgres } from '../../src/store/sql/postgres';
import { migratePostgres, postgresSchemaVersion } from '../../src/store/sql/schema';
import { SqliteDatabase } from '../../src/store/sql/sqlite';
import { configFromText } from '../helpers/config';
import { describeWithPostgres } from '../helpers/postgres';

const config = configFromText(`asterisk: { url: 'http://127.0.0.1:8088', username: lcr, password: x }
notifications:
  email: { host: 127.0.0.1, port: 2525, tls: none, from: lcr@example.com }
  webhooks: [{ id: chat, url: 'http://127.0.0.1:9/chat' }]
responders:
  - { id: alice, name: Alice, phones: ['PJSIP/alice'], email: alice@example.com }
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

/** Far past 2^31: epoch milliseconds must come back as exact numbers. */
const T0 = Date.UTC(2026, 11, 4, 12, 0, 0);
const MINUTE = 60_000;

function pagingOn(sql: SqlDatabase): {
  pages: PageStore;
  notifications: NotificationStore;
  service: PagingService;
} {
  const pages = new PageStore(sql);
  const notifications = new NotificationStore(sql);
  const service = new PagingService({
    sql,
    config: () => config,
    pages,
    notifications,
    logger: silentLogger,
  });
  return { pages, notifications, service };
}

/** A message's page for db-team from `caller`, triggered at T0. */
const triggerFor = (service: PagingService, caller: string) =>
  service.trigger({
    teamId: 'db-team',
    routeId: 'main',
    callId: null,
    voicemailId: null,
    callerNumber: caller,
    summary: `Voicemail from ${caller}`,
    at: T0,
  });

function contract(open: () => Promise<SqlDatabase>): void {
  let sql: SqlDatabase;
  beforeEach(async () => {
    sql = await open();
  });
  afterEach(async () => {
    await sql.close();
  });

  const newPage = (pages: PageStore, at = T0) =>
    pages.create({
      teamId: 'db-team',
      routeId: 'main',
      callId: null,
      voicemailId: null,
      callerNumber: '+15551230001',
      summary: 'Voicemail from +15551230001',
      nextEscalationAt: at + 10 * MINUTE,
      now: at,
    });

  test('pages: created, assigned, moved only from where they were read, changed once', async () => {
    const pages = new PageStore(sql);
    const { pageId, eventId } = await newPage(pages);
    expect(typeof pageId).toBe('number');
    expect(typeof eventId).toBe('number');
    await pages.assign(pageId, ['alice', 'bob'], 0, T0);
    await pages.assign(pageId, ['alice'], 1, T0 + 1); // already assigned: keeps level 0
    expect(await pages.get(pageId)).toMatchObject({
      status: 'triggered',
      escalation_level: 0,
      next_escalation_at: T0 + 10 * MINUTE,
      created_at: T0,
      urgency: 'high',
    });
    expect((await pages.assignments(pageId)).map((a) => [a.responder_id, a.level])).toEqual([
      ['alice', 0],
      ['bob', 0],
    ]);
    expect(await pages.due(T0 + 10 * MINUTE - 1, 10)).toEqual([]);
    expect((await pages.due(T0 + 10 * MINUTE, 10)).map((p) => p.id)).toEqual([pageId]);
    expect(await pages.nextDue()).toBe(T0 + 10 * MINUTE);

    const move = {
      pageId,
      from: { level: 0, round: 0 },
      to: { level: 1, round: 0 },
      nextEscalationAt: null,
      at: T0 + 1,
    };
    expect(await pages.advance(move)).toBe(true);
    expect(await pages.advance(move)).toBe(false); // a second tick finds it moved
    expect(await pages.nextDue()).toBeUndefined();

    const ack = await pages.change(pageId, 'acknowledged', 'alice', 'phone', T0 + 2, { note: 'on it' });
    expect(ack).toMatchObject({ ok: true, page: { status: 'acknowledged', acknowledged_by: 'alice' } });
    expect(await pages.change(pageId, 'acknowledged', 'bob', 'web', T0 + 3)).toMatchObject({
      ok: false,
      reason: 'already-acknowledged',
    });
    expect(await pages.change(9999, 'resolved', 'bob', 'web', T0 + 3)).toEqual({
      ok: false,
      reason: 'not-found',
    });
    const events = await pages.events(pageId);
    expect(events.map((e) => e.type)).toEqual(['triggered', 'acknowledged']);
    expect(JSON.parse(events[1]!.detail!)).toEqual({ note: 'on it' });
    expect(await pages.event(events[1]!.id)).toEqual(events[1]);
    expect(await pages.countByStatus()).toEqual({ triggered: 0, acknowledged: 1, resolved: 0 });
    expect((await pages.list(10, 'acknowledged')).map((p) => p.id)).toEqual([pageId]);
    expect(await pages.list(10, 'resolved')).toEqual([]);
  });

  test('notifications: lanes (webhook targets apart, phone and email without one), claimed once, every attempt kept', async () => {
    const pages = new PageStore(sql);
    const notifications = new NotificationStore(sql);
    const { pageId, eventId } = await newPage(pages);
    const phone = await notifications.enqueue(
      { pageId, eventId, channel: 'phone', responderId: 'alice', level: 0, dueAt: T0 },
      T0,
    );
    await notifications.enqueue(
      { pageId, eventId, channel: 'email', responderId: 'alice', level: 0, dueAt: T0 + MINUTE },
      T0,
    );
    const hook = await notifications.enqueue(
      { pageId, eventId, channel: 'webhook', webhookId: 'chat', dueAt: T0 },
      T0,
    );
    const lanes = (await notifications.dueLanes(T0)).map((l) => [l.channel, l.webhook_id, l.due_at]);
    expect(lanes.sort()).toEqual([
      ['phone', null, T0],
      ['webhook', 'chat', T0],
    ]);
    expect((await notifications.pendingLanes()).length).toBe(3);
    expect(
      (await notifications.dueInLane(T0, { channel: 'phone', webhook_id: null }, 10)).map((n) => n.id),
    ).toEqual([phone]);
    expect(
      (await notifications.dueInLane(T0, { channel: 'webhook', webhook_id: 'chat' }, 10)).map((n) => n.id),
    ).toEqual([hook]);

    expect(await notifications.claim(phone, T0)).toBe(true);
    expect(await notifications.claim(phone, T0)).toBe(false);
    const finished = await sql.transaction((tx) =>
      notifications.in(tx).finish(phone, {
        startedAt: T0,
        endedAt: T0 + 5000,
        ok: false,
        detail: 'no answer',
        next: { status: 'pending', dueAt: T0 + MINUTE },
      }),
    );
    expect(finished).toBe(true);
    expect(await notifications.nextDue()).toBe(T0);
    expect(await notifications.failedAttemptsByChannel()).toEqual({ phone: 1, email: 0, webhook: 0 });
    expect(await notifications.claim(hook, T0)).toBe(true);
    expect(await notifications.releaseInterrupted(T0 + 1)).toBe(1);
    expect(await notifications.cancelForPage(pageId, 'page acknowledged by alice', T0 + 2)).toBe(2); // phone + email, not the webhook
    const rows = await notifications.ofPageWithAttempts(pageId);
    expect(rows.map((n) => [n.channel, n.status, n.attempts, n.attempts_made.length])).toEqual([
      ['phone', 'cancelled', 1, 1],
      ['email', 'cancelled', 0, 0],
      ['webhook', 'pending', 1, 0],
    ]);
    expect(rows[0]!.attempts_made[0]).toMatchObject({
      started_at: T0,
      ended_at: T0 + 5000,
      ok: 0,
      detail: 'no answer',
    });
  });

  test('link tokens work once and are pruned after they expire', async () => {
    const tokens = new LinkTokenStore(sql);
    expect(await tokens.use('n1', T0 + MINUTE, T0)).toBe(true);
    expect(await tokens.use('n1', T0 + MINUTE, T0 + 1)).toBe(false);
    expect(await tokens.prune(T0 + MINUTE)).toBe(0);
    expect(await tokens.prune(T0 + MINUTE + 1)).toBe(1);
  });

  test('a transaction commits all or nothing; a savepoint fails alone', async () => {
    const pages = new PageStore(sql);
    await expect(
      sql.transaction(async (tx) => {
        await newPage(pages.in(tx));
        throw new Error('midway');
      }),
    ).rejects.toThrow('midway');
    expect(await pages.list(10)).toEqual([]);
    await sql.transaction(async (tx) => {
      await newPage(pages.in(tx));
      await tx
        .transaction(async (inner) => {
          await newPage(pages.in(inner));
          throw new Error('inner');
        })
        .catch(() => undefined);
    });
    expect((await pages.list(10)).length).toBe(1);
  });

  test('leases: one holder at a time, a higher token for each new holder, and a fence that stops the old one', async () => {
    const leases = new LeaseStore(sql);
    const a = await leases.acquire('escalate', 'node-a', T0, 10_000);
    expect(a).toEqual({ name: 'escalate', holder: 'node-a', token: 1, expiresAt: T0 + 10_000 });
    expect(await leases.acquire('escalate', 'node-b', T0 + 5_000, 10_000)).toBeUndefined();
    const renewed = await leases.renew(a!, T0 + 5_000, 10_000);
    expect(renewed).toEqual({ ...a, expiresAt: T0 + 15_000 });
    // node-a goes silent; once its lease has run out node-b takes it with a higher token.
    const b = await leases.acquire('escalate', 'node-b', T0 + 15_000, 10_000);
    expect(b).toMatchObject({ holder: 'node-b', token: 2 });
    expect(await leases.renew(a!, T0 + 16_000, 10_000)).toBeUndefined();

    // node-a wakes up and tries to change a page: its transaction is refused and rolled back.
    const pages = new PageStore(sql);
    await expect(
      sql.transaction(async (tx) => {
        await newPage(pages.in(tx));
        await LeaseStore.fence(tx, a!);
      }),
    ).rejects.toBeInstanceOf(LeaseLostError);
    expect(await pages.list(10)).toEqual([]);
    await sql.transaction(async (tx) => {
      await LeaseStore.fence(tx, b!);
      await newPage(pages.in(tx));
    });
    expect((await pages.list(10)).length).toBe(1);

    expect(await leases.release(b!, T0 + 17_000)).toBe(true);
    expect(await leases.acquire('escalate', 'node-a', T0 + 17_000, 10_000)).toMatchObject({ token: 3 });
    expect((await leases.list()).map((l) => [l.name, l.holder, l.token])).toEqual([
      ['escalate', 'node-a', 3],
    ]);
  });

  test('the paging service escalates through a fenced transaction, and not at all once the lease is lost', async () => {
    const { pages, notifications, service } = pagingOn(sql);
    const { pageId } = await triggerFor(service, '+15551230001');
    const leases = new LeaseStore(sql);
    const mine = (await leases.acquire('escalate', 'node-a', T0, 1000))!;
    const fenced: Transactional = (work) =>
      sql.transaction(async (tx) => {
        await LeaseStore.fence(tx, mine);
        return work(tx);
      });
    await leases.acquire('escalate', 'node-b', T0 + 2000, 1000); // taken over while node-a was paused
    await expect(service.escalateDue(T0 + 10 * MINUTE, 500, fenced)).rejects.toBeInstanceOf(LeaseLostError);
    expect(await pages.get(pageId)).toMatchObject({ escalation_level: 0 });
    expect(await service.escalateDue(T0 + 10 * MINUTE)).toBe(1);
    expect(await pages.get(pageId)).toMatchObject({ escalation_level: 1 });
    expect((await pages.events(pageId)).map((e) => e.type)).toEqual(['triggered', 'assigned', 'escalated']);
    const change = await service.acknowledge(pageId, { id: 'bob', via: 'web', responderId: 'bob' });
    expect(change.ok).toBe(true);
    expect(
      (await notifications.ofPage(pageId)).map(
        (n) => `${n.channel}:${n.responder_id ?? n.webhook_id}:${n.status}`,
      ),
    ).toEqual([
      'webhook:chat:pending',
      'phone:alice:cancelled',
      'email:alice:cancelled',
      'email:bob:cancelled',
      'webhook:chat:pending',
      'webhook:chat:pending',
    ]);
  });

  test('one tick escalates 450 pages in multi-row statements: each moved once, acknowledged ones left, every row written', async () => {
    const { pages, notifications, service } = pagingOn(sql);
    const ids: number[] = [];
    for (let i = 0; i < 450; i++)
      ids.push((await triggerFor(service, `+1555123${String(i).padStart(4, '0')}`)).pageId);
    // Every tenth acknowledged before the tick: those must not move.
    const acknowledged = ids.filter((_, i) => i % 10 === 0);
    for (const id of acknowledged)
      await service.acknowledge(id, { id: 'alice', via: 'web', responderId: 'alice' });
    const before = (await notifications.ofPage(ids[1]!)).length;
    expect(await service.escalateDue(T0 + 10 * MINUTE, 1000)).toBe(405);
    // A second tick at the same moment finds nothing due (bob's level escalates after 10 more minutes).
    expect(await service.escalateDue(T0 + 10 * MINUTE, 1000)).toBe(0);
    for (const id of ids) {
      const page = (await pages.get(id))!;
      const events = (await pages.events(id)).map((e) => e.type);
      if (acknowledged.includes(id)) {
        expect(page).toMatchObject({ status: 'acknowledged', escalation_level: 0 });
        expect(events).toEqual(['triggered', 'assigned', 'acknowledged']);
        continue;
      }
      expect(page).toMatchObject({
        status: 'triggered',
        escalation_level: 1,
        next_escalation_at: T0 + 20 * MINUTE,
      });
      expect(events).toEqual(['triggered', 'assigned', 'escalated']);
      expect((await pages.assignments(id)).map((a) => [a.responder_id, a.level])).toEqual([
        ['alice', 0],
        ['bob', 1],
      ]);
    }
    // Bob's email and the chat webhook, tied to the escalation's own event.
    const page = ids[1]!;
    const escalated = (await pages.events(page)).find((e) => e.type === 'escalated')!;
    expect(escalated.detail === null ? null : JSON.parse(escalated.detail)).toMatchObject({
      level: 1,
      round: 0,
      from_level: 0,
      responders: ['bob'],
      reason: 'no acknowledgement in time',
    });
    const added = (await notifications.ofPage(page)).slice(before);
    expect(
      added.map((n) => [n.channel, n.responder_id ?? n.webhook_id, n.event_id, n.status, n.level]),
    ).toEqual([
      ['email', 'bob', escalated.id, 'pending', 1],
      ['webhook', 'chat', escalated.id, 'pending', null],
    ]);
    expect(typeof added[0]!.due_at).toBe('number');
  });
}

describe('the store on SQLite', () => {
  contract(async () => new SqliteDatabase(openDatabase(':memory:'), 'sqlite::memory:'));

  test('the schema is at the newest migration', async () => {
    const raw = openDatabase(':memory:');
    expect(raw.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    raw.close();
  });
});

describeWithPostgres('the store on PostgreSQL', (cluster) => {
  contract(async () => openPostgres({ url: await cluster().createDatabase(), poolSize: 4 }));

  test('migrations run once, also when several daemons start at once, and a newer schema is refused', async () => {
    const url = await cluster().createDatabase();
    const daemons = await Promise.all([1, 2, 3].map(() => openPostgres({ url, poolSize: 2 })));
    try {
      expect(await postgresSchemaVersion(daemons[0]!)).toBe(MIGRATIONS.length);
      expect(await migratePostgres(daemons[1]!)).toBe(MIGRATIONS.length);
      const tables = await daemons[0]!.all<{ name: string }>(
        `SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`,
      );
      expect(tables.map((t) => t.name)).toEqual(
        expect.arrayContaining([
          'calls',
          'call_legs',
          'pages',
          'page_events',
          'notifications',
          'leases',
          'nodes',
        ]),
      );
      await daemons[0]!.run('UPDATE lcr_schema SET version = ?', [MIGRATIONS.length + 1]);
      await expect(openPostgres({ url })).rejects.toThrow(/newer than this lcr knows/);
    } finally {
      await Promise.all(daemons.map((d) => d.close()));
    }
  });

  test('taking over an expired lease waits for the old holder’s fenced transaction to end', async () => {
    const url = await cluster().createDatabase();
    const a = await openPostgres({ url, poolSize: 2 });
    const b = await openPostgres({ url, poolSize: 2 });
    try {
      const lease = (await new LeaseStore(a).acquire('escalate', 'node-a', T0, 1000))!;
      let release!: () => void;
      const holding = new Promise<void>((resolve) => (release = resolve));
      const order: string[] = [];
      const fencedWork = a.transaction(async (tx) => {
        await LeaseStore.fence(tx, lease);
        order.push('a fenced');
        await holding;
        await newPageOn(tx);
        order.push('a wrote');
      });
      await waitUntil(() => order.includes('a fenced'));
      const takeover = new LeaseStore(b).acquire('escalate', 'node-b', T0 + 5000, 1000).then((taken) => {
        order.push('b took');
        return taken;
      });
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(order).toEqual(['a fenced']); // b waits on the lease row a holds
      release();
      await fencedWork;
      expect(await takeover).toMatchObject({ holder: 'node-b', token: 2 });
      expect(order).toEqual(['a fenced', 'a wrote', 'b took']);
      await expect(a.transaction((tx) => LeaseStore.fence(tx, lease))).rejects.toBeInstanceOf(LeaseLostError);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

async function newPageOn(tx: import('../../src/store/sql/driver').SqlSession): Promise<void> {
  await new PageStore(tx).create({
    teamId: 'db-team',
    routeId: 'main',
    callId: null,
    voicemailId: null,
    callerNumber: null,
    summary: 'x',
    nextEscalationAt: null,
    now: T0,
  });
}

async function waitUntil(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  if (!condition()) throw new Error('condition not met in 5 s');
}
