/**
 * Migration 3 on a database written by the previous version: used link tokens get an expiry to
 * be pruned by (reckoned generously from their use), and copies still owed are due at once.
 */
import Database from 'better-sqlite3';
import { CallStore } from '../../src/store/calls';
import { migrate } from '../../src/store/database';
import { LinkTokenStore } from '../../src/store/linkTokens';
import { MIGRATIONS } from '../../src/store/migrations';
import { SqliteDatabase } from '../../src/store/sql/sqlite';

const DAY = 24 * 3600_000;

test('a version 2 database: old tokens expire 30 days after their use, owed copies are due now', async () => {
  const db = new Database(':memory:');
  db.exec(MIGRATIONS[0]!);
  db.exec(MIGRATIONS[1]!);
  db.pragma('user_version = 2');
  db.prepare('INSERT INTO used_link_tokens (nonce, used_at) VALUES (?, ?)').run('old', 1000);
  db.prepare(`INSERT INTO calls (id, channel_id, started_at) VALUES ('c1', 'ch1', 1000)`).run();
  const voicemail = db.prepare(
    `INSERT INTO voicemails (id, call_id, route_id, team_id, recording_name, file_path, format, fetch_error, created_at)
     VALUES (?, 'c1', 'main', 'db-team', ?, ?, 'wav', ?, 1000)`,
  );
  voicemail.run('owed', 'rec-1', null, 'no answer from Asterisk');
  voicemail.run('copied', 'rec-2', '2026/12/copied.wav', null);

  migrate(db);
  expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
  expect(db.prepare('SELECT expires_at FROM used_link_tokens').pluck().get()).toBe(1000 + 30 * DAY);
  const sql = new SqliteDatabase(db, 'sqlite::memory:');
  const calls = new CallStore(sql);
  expect((await calls.voicemailsOwed(1, 10)).map((v) => [v.id, v.copy_retry_at, v.copy_attempts])).toEqual([
    ['owed', 0, 0],
  ]);
  expect((await calls.getVoicemail('copied'))!.copy_retry_at).toBeNull();

  const tokens = new LinkTokenStore(sql);
  expect(await tokens.prune(1000 + 30 * DAY)).toBe(0);
  expect(await tokens.prune(1001 + 30 * DAY)).toBe(1);
  db.close();
});
