/**
 * The one contract the stores are written against, so that each store's SQL is written once and
 * runs on SQLite (the embedded default) and on PostgreSQL (several daemons sharing one database).
 * Statements use `?` placeholders and the SQL both engines accept (`INSERT ... ON CONFLICT`,
 * `RETURNING`); the PostgreSQL driver numbers the placeholders. Times are epoch milliseconds.
 *
 * Everything is asynchronous because PostgreSQL is across a network: nothing waits on a lock or
 * a round trip while the event loop could serve a call.
 */

export type SqlValue = string | number | null;
export type SqlParams = readonly SqlValue[];

export interface RunResult {
  /** Rows the statement inserted, updated or deleted. */
  changes: number;
}

export type Dialect = 'sqlite' | 'postgres';

/** Statements on one connection: the database itself (each statement alone) or a transaction. */
export interface SqlSession {
  readonly dialect: Dialect;
  all<T>(sql: string, params?: SqlParams): Promise<T[]>;
  get<T>(sql: string, params?: SqlParams): Promise<T | undefined>;
  run(sql: string, params?: SqlParams): Promise<RunResult>;
  /**
   * Runs `work` atomically: it commits when `work` resolves and rolls back when it rejects.
   * Inside a transaction this is a savepoint, so a step can fail alone.
   */
  transaction<T>(work: (tx: SqlSession) => Promise<T>): Promise<T>;
  /**
   * After a statement of this transaction failed: whether the transaction goes on (SQLite undoes
   * only the failed statement, unless the error was one that rolls everything back, such as a
   * full disk) or is lost (PostgreSQL refuses every later statement). True outside a transaction.
   */
  stillOpen(): boolean;
}

export interface SqlDatabase extends SqlSession {
  /** Where it is, without secrets: `sqlite:/var/lib/lcr/lcr.db`, `postgres://db1:5432/lcr`. */
  readonly location: string;
  close(): Promise<void>;
}

/**
 * True when trying the same work again later may succeed: SQLite's lock held by another process,
 * PostgreSQL's serialization failures and deadlocks, or a lost connection.
 */
export function isTransient(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  // node-postgres reports a connection that died mid-query, or a pool that could not connect in
  // time, without a code.
  const message = (error as { message?: unknown } | null)?.message;
  if (
    typeof message === 'string' &&
    /^Connection terminated|timeout exceeded when trying to connect/.test(message)
  )
    return true;
  if (typeof code !== 'string') return false;
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return true;
  // 40001 serialization_failure, 40P01 deadlock_detected, 08* connection exceptions,
  // 57P01 admin_shutdown, 53300 too_many_connections.
  if (code === '40001' || code === '40P01' || code.startsWith('08') || code === '57P01' || code === '53300')
    return true;
  return code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'ETIMEDOUT' || code === 'EPIPE';
}

/** Back-off between two tries of work the database refused for now: 5 ms doubling to 500 ms. */
export function transientBackoffMs(attempt: number): number {
  return Math.min(500, 5 * 2 ** Math.min(attempt, 10));
}

/**
 * Runs `work` and, while the database refuses it for now (isTransient), tries again after a
 * back-off on a timer, so the wait never blocks the event loop. Gives up with the last error
 * after `giveUpMs`; any other error is thrown at once.
 */
export async function retryTransient<T>(work: () => Promise<T>, giveUpMs = 300_000): Promise<T> {
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (!isTransient(error) || Date.now() - started >= giveUpMs) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, transientBackoffMs(attempt)));
  }
}
