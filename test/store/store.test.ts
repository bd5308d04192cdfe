import * as path from 'node:path';
import Database from 'better-sqlite3';
import { openDatabase, DatabaseError } from '../../src/store/database';
import { MIGRATIONS } from '../../src/store/migrations';
import { CallStore } from '../../src/store/calls';
import { PageStore } from '../../src/store/pages';
import { SqliteDatabase } from '../../src/store/sql/sqlite';
import { tempDir } from '../helpers/tmp';

const dir = tempDir();

test('a new database gets WAL and every migration', () => {
  const file = path.join(dir, 'new', 'lcr.db');
  const db = openDatabase(file);
  expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
  expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
  const tables = (
    db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{
      name: string;
    }>
  ).map((r) => r.name);
  expect(tables).toEqual(
    expect.arrayContaining(['calls', 'call_legs', 'voicemails', 'pages', 'page_assignments', 'page_events']),
  );
  db.close();
  // Opening again applies nothing twice.
  const again = openDatabase(file);
  expect(again.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
  again.close();
});

test('a database from a newer lcr is refused', () => {
  const file = path.join(dir, 'future.db');
  const raw = new Database(file);
  raw.pragma(`user_version = ${MIGRATIONS.length + 5}`);
  raw.close();
  expect(() => openDatabase(file)).toThrow(DatabaseError);
});

test('reading a database that does not exist says how to create it', () => {
  expect(() => openDatabase(path.join(dir, 'missing.db'), { readonly: true })).toThrow(/does not exist yet/);
});

test('calls, legs, voicemails and pages round-trip; partial updates leave other columns alone', async () => {
  const db = openDatabase(path.join(dir, 'rows.db'));
  const sql = new SqliteDatabase(db, `sqlite:${path.join(dir, 'rows.db')}`);
  const calls = new CallStore(sql);
  calls.insertCall({
    id: 'c1',
    channel_id: 'ch1',
    caller_number: '+15551230001',
    caller_name: 'Sim',
    dialed_number: '5550100',
    started_at: 1000,
  });
  calls.updateCall('c1', { route_id: 'hotline', option_key: '1' });
  calls.updateCall('c1', { outcome: 'voicemail', ended_at: 9000 });
  expect(await calls.getCall('c1')).toMatchObject({
    route_id: 'hotline',
    option_key: '1',
    outcome: 'voicemail',
    ended_at: 9000,
    answered_at: null,
  });
  calls.updateCall('c1', { outcome_detail: null });
  expect((await calls.getCall('c1'))?.outcome).toBe('voicemail');

  calls.insertLeg({
    id: 'l1',
    call_id: 'c1',
    responder_id: 'alice',
    phone: 'PJSIP/alice',
    level: 0,
    round: 0,
    channel_id: null,
    result: 'ringing',
    reason: null,
    started_at: 2000,
    ended_at: null,
  });
  calls.updateLeg('l1', { result: 'busy', hangup_cause: 17, ended_at: 2500 });
  expect(await calls.legsOfCall('c1')).toEqual([
    expect.objectContaining({ result: 'busy', hangup_cause: 17, phone: 'PJSIP/alice' }),
  ]);

  const pages = new PageStore(sql);
  const { pageId: id } = await pages.create({
    teamId: 'db-team',
    routeId: 'hotline',
    callId: 'c1',
    voicemailId: null,
    callerNumber: '+15551230001',
    summary: 'Voicemail from +15551230001',
    nextEscalationAt: 61000,
    now: 1000,
  });
  await pages.assign(id, ['alice', 'bob'], 0, 1000);
  await pages.appendEvent(id, 1000, 'assigned', 'system', 'automatic', { level: 0 });
  expect(await pages.get(id)).toMatchObject({
    status: 'triggered',
    escalation_level: 0,
    next_escalation_at: 61000,
  });
  expect((await pages.assignments(id)).map((a) => a.responder_id)).toEqual(['alice', 'bob']);
  expect((await pages.events(id)).map((e) => e.type)).toEqual(['triggered', 'assigned']);
  expect((await pages.list(10, 'triggered')).map((p) => p.id)).toEqual([id]);
  expect(await pages.list(10, 'resolved')).toEqual([]);
  db.close();
});
