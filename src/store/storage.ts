/**
 * The daemon's database, whichever it is: a SQLite file that one daemon holds (the default), or
 * a PostgreSQL several daemons share (settings.database: { url }). Everything the daemon needs
 * of it beyond the stores: the facts it keeps (link secret, database id), whether it takes
 * writes now (for /healthz), and closing.
 */
import * as os from 'node:os';
import type { PostgresSettings } from '../config/schema';
import { DAEMON_BUSY_TIMEOUT_MS, isBusy, openDatabase, type Db } from './database';
import { lockDatabase } from './lock';
import { databaseId, linkSigningSecret, sharedFacts } from './meta';
import type { SqlDatabase } from './sql/driver';
import { openPostgres } from './sql/postgres';
import { SqliteDatabase } from './sql/sqlite';

export interface DatabaseProbe {
  writable: boolean;
  /** Another process holds SQLite's write lock (a backup): reported, not waited for. */
  locked?: boolean;
  error?: string;
}

export interface Storage {
  readonly kind: 'sqlite' | 'postgres';
  readonly sql: SqlDatabase;
  /** The SQLite connection itself (WAL checkpoints, the one-daemon lock); undefined on PostgreSQL. */
  readonly sqlite: Db | undefined;
  readonly linkSecret: Buffer;
  readonly databaseId: string;
  /** Whether the database takes a write now. */
  probe(): Promise<DatabaseProbe>;
  close(): Promise<void>;
}

/** The SQLite file, held by this daemon alone: throws DatabaseInUseError when another holds it. */
export function openSqliteStorage(file: string): Storage {
  const db = openDatabase(file, { busyTimeoutMs: DAEMON_BUSY_TIMEOUT_MS });
  let lock;
  try {
    lock = lockDatabase(db, file);
  } catch (error) {
    db.close();
    throw error;
  }
  const probe = db.prepare(`INSERT OR REPLACE INTO meta (key, value) VALUES ('healthz', ?)`);
  return {
    kind: 'sqlite',
    sql: new SqliteDatabase(db, `sqlite:${file}`),
    sqlite: db,
    linkSecret: linkSigningSecret(db),
    databaseId: databaseId(db),
    probe: () => {
      try {
        probe.run(String(Date.now()));
        return Promise.resolve({ writable: true });
      } catch (error) {
        // The daemon's busy timeout is a few ms, so another process's lock is reported, not waited for.
        return Promise.resolve({ writable: false, locked: isBusy(error), error: (error as Error).message });
      }
    },
    close: () => {
      lock.release();
      db.close();
      return Promise.resolve();
    },
  };
}

/** How long /healthz waits for PostgreSQL to take its probe before calling it unwritable. */
const PROBE_TIMEOUT_MS = 2000;

/** The PostgreSQL database several daemons share, brought to this lcr's schema. */
export async function openPostgresStorage(
  settings: PostgresSettings,
  password: string | undefined,
  nodeId: string,
  onIdleError: (error: Error) => void,
): Promise<Storage> {
  const sql = await openPostgres({
    url: settings.url,
    ...(password === undefined ? {} : { password }),
    poolSize: settings.poolSize,
    onIdleError,
    applicationName: `lcr:${nodeId}`,
  });
  let facts;
  try {
    facts = await sharedFacts(sql);
  } catch (error) {
    await sql.close();
    throw error;
  }
  const key = `healthz:${nodeId}`;
  return {
    kind: 'postgres',
    sql,
    sqlite: undefined,
    ...facts,
    probe: async () => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer in ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS);
      });
      try {
        await Promise.race([
          sql.run(
            `INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
            [key, `${Date.now()} ${os.hostname()}`],
          ),
          late,
        ]);
        return { writable: true };
      } catch (error) {
        return { writable: false, error: (error as Error).message };
      } finally {
        clearTimeout(timer);
      }
    },
    close: () => sql.close(),
  };
}
