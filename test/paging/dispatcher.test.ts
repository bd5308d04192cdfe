/**
 * The dispatcher with a fake clock and notifiers the test answers by hand: what it claims, how it
 * records each attempt, when it retries and when it gives up, how many sends run at once, and
 * what stopping and acknowledging do to sends in flight.
 */
import { silentLogger, type Logger } from '../../src/log/logger';
import type { Delivery, Notifier, SendResult } from '../../src/notifications/types';
import { NotificationDispatcher, retryDelayMs, type RetryPolicy } from '../../src/paging/dispatcher';
import type { Transactional } from '../../src/paging/service';
import { openDatabase, type Db } from '../../src/store/database';
import {
  NotificationStore,
  type NotificationChannelName,
  type NotificationRow,
} from '../../src/store/notifications';
import { PageStore } from '../../src/store/pages';
import { SqliteDatabase } from '../../src/store/sql/sqlite';
import { configFromText } from '../helpers/config';
import { FakeClock, settle } from '../helpers/fakeClock';

const config = configFromText(`asterisk: { url: 'http://127.0.0.1:8088', username: lcr, password: x }
notifications:
  email: { host: 127.0.0.1, port: 2525, tls: none, from: lcr@example.com, max_attempts: 3 }
  webhooks:
    - { id: ops, url: 'http://127.0.0.1:9/ops', max_attempts: 2 }
responders:
  - { id: alice, name: Alice, phones: ['PJSIP/alice'], email: alice@example.com }
escalation_policies:
  - { id: p, levels: [{ targets: [{ responder: alice }] }] }
teams:
  - { id: db-team, name: Database, escalation_policy: p }
routes:
  - { id: main, name: Main, numbers: ['+1 555 0100'], routing: voicemail, options: [{ key: 1, team: db-team, label: DB }] }
`);
const RETRY: RetryPolicy = { baseMs: 1000, maxMs: 5000 };

/** A notifier whose every send waits until the test answers it. */
class ManualNotifier implements Notifier {
  readonly waiting: Array<{ delivery: Delivery; answer: (result: SendResult | Error) => void }> = [];

  send(delivery: Delivery): Promise<SendResult> {
    return new Promise((resolve, reject) =>
      this.waiting.push({
        delivery,
        answer: (result) => (result instanceof Error ? reject(result) : resolve(result)),
      }),
    );
  }

  /**
   * Answers the oldest send still waiting (once the sends started have reached the notifier: each
   * first reads its page), then lets the dispatcher record it.
   */
  async answer(result: SendResult | Error): Promise<void> {
    await settle();
    this.waiting.shift()!.answer(result);
    await settle();
  }
}

let db: Db;
let sql: SqliteDatabase;
let clock: FakeClock;
let pages: PageStore;
let notifications: NotificationStore;
let email: ManualNotifier;
let webhook: ManualNotifier;
let dispatcher: NotificationDispatcher;
let settled: number;
let transactions: number;
let warnings: string[];
let tx: Transactional;

/** The dispatcher records each attempt in its own transactions: counted with the claims by default. */
function makeDispatcher(
  concurrency = 5,
  transactional: Transactional = (work) => tx(work),
): NotificationDispatcher {
  const logger: Logger = { ...silentLogger, warn: (message) => warnings.push(message) };
  return new NotificationDispatcher({
    config: () => config,
    notifications,
    pages,
    transactional,
    notifiers: { email, webhook },
    logger,
    retry: RETRY,
    concurrency,
    onSettled: () => settled++,
    clock,
  });
}

beforeEach(() => {
  db = openDatabase(':memory:');
  sql = new SqliteDatabase(db, 'sqlite::memory:');
  clock = new FakeClock();
  pages = new PageStore(sql);
  notifications = new NotificationStore(sql);
  email = new ManualNotifier();
  webhook = new ManualNotifier();
  settled = 0;
  transactions = 0;
  warnings = [];
  tx = (work) => {
    transactions++;
    return sql.transaction(work);
  };
  dispatcher = makeDispatcher();
});
afterEach(() => db.close());

async function page(): Promise<number> {
  const created = await pages.create({
    teamId: 'db-team',
    routeId: 'main',
    callId: null,
    voicemailId: null,
    callerNumber: null,
    summary: 'test page',
    nextEscalationAt: null,
    now: clock.now(),
  });
  return created.pageId;
}

function enqueue(pageId: number, channel: NotificationChannelName, dueInMs = 0): Promise<number> {
  return notifications.enqueue(
    {
      pageId,
      eventId: null,
      channel,
      ...(channel === 'webhook' ? { webhookId: 'ops' } : { responderId: 'alice' }),
      dueAt: clock.now() + dueInMs,
    },
    clock.now(),
  );
}

const row = (id: number): NotificationRow =>
  db.prepare('SELECT * FROM notifications WHERE id = ?').get(id) as NotificationRow;

test('retries back off exponentially up to the cap', () => {
  expect([1, 2, 3, 4, 5, 9].map((n) => retryDelayMs(n, RETRY))).toEqual([1000, 2000, 4000, 5000, 5000, 5000]);
  expect(retryDelayMs(1, { baseMs: 30_000, maxMs: 3600_000 })).toBe(30_000);
});

test('only due rows are claimed; each attempt is recorded with the clock’s times, in a transaction', async () => {
  const id = await page();
  const now = await enqueue(id, 'email');
  const later = await enqueue(id, 'email', 60_000);
  expect(await dispatcher.dispatchDue(clock.now(), tx)).toBe(1);
  expect(row(now)).toMatchObject({ status: 'sending', attempts: 1 });
  expect(row(later).status).toBe('pending');
  await settle();
  expect(email.waiting[0]!.delivery).toMatchObject({ notification: { id: now, attempts: 1 }, page: { id } });
  // The same row is not started twice while it is being sent.
  expect(await dispatcher.dispatchDue(clock.now(), tx)).toBe(0);
  const startedAt = clock.now();
  await clock.advance(2500);
  await email.answer({ ok: true, detail: 'accepted' });
  expect(row(now)).toMatchObject({ status: 'sent', result: 'accepted' });
  expect(await notifications.attempts(now)).toEqual([
    expect.objectContaining({ started_at: startedAt, ended_at: startedAt + 2500, ok: 1, detail: 'accepted' }),
  ]);
  expect(settled).toBe(1);
  expect(transactions).toBe(2); // the claim, then the record of the attempt
  expect(dispatcher.busy).toBe(0);
});

test('a failure the channel wants retried goes back to pending with backoff, until attempts run out', async () => {
  const id = await enqueue(await page(), 'email');
  const dueTimes: number[] = [];
  for (let attempt = 1; attempt <= 3; attempt++) {
    await clock.advanceTo(row(id).due_at);
    expect(await dispatcher.dispatchDue(clock.now(), tx)).toBe(1);
    await clock.advance(100);
    await email.answer({ ok: false, retry: true, detail: 'SMTP 451' });
    dueTimes.push(row(id).due_at - clock.now());
  }
  // 1 s, 2 s, then no more: max_attempts is 3.
  expect(dueTimes.slice(0, 2)).toEqual([1000, 2000]);
  expect(row(id)).toMatchObject({ status: 'failed', attempts: 3, result: 'SMTP 451' });
  expect(await notifications.attempts(id)).toHaveLength(3);
  expect(await dispatcher.dispatchDue(clock.now() + 3600_000, tx)).toBe(0);
});

test('no retry when the channel says so, when it is not configured; a thrown error is retried', async () => {
  const pageId = await page();
  const refused = await enqueue(pageId, 'webhook');
  const unconfigured = await enqueue(pageId, 'phone');
  await dispatcher.dispatchDue(clock.now(), tx);
  await settle();
  expect(row(unconfigured)).toMatchObject({
    status: 'failed',
    result: 'phone notifications are not configured',
  });
  await webhook.answer({ ok: false, retry: false, detail: 'HTTP 400' });
  expect(row(refused)).toMatchObject({ status: 'failed', attempts: 1 });

  const broken = await enqueue(pageId, 'webhook');
  await dispatcher.dispatchDue(clock.now(), tx);
  await webhook.answer(new Error('socket hang up'));
  expect(row(broken)).toMatchObject({ status: 'pending', result: 'internal error: socket hang up' });
  expect(row(broken).due_at).toBe(clock.now() + 1000);
});

test('no more than `concurrency` sends at once in a lane; the rest start as room is made', async () => {
  dispatcher = makeDispatcher(2);
  const id = await page();
  const rows = [await enqueue(id, 'email'), await enqueue(id, 'email'), await enqueue(id, 'email')];
  expect(await dispatcher.dispatchDue(clock.now(), tx)).toBe(2);
  expect(dispatcher.roomIn('email')).toBe(0);
  expect(await dispatcher.dispatchDue(clock.now(), tx)).toBe(0);
  expect(row(rows[2]!).status).toBe('pending');
  await email.answer({ ok: true, detail: 'ok' });
  expect(settled).toBe(1);
  expect(dispatcher.roomIn('email')).toBe(1);
  expect(await dispatcher.dispatchDue(clock.now(), tx)).toBe(1);
  expect(row(rows[2]!).status).toBe('sending');
});

test('acknowledging aborts the sends of that page only; stopping starts nothing new', async () => {
  const first = await page();
  const second = await page();
  await enqueue(first, 'email');
  await enqueue(second, 'email');
  await dispatcher.dispatchDue(clock.now(), tx);
  await settle();
  const [a, b] = email.waiting.map((w) => w.delivery.signal);
  dispatcher.abortForPage(first);
  expect([a!.aborted, b!.aborted]).toEqual([true, false]);
  dispatcher.stopping = true;
  await enqueue(second, 'webhook');
  expect(dispatcher.roomIn('webhook:ops')).toBe(0);
  expect(await dispatcher.dispatchDue(clock.now(), tx)).toBe(0);
  const done = dispatcher.settled();
  await email.answer({ ok: false, retry: false, detail: 'aborted' });
  await email.answer({ ok: true, detail: 'ok' });
  await done;
  // Stopping: nobody is told to look for more work.
  expect(settled).toBe(0);
});

test('a send whose record cannot be written stays "sending", to be sent again at the next start', async () => {
  const id = await enqueue(await page(), 'email');
  let closed = false;
  const dying: Transactional = (work) => {
    if (closed) return Promise.reject(new Error('The database connection is not open'));
    return tx(work);
  };
  // The attempt is recorded through the same dying connection as the claim.
  dispatcher = makeDispatcher(5, dying);
  await dispatcher.dispatchDue(clock.now(), dying);
  await settle();
  closed = true; // the daemon is going down while the mail is being sent
  await email.answer({ ok: true, detail: 'ok' });
  expect(warnings).toEqual(['notification attempt not recorded']);
  expect(row(id)).toMatchObject({ status: 'sending', attempts: 1 });
  expect(await notifications.attempts(id)).toEqual([]);
});

test('each channel and each webhook target has its own lane: a full one holds back only its own rows', async () => {
  const phone = new ManualNotifier();
  const logger: Logger = { ...silentLogger, warn: (message) => warnings.push(message) };
  dispatcher = new NotificationDispatcher({
    config: () => config,
    notifications,
    pages,
    transactional: (work) => tx(work),
    notifiers: { email, webhook, phone },
    logger,
    retry: RETRY,
    concurrency: { phone: 2, email: 1, webhook: 1 },
    onSettled: () => settled++,
    clock,
  });
  const id = await page();
  // Stuck peers ahead of the phone rows, as when SMTP hangs: older rows first in the outbox.
  const emails = [await enqueue(id, 'email'), await enqueue(id, 'email'), await enqueue(id, 'email')];
  const hooks = [await enqueue(id, 'webhook'), await enqueue(id, 'webhook')];
  const other = await notifications.enqueue(
    { pageId: id, eventId: null, channel: 'webhook', webhookId: 'other', dueAt: clock.now() },
    clock.now(),
  );
  const phones = [await enqueue(id, 'phone'), await enqueue(id, 'phone')];
  expect(await dispatcher.dispatchDue(clock.now(), tx)).toBe(5);
  expect([...emails, ...hooks, other, ...phones].map((n) => row(n).status)).toEqual([
    'sending',
    'pending',
    'pending',
    'sending',
    'pending',
    'sending',
    'sending',
    'sending',
  ]);
  // Every lane with due rows is full: nothing to look at until a send ends.
  expect(await dispatcher.nextDue()).toBeUndefined();
  const later = await enqueue(id, 'phone', 5000);
  await phone.answer({ ok: true, detail: 'answered' });
  expect(dispatcher.roomIn('phone')).toBe(1);
  expect(await dispatcher.nextDue()).toBe(clock.now() + 5000);
  expect(await dispatcher.dispatchDue(clock.now(), tx)).toBe(0);
  await clock.advance(5000);
  expect(await dispatcher.dispatchDue(clock.now(), tx)).toBe(1);
  expect(row(later).status).toBe('sending');
  expect(row(emails[1]!).status).toBe('pending');
});

test('a claim under this daemon’s name that it never heard committed goes back to pending and is sent', async () => {
  const logger: Logger = { ...silentLogger, warn: (message) => warnings.push(message) };
  const named = new NotificationDispatcher({
    config: () => config,
    notifications,
    pages,
    transactional: (work) => tx(work),
    notifiers: { email, webhook },
    logger,
    retry: RETRY,
    concurrency: 5,
    onSettled: () => settled++,
    clock,
    claimant: 'node-a',
  });
  const id = await page();
  const lost = await enqueue(id, 'webhook');
  const others = await enqueue(id, 'email');
  // The claims committed while the answers were lost with the connection.
  await notifications.claim(lost, clock.now(), 'node-a');
  await notifications.claim(others, clock.now(), 'node-b');
  expect(await named.dispatchDue(clock.now(), tx)).toBe(1);
  expect(warnings).toContain('a claim this daemon never heard committed goes back to pending');
  expect(row(lost)).toMatchObject({ status: 'sending', attempts: 2, claimed_by: 'node-a' });
  await webhook.answer({ ok: true, detail: 'HTTP 204' });
  expect(row(lost)).toMatchObject({ status: 'sent' });
  // Another daemon's claim is its own business (released when that daemon is gone).
  expect(row(others)).toMatchObject({ status: 'sending', claimed_by: 'node-b' });
  // A send in flight is never taken for a forgotten claim.
  const second = await enqueue(id, 'webhook');
  expect(await named.dispatchDue(clock.now(), tx)).toBe(1);
  expect(await named.dispatchDue(clock.now(), tx)).toBe(0);
  expect(row(second)).toMatchObject({ status: 'sending', attempts: 1 });
  await webhook.answer({ ok: true, detail: 'HTTP 204' });
});
