import fc from 'fast-check';
import { silentLogger } from '../../src/log/logger';
import { nextEscalation } from '../../src/paging/escalation';
import { createAckToken, verifyAckToken, signMediaPath, verifyMediaSignature } from '../../src/paging/links';
import { PagingService } from '../../src/paging/service';
import { openDatabase, type Db } from '../../src/store/database';
import { SqliteDatabase } from '../../src/store/sql/sqlite';
import { NotificationStore } from '../../src/store/notifications';
import { PageStore } from '../../src/store/pages';
import { configFromText } from '../helpers/config';

const YAML = `asterisk: { url: 'http://127.0.0.1:8088', username: lcr, password: x }
notifications:
  email: { host: 127.0.0.1, port: 2525, tls: none, from: lcr@example.com }
  webhooks:
    - { id: all, url: 'http://127.0.0.1:9/all' }
    - { id: db-only, url: 'http://127.0.0.1:9/db', teams: [db-team], events: [acknowledged] }
responders:
  - { id: alice, name: Alice, phones: ['PJSIP/alice'], email: alice@example.com }
  - { id: bob, name: Bob, phones: ['PJSIP/bob'], email: bob@example.com, notify: [{ via: email, after: 5m }, phone] }
  - { id: carol, name: Carol, email: carol@example.com }
  - { id: zed, name: Zed, phones: ['PJSIP/zed'] }
schedules:
  - id: empty
    timezone: UTC
    layers: [{ start: '2020-01-01T00:00', turn: 1d, members: [zed], restrictions: [{ days: [mon], from: '00:00', to: '00:01' }] }]
escalation_policies:
  - id: p
    repeat: 1
    levels:
      - { targets: [{ responder: alice }, { responder: bob }], escalate_after: 10m }
      - { targets: [{ responder: carol }], escalate_after: 20m }
  - id: gap
    levels:
      - { targets: [{ schedule: empty }], escalate_after: 10m }
      - { targets: [{ responder: carol }], escalate_after: 10m }
teams:
  - { id: db-team, name: Database, escalation_policy: p }
  - { id: net-team, name: Network, escalation_policy: gap }
routes:
  - { id: main, name: Main, numbers: ['+1 555 0100'], routing: voicemail, options: [{ key: 1, team: db-team, label: DB }] }
`;
const config = configFromText(YAML);
const MINUTE = 60_000;

let db: Db;
let sql: SqliteDatabase;
let pages: PageStore;
let notifications: NotificationStore;
let service: PagingService;
const changes: string[] = [];

beforeEach(() => {
  db = openDatabase(':memory:');
  sql = new SqliteDatabase(db, 'sqlite::memory:');
  pages = new PageStore(sql);
  notifications = new NotificationStore(sql);
  changes.length = 0;
  service = new PagingService({
    sql,
    config: () => config,
    pages,
    notifications,
    logger: silentLogger,
    onChange: (pageId, event) => changes.push(`${pageId}:${event}`),
  });
});
afterEach(() => db.close());

async function trigger(teamId = 'db-team', at = Date.now()): Promise<number> {
  const page = await service.trigger({
    teamId,
    routeId: 'main',
    callId: null,
    voicemailId: null,
    callerNumber: '+15551230001',
    summary: 'test page',
    at,
  });
  return page.pageId;
}

const outbox = async (pageId: number): Promise<string[]> =>
  (await notifications.ofPage(pageId)).map(
    (n) => `${n.channel}:${n.responder_id ?? n.webhook_id}:${n.status}`,
  );

test('a page goes through every level, repeats the policy, then stays triggered and says so', async () => {
  const t0 = Date.now();
  const id = await trigger('db-team', t0);
  expect(await pages.get(id)).toMatchObject({
    status: 'triggered',
    escalation_level: 0,
    next_escalation_at: t0 + 10 * MINUTE,
  });
  expect((await pages.assignments(id)).map((a) => a.responder_id)).toEqual(['alice', 'bob']);
  // Nothing is due before the deadline; at it, exactly one step, however often the tick runs.
  expect(await service.escalateDue(t0 + 10 * MINUTE - 1)).toBe(0);
  expect(await service.escalateDue(t0 + 10 * MINUTE)).toBe(1);
  expect(await service.escalateDue(t0 + 10 * MINUTE)).toBe(0);
  expect(await pages.get(id)).toMatchObject({
    escalation_level: 1,
    escalation_round: 0,
    next_escalation_at: t0 + 30 * MINUTE,
  });
  expect((await pages.assignments(id)).map((a) => [a.responder_id, a.level])).toEqual([
    ['alice', 0],
    ['bob', 0],
    ['carol', 1],
  ]);
  // A daemon that was down for an hour: the missed deadline fires once, the next one counts from now.
  const late = t0 + 90 * MINUTE;
  expect(await service.escalateDue(late)).toBe(1);
  expect(await pages.get(id)).toMatchObject({
    escalation_level: 0,
    escalation_round: 1,
    next_escalation_at: late + 10 * MINUTE,
  });
  await service.escalateDue(late + 10 * MINUTE);
  await service.escalateDue(late + 30 * MINUTE);
  expect(await pages.get(id)).toMatchObject({
    status: 'triggered',
    escalation_level: 1,
    escalation_round: 1,
    next_escalation_at: null,
  });
  expect(await service.escalateDue(late + 999 * MINUTE)).toBe(0);
  expect((await pages.events(id)).map((e) => e.type)).toEqual([
    'triggered',
    'assigned',
    'escalated',
    'escalated',
    'escalated',
    'exhausted',
  ]);
  expect(JSON.parse((await pages.events(id)).at(-1)!.detail!)).toMatchObject({
    reason: 'nobody acknowledged; the page stays triggered',
    rounds: 2,
  });
});

test('each responder is notified on their channels, in their order and with their delays', async () => {
  const t0 = Date.now();
  const id = await trigger('db-team', t0);
  const rows = await notifications.ofPage(id);
  expect(rows.map((n) => [n.channel, n.responder_id ?? n.webhook_id, n.due_at - t0])).toEqual([
    ['webhook', 'all', 0],
    ['phone', 'alice', 0],
    ['email', 'alice', 0],
    ['email', 'bob', 5 * MINUTE],
    ['phone', 'bob', 0],
  ]);
  // The repeat round notifies level 1 again.
  await service.escalateDue(t0 + 10 * MINUTE);
  expect((await outbox(id)).slice(5)).toEqual(['email:carol:pending', 'webhook:all:pending']);
});

test('acknowledging cancels calls and emails not yet made, and tells the webhooks that want it', async () => {
  const id = await trigger();
  const change = await service.acknowledge(id, { id: 'bob', via: 'cli', responderId: 'bob' }, 'on it');
  expect(change.ok).toBe(true);
  expect(await outbox(id)).toEqual([
    'webhook:all:pending',
    'phone:alice:cancelled',
    'email:alice:cancelled',
    'email:bob:cancelled',
    'phone:bob:cancelled',
    'webhook:all:pending',
    'webhook:db-only:pending',
  ]);
  expect(await pages.get(id)).toMatchObject({
    status: 'acknowledged',
    acknowledged_by: 'bob',
    next_escalation_at: null,
  });
  expect(JSON.parse((await pages.events(id)).at(-1)!.detail!)).toEqual({
    note: 'on it',
    assigned: true,
    on_call: true,
  });
  expect(await service.escalateDue(Date.now() + 999 * MINUTE)).toBe(0);
  expect(changes).toEqual([`${id}:triggered`, `${id}:acknowledged`]);
});

test('someone not on call may acknowledge; the timeline says so', async () => {
  const id = await trigger();
  expect((await service.acknowledge(id, { id: 'zed', via: 'http', responderId: 'zed' })).ok).toBe(true);
  expect((await pages.events(id)).at(-1)).toMatchObject({ type: 'acknowledged', actor: 'zed', via: 'http' });
  expect(JSON.parse((await pages.events(id)).at(-1)!.detail!)).toEqual({ assigned: false, on_call: false });
});

test('resolve works straight from triggered; a resolved page refuses everything and changes nothing', async () => {
  const id = await trigger();
  expect((await service.resolve(id, { id: 'cli:root', via: 'cli' })).ok).toBe(true);
  const events = (await pages.events(id)).length;
  expect(await service.acknowledge(id, { id: 'alice', via: 'phone', responderId: 'alice' })).toMatchObject({
    ok: false,
    reason: 'already-resolved',
  });
  expect(await service.resolve(id, { id: 'alice', via: 'phone' })).toMatchObject({
    ok: false,
    reason: 'already-resolved',
  });
  expect(await service.escalateNow(id, { id: 'alice', via: 'phone' })).toMatchObject({
    ok: false,
    reason: 'already-resolved',
  });
  expect(await pages.events(id)).toHaveLength(events);
  expect(await service.acknowledge(999, { id: 'api', via: 'http' })).toEqual({
    ok: false,
    reason: 'not-found',
  });
});

test('escalate now moves the page at once and restarts the clock from there', async () => {
  const t0 = Date.now();
  const id = await trigger('db-team', t0);
  const result = await service.escalateNow(id, { id: 'alice', via: 'phone', responderId: 'alice' });
  expect(result.ok).toBe(true);
  const page = (await pages.get(id))!;
  expect(page.escalation_level).toBe(1);
  expect(page.next_escalation_at! - Date.now()).toBeGreaterThan(19 * MINUTE);
  expect((await pages.events(id)).at(-1)).toMatchObject({ type: 'escalated', actor: 'alice', via: 'phone' });
});

test('a level with nobody on call is passed at once', async () => {
  const t0 = Date.parse('2026-11-24T12:00:00Z'); // a Tuesday: the "empty" schedule covers Mondays 00:00-00:01 only
  const id = await trigger('net-team', t0);
  expect((await pages.get(id))!.next_escalation_at).toBe(t0);
  expect(JSON.parse((await pages.events(id))[1]!.detail!)).toMatchObject({
    responders: [],
    note: 'nobody on call at this level',
  });
  await service.escalateDue(t0);
  expect(await pages.get(id)).toMatchObject({ escalation_level: 1, next_escalation_at: t0 + 10 * MINUTE });
});

test('property: escalation visits levels in order, round by round, and always ends', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 4 }), (levelCount, repeat) => {
      const visited: string[] = [];
      let position = { level: 0, round: 0 };
      for (let steps = 0; steps < 100; steps++) {
        visited.push(`${position.round}:${position.level}`);
        const step = nextEscalation({ levelCount, repeat }, position);
        if (step.kind === 'exhausted') break;
        position = { level: step.level, round: step.round };
      }
      const expected = Array.from(
        { length: (repeat + 1) * levelCount },
        (_, i) => `${Math.floor(i / levelCount)}:${i % levelCount}`,
      );
      expect(visited).toEqual(expected);
    }),
  );
});

test('ack tokens: accepted once signed and fresh; tampered, foreign or expired ones are refused', () => {
  const secret = Buffer.alloc(32, 7);
  const now = Date.now();
  const token = createAckToken(secret, { pageId: 12, responderId: 'alice', expiresAt: now + MINUTE });
  const check = verifyAckToken(secret, token, now);
  expect(check).toMatchObject({ ok: true, claims: { pageId: 12, responderId: 'alice' } });
  expect(verifyAckToken(secret, token, now + MINUTE)).toEqual({ ok: false, reason: 'expired' });
  expect(verifyAckToken(Buffer.alloc(32, 8), token, now)).toEqual({ ok: false, reason: 'bad-signature' });
  const [payload, signature] = token.split('.');
  const forged = Buffer.from(JSON.stringify({ p: 13, r: 'alice', e: now + MINUTE, n: 'x' })).toString(
    'base64url',
  );
  expect(verifyAckToken(secret, `${forged}.${signature}`, now)).toEqual({
    ok: false,
    reason: 'bad-signature',
  });
  expect(verifyAckToken(secret, `${payload}`, now)).toEqual({ ok: false, reason: 'malformed' });
  expect(verifyAckToken(secret, '../../etc/passwd', now)).toEqual({ ok: false, reason: 'malformed' });
  const media = new URL(`http://x${signMediaPath(secret, 'vm-1', now + MINUTE)}`);
  const sig = media.searchParams.get('s')!;
  expect(verifyMediaSignature(secret, 'vm-1', now + MINUTE, sig, now)).toBe(true);
  expect(verifyMediaSignature(secret, 'vm-2', now + MINUTE, sig, now)).toBe(false);
  expect(verifyMediaSignature(secret, 'vm-1', now + MINUTE, sig, now + 2 * MINUTE)).toBe(false);
});

test('ack tokens and media signatures: every other spelling of the signature is refused', () => {
  const secret = Buffer.alloc(32, 7);
  const now = Date.now();
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  fc.assert(
    fc.property(fc.nat(), fc.constantFrom(...alphabet), (where, replacement) => {
      const token = createAckToken(secret, { pageId: 1, responderId: 'alice', expiresAt: now + MINUTE });
      const [payload, signature] = token.split('.') as [string, string];
      const at = where % signature.length;
      fc.pre(signature[at] !== replacement);
      const altered = signature.slice(0, at) + replacement + signature.slice(at + 1);
      expect(verifyAckToken(secret, `${payload}.${altered}`, now)).toEqual({
        ok: false,
        reason: 'bad-signature',
      });
      const media = new URL(`http://x${signMediaPath(secret, 'vm-1', now + MINUTE)}`);
      const sig = media.searchParams.get('s')!;
      const alteredMedia =
        sig.slice(0, at) +
        (sig[at] === replacement ? (replacement === 'A' ? 'B' : 'A') : replacement) +
        sig.slice(at + 1);
      expect(verifyMediaSignature(secret, 'vm-1', now + MINUTE, alteredMedia, now)).toBe(false);
    }),
    { numRuns: 500 },
  );
  // The two unused bits of the last character: decoding alone would accept these.
  const token = createAckToken(secret, { pageId: 1, expiresAt: now + MINUTE });
  const last = token.at(-1)!;
  const sibling = alphabet[alphabet.indexOf(last) ^ 1]!;
  expect(verifyAckToken(secret, token.slice(0, -1) + sibling, now)).toEqual({
    ok: false,
    reason: 'bad-signature',
  });
});
