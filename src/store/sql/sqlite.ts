/**
 * The contract (driver.ts) on a better-sqlite3 connection. better-sqlite3 is synchronous, so each
 * statement has run by the time its promise exists; what needs care is a transaction that spans
 * awaits: anything else on the connection meanwhile would join it. Transactions therefore take
 * turns (one at a time, in order), and a write outside a transaction waits for the one open.
 */
import type Database from 'better-sqlite3';
import type { Dialect, RunResult, SqlDatabase, SqlParams, SqlSession } from './driver';

type Db = Database.Database;
type Statement = Database.Statement<unknown[]>;

export class SqliteDatabase implements SqlDatabase {
  readonly dialect: Dialect = 'sqlite';
  private readonly statements = new Map<string, Statement>();
  /** Resolves when the transaction now open (if any) has ended. */
  private turn: Promise<void> = Promise.resolve();
  private open = 0;

  constructor(
    readonly db: Db,
    readonly location: string,
  ) {}

  all<T>(sql: string, params: SqlParams = []): Promise<T[]> {
    return settle(() => this.prepare(sql).all(...params) as T[]);
  }

  get<T>(sql: string, params: SqlParams = []): Promise<T | undefined> {
    return settle(() => this.prepare(sql).get(...params) as T | undefined);
  }

  async run(sql: string, params: SqlParams = []): Promise<RunResult> {
    while (this.open > 0) await this.turn;
    return this.runNow(sql, params);
  }

  async transaction<T>(work: (tx: SqlSession) => Promise<T>): Promise<T> {
    while (this.open > 0) await this.turn;
    this.open++;
    let end!: () => void;
    this.turn = new Promise((resolve) => (end = resolve));
    try {
      this.prepare('BEGIN IMMEDIATE').run();
      try {
        const result = await work(this.session(0));
        this.prepare('COMMIT').run();
        return result;
      } catch (error) {
        if (this.db.inTransaction) this.prepare('ROLLBACK').run();
        throw error;
      }
    } finally {
      this.open--;
      end();
    }
  }

  stillOpen(): boolean {
    return true;
  }

  close(): Promise<void> {
    this.db.close();
    return Promise.resolve();
  }

  private session(depth: number): SqlSession {
    return {
      dialect: this.dialect,
      stillOpen: () => this.db.inTransaction,
      all: <T>(sql: string, params: SqlParams = []) => this.all<T>(sql, params),
      get: <T>(sql: string, params: SqlParams = []) => this.get<T>(sql, params),
      run: (sql: string, params: SqlParams = []) => settle(() => this.runSync(sql, params)),
      transaction: async <T>(work: (tx: SqlSession) => Promise<T>): Promise<T> => {
        const name = `lcr_${depth + 1}`;
        this.prepare(`SAVEPOINT ${name}`).run();
        try {
          const result = await work(this.session(depth + 1));
          this.prepare(`RELEASE ${name}`).run();
          return result;
        } catch (error) {
          if (this.db.inTransaction) {
            this.prepare(`ROLLBACK TO ${name}`).run();
            this.prepare(`RELEASE ${name}`).run();
          }
          throw error;
        }
      },
    };
  }

  private runNow(sql: string, params: SqlParams): Promise<RunResult> {
    return settle(() => this.runSync(sql, params));
  }

  private runSync(sql: string, params: SqlParams): RunResult {
    return { changes: this.prepare(sql).run(...params).changes };
  }

  private prepare(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }
}

/** A synchronous result, or its error, as a promise. */
function settle<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error as Error);
  }
}
