/**
 * The call log's writes of one turn share one transaction (a commit per write was the daemon's
 * most expensive line at 1,000 direct calls). Observed from a second connection to the same
 * file: nothing of the turn shows until the commit, then all of it; a write that fails alone
 * fails alone; and when the database fills up mid-turn (SQLite's max_page_count gives the real
 * SQLITE_FULL, which rolls the whole transaction back), the writes before the failing one are
 * made again one by one, with the observers told once.
 */
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { DAEMON_BUSY_TIMEOUT_MS, openDatabase, type Db } from '../../src/store/database';
import { CallStore } from '../../src/store/calls';
import { SqliteDatabase } from '../../src/store/sql/sqlite';
import { tempDir } from '../helpers/tmp';

const dir = tempDir();
let db: Db;
let sql: SqliteDatabase;
let other: Database.Database;
let n = 0;

beforeEach(() => {
  const file = path.join(dir, `turn-${n++}.db`);
  db = openDatabase(file, { busyTimeoutMs: DAEMON_BUSY_TIMEOUT_MS });
  sql = new SqliteDatabase(db, `sqlite:${file}`);
  other = new Database(file);
});
afterEach(() => {
  other.close();
  db.close();
});

const call = (id: string, name = '') => ({
  id,
  channel_id: `ch-${id}`,
  caller_number: '+15551230001',
  caller_name: name,
  dialed_number: '+15550100',
  started_at: 1000,
});
const endOfTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const outcomes = (): unknown[] => other.prepare('SELECT id, outcome FROM calls ORDER BY id').all();

test("a turn's writes land together, in one transaction, at the end of the turn", async () => {
  const calls = new CallStore(sql, (error) => {
    throw error;
  });
  for (const id of ['a', 'b', 'c']) calls.insertCall(call(id));
  // Only a lone new row lands at once; the next ones follow it as soon as it has (a microtask).
  await calls.writes.settled();
  let insideTransaction: boolean | undefined;
  calls.observe({ callEnded: () => (insideTransaction = db.inTransaction) });
  calls.updateCall('a', { outcome: 'voicemail', ended_at: 1100 });
  calls.updateCall('b', { outcome: 'connected' });
  calls.updateCall('c', { outcome: 'abandoned' });
  expect(outcomes()).toEqual([
    { id: 'a', outcome: null },
    { id: 'b', outcome: null },
    { id: 'c', outcome: null },
  ]);
  await endOfTurn();
  expect(insideTransaction).toBe(true);
  expect(db.inTransaction).toBe(false);
  expect(outcomes()).toEqual([
    { id: 'a', outcome: 'voicemail' },
    { id: 'b', outcome: 'connected' },
    { id: 'c', outcome: 'abandoned' },
  ]);
  expect(calls.writes.failures).toBe(0);
});

const leg = (id: string, callId = 'a') => ({
  id,
  call_id: callId,
  responder_id: 'alice',
  phone: 'PJSIP/alice',
  level: 0,
  round: 0,
  channel_id: null,
  result: 'ringing' as const,
  reason: null,
  started_at: 1200,
  ended_at: null,
});

test('a write refused on its own (a broken reference) is lost alone; the rest of the turn lands', async () => {
  const lost: string[] = [];
  const calls = new CallStore(sql, (error) => lost.push((error as { code?: string }).code ?? error.message));
  calls.insertCall(call('a'));
  calls.updateCall('a', { outcome: 'voicemail' });
  calls.insertLeg(leg('leg-1', 'no-such-call'));
  calls.updateCall('a', { ended_at: 1300 });
  await endOfTurn();
  expect(lost).toEqual(['SQLITE_CONSTRAINT_FOREIGNKEY']);
  expect(calls.writes.failures).toBe(1);
  expect(other.prepare("SELECT outcome, ended_at FROM calls WHERE id = 'a'").get()).toEqual({
    outcome: 'voicemail',
    ended_at: 1300,
  });
});

test('a database that fills up mid-turn: the writes before the full one are made again, observers told once', async () => {
  const lost: string[] = [];
  const ended: string[] = [];
  const calls = new CallStore(sql, (error) => lost.push((error as { code?: string }).code ?? error.message));
  calls.observe({ callEnded: (row) => ended.push(row.id) });
  calls.insertCall(call('a'));
  for (let i = 0; i < 6; i++) calls.insertLeg(leg(`leg-${i}`));
  await calls.writes.settled();
  // Room for a page more only: the turn's long reasons fill it.
  db.pragma(`max_page_count = ${(db.pragma('page_count', { simple: true }) as number) + 1}`);
  calls.updateCall('a', { outcome: 'voicemail', ended_at: 1100 });
  for (let i = 0; i < 6; i++) calls.updateLeg(`leg-${i}`, { reason: `${i}${'x'.repeat(3000)}` });
  await endOfTurn();
  expect(db.inTransaction).toBe(false);
  expect(lost[0]).toBe('SQLITE_FULL');
  // The first update landed although the transaction it was made in was rolled back.
  expect(other.prepare("SELECT outcome, ended_at FROM calls WHERE id = 'a'").get()).toEqual({
    outcome: 'voicemail',
    ended_at: 1100,
  });
  expect(ended).toEqual(['a']);
});

test('updates wait for the end of the turn even while the inserts before them are still landing', async () => {
  const calls = new CallStore(new SqliteDatabase(db, 'sqlite:turn'), (error) => {
    throw error;
  });
  calls.insertCall(call('a'));
  calls.insertCall(call('b')); // behind the first, still in flight
  calls.updateCall('a', { outcome: 'voicemail' });
  calls.updateCall('b', { outcome: 'connected' });
  let turnEnded = false;
  setImmediate(() => (turnEnded = true));
  for (let i = 0; i < 50 && !turnEnded; i++) await Promise.resolve();
  // The inserts have landed, the updates not yet: they are the turn's, made at its end.
  expect(outcomes()).toEqual([
    { id: 'a', outcome: null },
    { id: 'b', outcome: null },
  ]);
  await endOfTurn();
  expect(outcomes()).toEqual([
    { id: 'a', outcome: 'voicemail' },
    { id: 'b', outcome: 'connected' },
  ]);
});
