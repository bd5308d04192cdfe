/**
 * Opens the SQLite database the daemon owns: WAL journal so readers (the CLI) never block the
 * daemon, foreign keys on, migrations applied at open.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS } from './migrations';
import { namedError } from '../util/namedError';

export type Db = Database.Database;

export class DatabaseError extends namedError('DatabaseError') {}

export interface OpenOptions {
  readonly?: boolean;
  /**
   * How long one statement waits for another connection's lock once the database is open
   * (default 5 s, fine for the CLI). better-sqlite3 is synchronous, so this wait spins on the
   * event loop: the daemon sets a few milliseconds and waits for longer locks on timers instead
   * (retryTransient in sql/driver.ts, WriteQueue), so that calls keep being served (issue 17).
   */
  busyTimeoutMs?: number;
}

/** The daemon's busy timeout: short enough that a locked database never stalls the event loop. */
export const DAEMON_BUSY_TIMEOUT_MS = 3;

/** True when `error` is SQLite saying another connection holds the lock (SQLITE_BUSY, SQLITE_LOCKED). */
export function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

export function openDatabase(file: string, options: OpenOptions = {}): Db {
  if (file !== ':memory:' && !options.readonly) fs.mkdirSync(path.dirname(file), { recursive: true });
  if (options.readonly && file !== ':memory:' && !fs.existsSync(file)) {
    throw new DatabaseError(
      `database ${file} does not exist yet: start the daemon once (lcr start) to create it`,
    );
  }
  let db: Db;
  try {
    db = new Database(file, {
      readonly: options.readonly ?? false,
      fileMustExist: options.readonly ?? false,
    });
  } catch (error) {
    throw new DatabaseError(`cannot open database ${file}: ${(error as Error).message}`);
  }
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  if (!options.readonly) {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    migrate(db);
  } else {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > MIGRATIONS.length) {
      throw new DatabaseError(
        `database ${file} has schema version ${version}, newer than this lcr (${MIGRATIONS.length})`,
      );
    }
  }
  // Migrations (at open, before anything is served) may wait the full 5 s; from now on, the short one.
  if (options.busyTimeoutMs !== undefined)
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs))}`);
  return db;
}

export function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new DatabaseError(
      `database schema version ${current} is newer than this lcr knows (${MIGRATIONS.length}); upgrade lcr`,
    );
  }
  for (let version = current; version < MIGRATIONS.length; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version]!);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
}
