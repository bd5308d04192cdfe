/**
 * Opens the SQLite database the daemon owns: WAL journal so readers (the CLI) never block the
 * daemon, foreign keys on, migrations applied at open.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS } from './migrations';

export type Db = Database.Database;

/**
 * Runs `work` atomically and returns what it returns. Stores only hold statements; the paging
 * service and the engine's modules decide where a transaction begins and ends, so that a lease
 * check (a fencing token) can later run inside the very transaction that changes a page.
 */
export type Transaction = <T>(work: () => T) => T;

/** A Transaction on this database; nested calls become savepoints. */
export function transactionOf(db: Db): Transaction {
  return <T>(work: () => T): T => db.transaction(work)();
}

export class DatabaseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseError';
  }
}

export interface OpenOptions {
  readonly?: boolean;
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
