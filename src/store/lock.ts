/**
 * One daemon per database. Two daemons on one database would both escalate the same pages and
 * call the same people twice, so the daemon holds an exclusive SQLite lock on a small sidecar
 * file (`<database>.lock`) for as long as it runs. The operating system drops the lock when the
 * process dies, even by SIGKILL, so a crash never leaves a stale lock behind (unlike a PID file).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import Database from 'better-sqlite3';
import type { Db } from './database';
import { namedError } from '../util/namedError';

export class DatabaseInUseError extends namedError('DatabaseInUseError') {}

export interface DaemonLock {
  release(): void;
}

interface Holder {
  pid: number;
  host: string;
  started_at: number;
}

function describeHolder(db: Db): string {
  const row = db.prepare(`SELECT value FROM meta WHERE key = 'daemon'`).pluck().get() as string | undefined;
  if (row === undefined) return 'another lcr daemon';
  const holder = JSON.parse(row) as Holder;
  return `another lcr daemon (pid ${holder.pid} on ${holder.host}, started ${new Date(holder.started_at).toISOString()})`;
}

/** Takes the lock or throws DatabaseInUseError naming the daemon that holds it. */
export function lockDatabase(db: Db, databaseFile: string): DaemonLock {
  if (databaseFile === ':memory:') return { release: () => undefined };
  const lockFile = `${databaseFile}.lock`;
  const lock = new Database(lockFile);
  try {
    lock.pragma('busy_timeout = 0');
    lock.pragma('locking_mode = EXCLUSIVE');
    // The first write takes the exclusive lock; locking_mode EXCLUSIVE keeps it until close().
    lock.exec('BEGIN EXCLUSIVE; CREATE TABLE IF NOT EXISTS held (at INTEGER); DELETE FROM held; COMMIT;');
  } catch (error) {
    lock.close();
    if ((error as { code?: string }).code === 'SQLITE_BUSY') {
      throw new DatabaseInUseError(
        `database ${databaseFile} is in use by ${describeHolder(db)}: stop it first, or give this one another settings.database`,
      );
    }
    throw error;
  }
  const holder: Holder = { pid: process.pid, host: os.hostname(), started_at: Date.now() };
  db.prepare(`INSERT OR REPLACE INTO meta (key, value) VALUES ('daemon', ?)`).run(JSON.stringify(holder));
  return { release: () => lock.close() };
}

/** True while a daemon holds the database's lock (lcr migrate must not copy a file still being written). */
export function databaseInUse(databaseFile: string): boolean {
  const lockFile = `${databaseFile}.lock`;
  if (!fs.existsSync(lockFile)) return false;
  const lock = new Database(lockFile);
  try {
    lock.pragma('busy_timeout = 0');
    lock.exec('BEGIN EXCLUSIVE; ROLLBACK;');
    return false;
  } catch (error) {
    if ((error as { code?: string }).code === 'SQLITE_BUSY') return true;
    throw error;
  } finally {
    lock.close();
  }
}
