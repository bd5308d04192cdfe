/**
 * Each engine module on a real (in-memory) database, driven by a fake clock through the engine
 * the daemon builds (createEngine): escalations fire at their deadline and once, overdue work runs
 * at start, recovery closes and releases what a crash left, voicemail copies are retried with
 * backoff, and used link tokens are pruned after their retention.
 */
import { silentLogger, type Logger } from '../../src/log/logger';
import type { Notifier, SendResult } from '../../src/notifications/types';
import { createAckToken, verifyAckToken } from '../../src/paging/links';
import { LINK_TOKEN_RETENTION_MS, MODULES } from '../../src/paging/modules';
import type { CopyResult } from '../../src/store/calls';
import { configFromText } from '../helpers/config';
import { FakeClock } from '../helpers/fakeClock';
import { startPagingWorld, type PagingWorld } from '../helpers/pagingEngine';

const config = configFromText(`asterisk: { url: 'http://127.0.0.1:8088', username: lcr, password: x }
responders:
  - { id: alice, name: Alice, phones: ['PJSIP/alice'] }
  - { id: carol, name: Carol, phones: ['PJSIP/carol'] }
escalation_policies:
  - id: p
    levels:
      - { targets: [{ responder: alice }], escalate_after: 10m }
      - { targets: [{ responder: carol }], escalate_after: 10m }
teams:
  - { id: db-team, name: Database, escalation_policy: p }
routes:
  - { id: main, name: Main, numbers: ['+1 555 0100'], routing: voicemail, options: [{ key: 1, team: db-team, label: DB }] }
`);
const MINUTE = 60_000;

interface World extends PagingWorld {
  clock: FakeClock;
  /** Phone calls made: responder and fake time. */
  rang: Array<[string, number]>;
  copies: CopyResult[];
  copyTimes: number[];
  connected: { value: boolean };
  logs: string[];
}

let world: World;

beforeEach(() => {
  const clock = new FakeClock();
  const logs: string[] = [];
  const logger: Logger = { ...silentLogger, error: (m) => logs.push(m), warn: (m) => logs.push(m) };
  const rang: Array<[string, number]> = [];
  const phone: Notifier = {
    send: async ({ notification }): Promise<SendResult> => {
      rang.push([notification.responder_id!, clock.now()]);
      return { ok: true, detail: 'answered' };
    },
  };
  const copies: CopyResult[] = [];
  const copyTimes: number[] = [];
  const connected = { value: true };
  const paging = startPagingWorld({
    config,
    clock,
    notifiers: { phone },
    logger,
    copyVoicemail: async () => {
      copyTimes.push(clock.now());
      return copies.shift() ?? { error: 'no answer from Asterisk' };
    },
    ariConnected: () => connected.value,
  });
  world = { ...paging, clock, rang, copies, copyTimes, connected, logs };
});

afterEach(() => world.stop());

async function trigger(at = world.clock.now()): Promise<number> {
  const page = await world.service.trigger({
    teamId: 'db-team',
    routeId: 'main',
    callId: null,
    voicemailId: null,
    callerNumber: '+15551230001',
    summary: 'test page',
    at,
  });
  return page.pageId;
}

const types = async (pageId: number): Promise<string[]> =>
  (await world.pages.events(pageId)).map((e) => e.type);

test('a page escalates at its deadline, once, and each level is rung when it is reached', async () => {
  const { clock, engine } = world;
  await engine.start();
  const t0 = clock.now();
  const id = await trigger(t0);
  await clock.advance(0);
  expect(world.rang).toEqual([['alice', t0]]);
  // The engine sleeps until the deadline (a poll aside): nothing moves a millisecond early.
  await clock.advance(10 * MINUTE - 1);
  expect(await types(id)).toEqual(['triggered', 'assigned']);
  await clock.advance(1);
  expect(await types(id)).toEqual(['triggered', 'assigned', 'escalated']);
  expect((await world.pages.events(id)).at(-1)!.at).toBe(t0 + 10 * MINUTE);
  expect(world.rang).toEqual([
    ['alice', t0],
    ['carol', t0 + 10 * MINUTE],
  ]);
  await clock.advance(60 * MINUTE);
  expect(await types(id)).toEqual(['triggered', 'assigned', 'escalated', 'exhausted']);
  expect(await world.pages.get(id)).toMatchObject({ escalation_level: 1, next_escalation_at: null });
  expect(world.rang).toHaveLength(2);
});

test('at start, recovery runs first: interrupted sends go out again; open calls are left to the reconciliation', async () => {
  const { clock, calls, notifications, engine } = world;
  const id = await trigger(clock.now() - MINUTE);
  const [row] = await notifications.ofPage(id);
  await notifications.claim(row!.id, clock.now() - MINUTE); // the last process died while ringing alice
  calls.insertCall({
    id: 'cut-short',
    channel_id: 'gone',
    caller_number: '+1555',
    caller_name: '',
    dialed_number: '5550100',
    started_at: clock.now() - MINUTE,
  });
  const startedAt = clock.now();
  await engine.start();
  // Asterisk may still hold the call's channel: the reconciliation on connection decides, not the engine.
  expect(await calls.getCall('cut-short')).toMatchObject({ outcome: null, ended_at: null });
  expect((await notifications.ofPage(id))[0]!.status).toBe('pending');
  expect(world.rang).toEqual([]);
  await clock.advance(0);
  expect(world.rang).toEqual([['alice', startedAt]]);
  expect((await notifications.ofPage(id))[0]).toMatchObject({ status: 'sent', attempts: 2 });
  expect(world.logs).toContain('notifications interrupted by the last stop will be sent again');
});

test('deadlines missed while the daemon was down fire once at start; more than a batch, all of them', async () => {
  const { clock, engine, pages } = world;
  const t0 = clock.now();
  const ids: number[] = [];
  for (let i = 0; i < 1201; i++) ids.push(await trigger(t0 - 15 * MINUTE));
  await engine.start();
  await clock.advance(0);
  for (const id of [ids[0]!, ids[600]!, ids[1200]!]) {
    expect(await types(id)).toEqual(['triggered', 'assigned', 'escalated']);
    // The next deadline counts from when the escalation happened, not from the missed one.
    expect((await pages.get(id))!.next_escalation_at).toBe(t0 + 10 * MINUTE);
  }
  expect(await pages.due(clock.now(), 10)).toEqual([]);
});

async function failedVoicemail(): Promise<string> {
  const { calls, clock } = world;
  calls.insertCall({
    id: 'c1',
    channel_id: 'ch1',
    caller_number: '+1555',
    caller_name: '',
    dialed_number: '5550100',
    started_at: clock.now(),
  });
  calls.insertVoicemail({
    id: 'vm1',
    call_id: 'c1',
    route_id: 'main',
    team_id: 'db-team',
    recording_name: 'rec-1',
    file_path: null,
    format: 'wav',
    duration_seconds: 5,
    size_bytes: null,
    too_short: 0,
    ended_by: 'dtmf',
    fetch_error: null,
    created_at: clock.now(),
  });
  // What the call flow records when its own attempts fail.
  calls.updateVoicemailFile('vm1', null, null, 'no answer from Asterisk within 2000 ms');
  return 'vm1';
}

test('a failed voicemail copy is retried with backoff, at once on reconnection, never while disconnected', async () => {
  const { clock, engine, calls } = world;
  const id = await failedVoicemail();
  world.connected.value = false;
  await engine.start();
  await clock.advance(30 * MINUTE);
  expect(world.copyTimes).toEqual([]);
  const t0 = clock.now();
  world.connected.value = true;
  // What the daemon does when ARI connects.
  world.voicemailCopies.retryNow();
  engine.wake(MODULES.voicemailCopies);
  await clock.advance(30_000 + 60_000);
  // At once, then 30 s later, then a minute after that (DEFAULT_RETRY).
  expect(world.copyTimes).toEqual([t0, t0 + 30_000, t0 + 90_000]);
  expect(await calls.getVoicemail(id)).toMatchObject({
    copy_attempts: 3,
    copy_retry_at: t0 + 90_000 + 120_000,
  });
  // Asterisk comes back after a drop: tried at once, whatever the backoff says.
  world.copies.push({ file: '2026/12/vm1.wav', size: 1234 });
  world.voicemailCopies.retryNow();
  engine.wake(MODULES.voicemailCopies);
  await clock.advance(0);
  expect(world.copyTimes).toHaveLength(4);
  expect(await calls.getVoicemail(id)).toMatchObject({
    file_path: '2026/12/vm1.wav',
    size_bytes: 1234,
    fetch_error: null,
    copy_retry_at: null,
  });
  await clock.advance(24 * 60 * MINUTE);
  expect(world.copyTimes).toHaveLength(4);
});

test('a recording Asterisk no longer has is given up, loudly', async () => {
  const { clock, engine, calls } = world;
  const id = await failedVoicemail();
  world.copies.push({ error: 'Recording not found' });
  await engine.start();
  await clock.advance(24 * 60 * MINUTE);
  expect(world.copyTimes).toHaveLength(1);
  expect(await calls.getVoicemail(id)).toMatchObject({
    file_path: null,
    fetch_error: 'Recording not found',
    copy_retry_at: null,
  });
  expect(world.logs).toContain('voicemail is gone from Asterisk and was never copied');
});

test('used link tokens are pruned once expired for longer than the retention, hourly', async () => {
  const { clock, engine, tokens, db } = world;
  const secret = Buffer.alloc(32, 1);
  const t0 = clock.now();
  const token = createAckToken(secret, { pageId: 1, expiresAt: t0 + 60 * MINUTE });
  const check = verifyAckToken(secret, token, t0);
  if (!check.ok) throw new Error('token refused');
  expect(await tokens.use(check.claims.nonce, check.claims.expiresAt, t0)).toBe(true);
  expect(await tokens.use(check.claims.nonce, check.claims.expiresAt, t0 + 1)).toBe(false);
  expect(await tokens.use('long-lived', t0 + 30 * 24 * 60 * MINUTE, t0)).toBe(true);
  const count = (): number =>
    (db.prepare('SELECT COUNT(*) AS n FROM used_link_tokens').get() as { n: number }).n;
  await engine.start();
  await clock.advance(60 * MINUTE + LINK_TOKEN_RETENTION_MS - MINUTE);
  expect(count()).toBe(2);
  await clock.advance(61 * MINUTE);
  expect(count()).toBe(1);
  // Pruned means long expired: the link is refused before its nonce is ever looked up.
  expect(verifyAckToken(secret, token, clock.now())).toEqual({ ok: false, reason: 'expired' });
});
