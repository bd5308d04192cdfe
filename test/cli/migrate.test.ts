/**
 * `lcr migrate --from sqlite:FILE --to postgres://…`: an installation's SQLite database, written
 * by the real stores, copied by the real CLI into a real (throwaway) PostgreSQL, and read back
 * there through the same stores.
 */
import { StatusStore } from '../../src/store/statusMessages';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CallStore } from '../../src/store/calls';
import { openDatabase } from '../../src/store/database';
import { LinkTokenStore } from '../../src/store/linkTokens';
import { lockDatabase } from '../../src/store/lock';
import { databaseId, linkSigningSecret } from '../../src/store/meta';
import { NotificationStore } from '../../src/store/notifications';
import { PageStore } from '../../src/store/pages';
import { copyDatabase } from '../../src/store/sql/copy';
import type { SqlDatabase, SqlParams, SqlSession } from '../../src/store/sql/driver';
import { openPostgres } from '../../src/store/sql/postgres';
import { SqliteDatabase } from '../../src/store/sql/sqlite';
import { lcr } from '../helpers/cli';
import { describeWithPostgres } from '../helpers/postgres';
import { tempDir } from '../helpers/tmp';

const dir = tempDir();

/** Far past 2^31: epoch milliseconds must arrive as the same numbers. */
const T0 = Date.UTC(2026, 11, 4, 12, 0, 0);
const MINUTE = 60_000;
/** More calls than one batch (500 rows), so that the copy pages through the table. */
const EXTRA_CALLS = 1203;

const TABLES = [
  'calls',
  'call_legs',
  'voicemails',
  'pages',
  'page_assignments',
  'page_events',
  'page_callers',
  'notifications',
  'notification_attempts',
  'used_link_tokens',
  'meta',
  'leases',
  'nodes',
  'status_messages',
];

interface Installation {
  file: string;
  pageId: number;
  secret: Buffer;
  databaseId: string;
  /** Rows per table, as the copy should report them (meta without the old daemon's lock record). */
  counts: Record<string, number>;
}

/** An installation's database, with every kind of row, written through the stores. */
async function makeInstallation(file: string): Promise<Installation> {
  const db = openDatabase(file);
  const sql = new SqliteDatabase(db, `sqlite:${file}`);
  const calls = new CallStore(sql);
  calls.insertCall({
    id: 'c1',
    channel_id: 'ch1',
    caller_number: '+15551230001',
    caller_name: 'Sim',
    dialed_number: '5550100',
    started_at: T0,
  });
  calls.updateCall('c1', {
    route_id: 'main',
    option_key: '1',
    team_id: 'db-team',
    routing: 'voicemail',
    outcome: 'voicemail',
    outside_hours: 0,
    urgency: 'high',
    ended_at: T0 + 2 * MINUTE,
  });
  calls.insertLeg({
    id: 'l1',
    call_id: 'c1',
    responder_id: 'alice',
    phone: 'PJSIP/alice',
    level: 0,
    round: 0,
    channel_id: 'ch2',
    result: 'ringing',
    reason: null,
    started_at: T0 + 1000,
    ended_at: null,
  });
  calls.updateLeg('l1', { result: 'no-answer', hangup_cause: 19, ended_at: T0 + 31_000 });
  calls.insertVoicemail({
    id: 'v1',
    call_id: 'c1',
    route_id: 'main',
    team_id: 'db-team',
    recording_name: 'lcr-c1',
    file_path: '/var/spool/lcr/v1.wav',
    format: 'wav',
    duration_seconds: 12.375,
    size_bytes: 198_000,
    too_short: 0,
    ended_by: 'hangup',
    fetch_error: null,
    created_at: T0 + 90_000,
  });
  db.transaction(() => {
    for (let i = 0; i < EXTRA_CALLS; i++)
      calls.insertCall({
        id: `bulk-${i}`,
        channel_id: `bulk-ch-${i}`,
        caller_number: `+1555${String(i).padStart(7, '0')}`,
        caller_name: '',
        dialed_number: '5550100',
        started_at: T0 - (i + 1) * MINUTE,
      });
  })();
  expect((await calls.getCall('c1'))?.outcome).toBe('voicemail'); // flushes the queued writes

  const pages = new PageStore(sql);
  const notifications = new NotificationStore(sql);
  // A first page resolved, then the one the voicemail made: ids 1 and 2.
  const first = await pages.create({
    teamId: 'db-team',
    routeId: 'main',
    callId: null,
    voicemailId: null,
    callerNumber: null,
    summary: 'Earlier page',
    nextEscalationAt: null,
    now: T0 - MINUTE,
  });
  await pages.change(first.pageId, 'resolved', 'bob', 'cli', T0 - 30_000, { note: 'done' });
  const { pageId, eventId } = await pages.create({
    teamId: 'db-team',
    routeId: 'main',
    callId: 'c1',
    voicemailId: 'v1',
    callerNumber: '+15551230001',
    summary: 'Voicemail from +15551230001',
    urgency: 'high',
    nextEscalationAt: T0 + 12 * MINUTE,
    now: T0 + 2 * MINUTE,
  });
  await pages.assign(pageId, ['alice', 'bob'], 0, T0 + 2 * MINUTE);
  const assigned = await pages.appendEvent(pageId, T0 + 2 * MINUTE, 'assigned', 'system', 'automatic', {
    level: 0,
    responders: ['alice', 'bob'],
  });
  const email = await notifications.enqueue(
    { pageId, eventId, channel: 'email', responderId: 'alice', level: 0, dueAt: T0 + 2 * MINUTE },
    T0 + 2 * MINUTE,
  );
  await notifications.enqueue(
    { pageId, eventId: assigned, channel: 'webhook', webhookId: 'chat', dueAt: T0 + 2 * MINUTE },
    T0 + 2 * MINUTE,
  );
  expect(await notifications.claim(email, T0 + 2 * MINUTE + 10)).toBe(true);
  await sql.transaction((tx) =>
    notifications.in(tx).finish(email, {
      startedAt: T0 + 2 * MINUTE + 10,
      endedAt: T0 + 2 * MINUTE + 250,
      ok: false,
      detail: 'smtp: 421 try again later',
      next: { status: 'pending', dueAt: T0 + 3 * MINUTE },
    }),
  );
  await new LinkTokenStore(sql).use('nonce-1', T0 + 24 * 60 * MINUTE, T0 + 4 * MINUTE);

  const secret = linkSigningSecret(db);
  const id = databaseId(db);
  // The old daemon's lock record (store/lock.ts writes it at start): not copied.
  db.prepare(`INSERT OR REPLACE INTO meta (key, value) VALUES ('daemon', ?)`).run(
    JSON.stringify({ pid: 4242, host: 'old-host', started_at: T0 }),
  );
  db.prepare(
    `INSERT INTO leases (name, holder, token, acquired_at, expires_at) VALUES ('escalate-due-pages', 'old', 7, ?, ?)`,
  ).run(T0, T0 + 30_000);
  db.prepare(
    `INSERT INTO nodes (id, app, host, pid, started_at, heartbeat_at, stopped_at) VALUES ('n1', 'lcr', 'old-host', 4242, ?, ?, ?)`,
  ).run(T0, T0 + 5000, T0 + 6000);
  await new StatusStore(sql).set({
    routeId: 'main',
    teamId: null,
    text: 'Database outage, next update at 14:30',
    setBy: 'cli:root',
    via: 'cli',
    at: T0,
    expiresAt: T0 + 120 * MINUTE,
  });

  const counts: Record<string, number> = {};
  for (const table of TABLES)
    counts[table] = db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get() as number;
  counts['meta']! -= 1; // the 'daemon' row
  db.close();
  return { file, pageId, secret, databaseId: id, counts };
}

/** Every row of a table, in a stable order, as the engine returns it. */
async function dump(sql: SqlDatabase, table: string): Promise<unknown[]> {
  const order: Record<string, string> = {
    page_assignments: 'page_id, responder_id',
    used_link_tokens: 'nonce',
    meta: 'key',
    leases: 'name',
  };
  const by = order[table] ?? 'id';
  const rows = await sql.all<Record<string, unknown>>(`SELECT * FROM ${table} ORDER BY ${by}`);
  return table === 'meta' ? rows.filter((row) => row['key'] !== 'daemon') : rows;
}

/** Columns of an `INSERT INTO t (a, b, …) VALUES …`. */
const columnsOf = (sql: string): number =>
  sql.slice(sql.indexOf('(') + 1, sql.indexOf(')')).split(',').length;

async function counts(url: string): Promise<Record<string, number>> {
  const pg = await openPostgres({ url, poolSize: 1 });
  try {
    const result: Record<string, number> = {};
    for (const table of TABLES)
      result[table] = (await pg.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`))!.n;
    return result;
  } finally {
    await pg.close();
  }
}

/** `lcr migrate` run with `cwd` as the working directory (the source given relative to it). */
async function migrateFrom(cwd: string, ...args: string[]): ReturnType<typeof lcr> {
  const before = process.cwd();
  process.chdir(cwd);
  try {
    return await lcr('migrate', ...args);
  } finally {
    process.chdir(before);
  }
}

describeWithPostgres('lcr migrate into PostgreSQL', (cluster) => {
  let installation: Installation;
  beforeAll(async () => {
    installation = await makeInstallation(path.join(dir, 'lcr.db'));
  }, 60_000);

  test('copies every row, keeps the ids and the link secret, and new ids follow the copied ones', async () => {
    const url = await cluster().createDatabase();
    const withPassword = url.replace('postgres://lcr@', 'postgres://lcr:hunter2@');
    process.env['LCR_TEST_PG_PASSWORD'] = 'also-secret';
    const result = await migrateFrom(
      dir,
      '--from',
      'sqlite:lcr.db',
      '--to',
      withPassword,
      '--password-env',
      'LCR_TEST_PG_PASSWORD',
    );
    delete process.env['LCR_TEST_PG_PASSWORD'];
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);

    const { counts: expected } = installation;
    const total = Object.values(expected).reduce((a, b) => a + b, 0);
    expect(result.stdout.trimEnd().split('\n')).toEqual([
      ...TABLES.map((table) => `${table}: ${expected[table]} rows`),
      `copied ${total} rows from sqlite:${installation.file} to ${url}`,
    ]);
    expect(expected['calls']).toBe(EXTRA_CALLS + 1);
    expect(result.stdout).not.toContain('hunter2');
    expect(result.stdout).not.toContain('also-secret');

    const db = openDatabase(installation.file, { readonly: true });
    const sqlite = new SqliteDatabase(db, `sqlite:${installation.file}`);
    const pg = await openPostgres({ url });
    try {
      // Every table, row for row, down to the numbers' types.
      for (const table of TABLES)
        expect([table, await dump(pg, table)]).toEqual([table, await dump(sqlite, table)]);

      // Read back through the stores: the same page, timeline, notifications and attempts.
      const id = installation.pageId;
      const [from, to] = [new PageStore(sqlite), new PageStore(pg)];
      expect(await to.get(id)).toEqual(await from.get(id));
      expect(await to.events(id)).toEqual(await from.events(id));
      expect((await to.events(id)).map((e) => e.type)).toEqual(['triggered', 'assigned']);
      expect(await to.assignments(id)).toEqual(await from.assignments(id));
      const copiedNotifications = await new NotificationStore(pg).ofPageWithAttempts(id);
      expect(copiedNotifications).toEqual(await new NotificationStore(sqlite).ofPageWithAttempts(id));
      expect(copiedNotifications.flatMap((n) => n.attempts_made)).toHaveLength(1);
      const call = await new CallStore(sqlite).getCall('c1');
      expect(await pg.get('SELECT * FROM calls WHERE id = ?', ['c1'])).toEqual(call);
      expect(call).toMatchObject({ outcome: 'voicemail', ended_at: T0 + 2 * MINUTE });

      // The link secret (ack links already mailed still verify) and the database id came along;
      // the old daemon's lock record did not.
      const meta = await pg.all<{ key: string; value: string }>('SELECT key, value FROM meta ORDER BY key');
      expect(meta).toEqual([
        { key: 'database_id', value: installation.databaseId },
        { key: 'link_secret', value: installation.secret.toString('hex') },
      ]);

      // What the daemons write next gets ids past the copied ones.
      const pages = new PageStore(pg);
      const next = await pg.transaction((tx) =>
        pages.in(tx).create({
          teamId: 'db-team',
          routeId: 'main',
          callId: null,
          voicemailId: null,
          callerNumber: null,
          summary: 'First page on PostgreSQL',
          nextEscalationAt: null,
          now: T0 + 60 * MINUTE,
        }),
      );
      const maxOf = async (table: string) =>
        (await sqlite.get<{ id: number }>(`SELECT MAX(id) AS id FROM ${table}`))!.id;
      expect(next.pageId).toBe((await maxOf('pages')) + 1);
      expect(next.eventId).toBe((await maxOf('page_events')) + 1);
      const notification = await new NotificationStore(pg).enqueue(
        { pageId: next.pageId, eventId: next.eventId, channel: 'email', responderId: 'bob', dueAt: T0 },
        T0,
      );
      expect(notification).toBe((await maxOf('notifications')) + 1);
      const attempt = await pg.get<{ id: number }>(
        `INSERT INTO notification_attempts (notification_id, started_at, ended_at, ok, detail)
         VALUES (?, ?, ?, 1, 'ok') RETURNING id`,
        [notification, T0, T0],
      );
      expect(attempt!.id).toBe((await maxOf('notification_attempts')) + 1);
    } finally {
      await pg.close();
      db.close();
    }
  });

  test('refuses a target that is not empty, and writes nothing into it', async () => {
    const url = await cluster().createDatabase();
    const file = `sqlite:${installation.file}`;
    expect((await lcr('migrate', '--from', file, '--to', url)).code).toBe(0);
    const before = await counts(url);
    expect(before['pages']).toBe(installation.counts['pages']);

    const again = await lcr('migrate', '--from', file, '--to', url);
    expect(again.code).toBe(1);
    expect(again.stdout).toBe('');
    expect(again.stderr).toContain(
      `is not empty (${installation.counts['pages']} pages, ${installation.counts['calls']} calls, ` +
        `${installation.counts['notifications']} notifications, ${installation.counts['meta']} meta rows): ` +
        'lcr migrate copies into an empty database only',
    );
    expect(again.stderr).not.toMatch(/\n\s+at /);
    expect(await counts(url)).toEqual(before);
  });

  test('a failure half-way leaves the target without a row', async () => {
    // The last table copied holds a text PostgreSQL refuses (a NUL character): every table
    // before it has been written by then, in the transaction that is rolled back.
    const file = path.join(dir, 'nul.db');
    fs.copyFileSync(installation.file, file);
    const db = openDatabase(file);
    db.prepare(`UPDATE nodes SET host = 'old' || char(0) || 'host'`).run();
    db.close();
    const url = await cluster().createDatabase();
    const result = await lcr('migrate', '--from', `sqlite:${file}`, '--to', url);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`lcr: copy to ${url} failed, nothing was written: `);
    expect(result.stdout).toContain(`calls: ${installation.counts['calls']} rows`);
    expect(result.stdout).not.toContain('copied');
    expect(Object.values(await counts(url)).every((n) => n === 0)).toBe(true);
  });

  test('reads the source a page at a time and writes at most 500 rows per statement', async () => {
    const db = openDatabase(installation.file, { readonly: true });
    const source = new SqliteDatabase(db, `sqlite:${installation.file}`);
    const pg = await openPostgres({ url: await cluster().createDatabase() });
    const read: number[] = [];
    const inserted: number[] = [];
    // The source tells how many rows each read of calls returned; the target, each INSERT's.
    const from: SqlDatabase = {
      dialect: source.dialect,
      location: source.location,
      all: async <T>(sql: string, params?: SqlParams) => {
        const rows = await source.all<T>(sql, params);
        if (sql.includes('FROM "calls"')) read.push(rows.length);
        return rows;
      },
      get: (sql, params) => source.get(sql, params),
      run: (sql, params) => source.run(sql, params),
      transaction: (work) => source.transaction(work),
      stillOpen: () => source.stillOpen(),
      close: () => source.close(),
    };
    const spy = (tx: SqlSession): SqlSession => ({
      dialect: tx.dialect,
      all: (sql, params) => tx.all(sql, params),
      get: (sql, params) => tx.get(sql, params),
      transaction: (work) => tx.transaction(work),
      stillOpen: () => tx.stillOpen(),
      run: (sql, params) => {
        if (sql.startsWith('INSERT INTO "calls"')) inserted.push((params?.length ?? 0) / columnsOf(sql));
        return tx.run(sql, params);
      },
    });
    const to: SqlDatabase = {
      dialect: pg.dialect,
      location: pg.location,
      all: (sql, params) => pg.all(sql, params),
      get: (sql, params) => pg.get(sql, params),
      run: (sql, params) => pg.run(sql, params),
      transaction: (work) => pg.transaction((tx) => work(spy(tx))),
      stillOpen: () => pg.stillOpen(),
      close: () => pg.close(),
    };
    try {
      const report = await copyDatabase(from, to);
      expect(report.tables.find((t) => t.table === 'calls')?.rows).toBe(EXTRA_CALLS + 1);
      expect(read).toEqual([500, 500, 204, 0]);
      expect(inserted).toEqual([500, 500, 204]);
    } finally {
      await pg.close();
      db.close();
    }
  });

  test('a source from an older lcr is refused until its daemon has brought it up to date', async () => {
    const file = path.join(dir, 'old.db');
    const old = openDatabase(file);
    old.pragma('user_version = 7');
    old.close();
    const url = await cluster().createDatabase();
    const result = await lcr('migrate', '--from', `sqlite:${file}`, '--to', url);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/schema version 7, older than this lcr's \(\d+\): start the daemon/);
    expect((await counts(url))['meta']).toBe(0);
  });
});

describe('lcr migrate usage', () => {
  test('--to must be a PostgreSQL URL: a usage error, exit 2', async () => {
    const result = await lcr('migrate', '--from', 'sqlite:lcr.db', '--to', 'mysql://x');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--to must be a PostgreSQL URL');
    expect(result.stderr).toContain('not a mysql: one');
  });

  test('--from must be sqlite:FILE, and both are required', async () => {
    const plain = await lcr('migrate', '--from', 'lcr.db', '--to', 'postgres://127.0.0.1/lcr');
    expect(plain.code).toBe(2);
    expect(plain.stderr).toContain('--from must be sqlite:FILE');
    expect((await lcr('migrate', '--from', 'sqlite:lcr.db')).code).toBe(2);
    expect((await lcr('migrate', '--to', 'postgres://127.0.0.1/lcr')).code).toBe(2);
  });

  test('a database a daemon still runs on is refused: what it writes after the copy would be lost', async () => {
    const file = path.join(dir, 'running.db');
    const running = openDatabase(file);
    const lock = lockDatabase(running, file);
    try {
      const result = await lcr('migrate', '--from', `sqlite:${file}`, '--to', 'postgres://127.0.0.1:1/lcr');
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('in use by a running lcr daemon: stop it first');
    } finally {
      lock.release();
      running.close();
    }
  });

  test('a source file that does not exist is an error, exit 1, before any connection', async () => {
    const result = await lcr(
      'migrate',
      '--from',
      `sqlite:${path.join(dir, 'nope.db')}`,
      '--to',
      'postgres://127.0.0.1:1/lcr',
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('does not exist yet');
  });
});
