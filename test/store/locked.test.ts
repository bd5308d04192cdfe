/**
 * The store while another connection holds the write lock (`BEGIN IMMEDIATE` on a second
 * better-sqlite3 connection to the same file, as a backup job would): the daemon's connection
 * is told at once instead of waiting, reads still work (WAL), the call log's writes wait in order
 * and land once the lock is gone, and retryTransient waits on timers (issue 17, item 2).
 */
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { DAEMON_BUSY_TIMEOUT_MS, isBusy, openDatabase, type Db } from '../../src/store/database';
import { CallStore } from '../../src/store/calls';
import { SqliteDatabase } from '../../src/store/sql/sqlite';
import { retryTransient } from '../../src/store/sql/driver';
import { tempDir } from '../helpers/tmp';

const dir = tempDir();
let db: Db;
let other: Database.Database;
let file: string;
let n = 0;

beforeEach(() => {
  file = path.join(dir, `locked-${n++}.db`);
  db = openDatabase(file, { busyTimeoutMs: DAEMON_BUSY_TIMEOUT_MS });
  other = new Database(file);
  other.exec('BEGIN IMMEDIATE');
});
afterEach(() => {
  if (other.inTransaction) other.exec('COMMIT');
  other.close();
  db.close();
});

const call = (id: string) => ({
  id,
  channel_id: `ch-${id}`,
  caller_number: '+15551230001',
  caller_name: '',
  dialed_number: '+15550100',
  started_at: 1000,
});

test('a write meets the lock as SQLITE_BUSY at once; reads still see the last committed state', () => {
  expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
  let thrown: unknown;
  try {
    db.prepare(`INSERT OR REPLACE INTO meta (key, value) VALUES ('probe', '1')`).run();
  } catch (error) {
    thrown = error;
  }
  expect(isBusy(thrown)).toBe(true);
  expect(db.prepare('SELECT COUNT(*) AS n FROM calls').get()).toEqual({ n: 0 });
});

test('call log writes wait for the lock in order, observers after they land, and nothing is lost', async () => {
  const ended: string[] = [];
  const calls = new CallStore(new SqliteDatabase(db, `sqlite:${file}`), (error) => {
    throw error;
  });
  calls.observe({ callEnded: (row) => ended.push(`${row.id} ${row.outcome}`) });
  calls.insertCall(call('a'));
  calls.updateCall('a', { answered_at: 1100 });
  calls.insertLeg({
    id: 'leg-1',
    call_id: 'a',
    responder_id: 'alice',
    phone: 'PJSIP/alice',
    level: 0,
    round: 0,
    channel_id: null,
    result: 'ringing',
    reason: null,
    started_at: 1200,
    ended_at: null,
  });
  calls.updateCall('a', { outcome: 'voicemail', ended_at: 1300 });
  expect(calls.writes.pending).toBe(4);
  expect(await calls.getCall('a')).toBeUndefined();
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect(ended).toEqual([]);

  other.exec('COMMIT');
  await calls.writes.flushed();
  expect(await calls.getCall('a')).toMatchObject({ answered_at: 1100, outcome: 'voicemail', ended_at: 1300 });
  expect((await calls.legsOfCall('a')).map((l) => l.id)).toEqual(['leg-1']);
  expect(ended).toEqual(['a voicemail']);
  // With nothing queued, a new row is written at once (pages and legs refer to it), an update at
  // the end of the turn, or by the first read of the rows.
  calls.insertCall(call('b'));
  expect(other.prepare("SELECT id FROM calls WHERE id = 'b'").get()).toEqual({ id: 'b' });
  // The write made at once still counts as under way until its promise settles (a microtask).
  await calls.writes.settled();
  expect(calls.writes.pending).toBe(0);
  calls.updateCall('b', { outcome: 'abandoned' });
  expect(calls.writes.pending).toBe(1);
  expect(other.prepare("SELECT outcome FROM calls WHERE id = 'b'").get()).toEqual({ outcome: null });
  await new Promise((resolve) => setImmediate(resolve));
  expect(calls.writes.pending).toBe(0);
  expect(other.prepare("SELECT outcome FROM calls WHERE id = 'b'").get()).toEqual({ outcome: 'abandoned' });
  calls.updateCall('b', { outcome: 'voicemail' });
  expect(await calls.getCall('b')).toMatchObject({ outcome: 'voicemail' });
});

test('retryTransient waits for the lock on timers and returns what the work returns', async () => {
  let tries = 0;
  let ticks = 0;
  const ticker = setInterval(() => ticks++, 5);
  setTimeout(() => other.exec('COMMIT'), 100);
  const written = await retryTransient(async () => {
    tries++;
    return db.prepare(`INSERT OR REPLACE INTO meta (key, value) VALUES ('probe', '2')`).run().changes;
  });
  clearInterval(ticker);
  expect(written).toBe(1);
  expect(tries).toBeGreaterThan(1);
  // The event loop went on while it waited.
  expect(ticks).toBeGreaterThan(1);
  // Any other error is not waited on.
  let calls = 0;
  const failing = retryTransient(() => {
    calls++;
    return Promise.reject(Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' }));
  });
  await expect(failing).rejects.toThrow('disk I/O error');
  expect(calls).toBe(1);
});
