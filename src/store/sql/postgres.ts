/**
 * The contract (driver.ts) on a PostgreSQL pool (node-postgres). Statements outside a transaction
 * take any pooled connection; a transaction keeps one connection from BEGIN to COMMIT. BIGINT and
 * NUMERIC come back as numbers: every integer lcr stores (epoch milliseconds, ids, counts) is far
 * below 2^53.
 */
import pg from 'pg';
import type { Dialect, RunResult, SqlDatabase, SqlParams, SqlSession } from './driver';
import { numberPlaceholders } from './placeholders';
import { migratePostgres } from './schema';

const INT8 = 20;
const NUMERIC = 1700;

const types = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === INT8 || oid === NUMERIC
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

export interface PostgresOptions {
  url: string;
  password?: string;
  poolSize?: number;
  /** How long to wait for a connection before a statement fails (default 5 s). */
  connectTimeoutMs?: number;
  /** Told of errors of idle pooled connections (a restart of the server); they are replaced. */
  onIdleError?: (error: Error) => void;
  /**
   * Names this daemon's sessions on the server (`lcr:<node id>`), so that the others see at once
   * when its process is gone (its sessions end with it: NodeStore.withSessions).
   */
  applicationName?: string;
}

type Queryable = Pick<pg.PoolClient, 'query'>;

export class PostgresDatabase implements SqlDatabase {
  readonly dialect: Dialect = 'postgres';
  readonly location: string;
  readonly pool: pg.Pool;
  private readonly texts = new Map<string, string>();

  constructor(options: PostgresOptions) {
    this.location = withoutSecrets(options.url);
    this.pool = new pg.Pool({
      connectionString: options.url,
      ...(options.password === undefined ? {} : { password: options.password }),
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
      // Idle connections are kept: a daemon always has a session while it lives (see applicationName).
      idleTimeoutMillis: 0,
      ...(options.applicationName === undefined ? {} : { application_name: options.applicationName }),
      types,
    });
    this.pool.on('error', (error) => options.onIdleError?.(error));
  }

  all<T>(sql: string, params: SqlParams = []): Promise<T[]> {
    return this.rows<T>(this.pool, sql, params);
  }

  async get<T>(sql: string, params: SqlParams = []): Promise<T | undefined> {
    return (await this.rows<T>(this.pool, sql, params))[0];
  }

  run(sql: string, params: SqlParams = []): Promise<RunResult> {
    return this.changes(this.pool, sql, params);
  }

  async transaction<T>(work: (tx: SqlSession) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    // A connection lost while checked out is also told as an 'error' event, which would crash the
    // process unheard: the query in flight rejects with it anyway, and the connection is dropped.
    const lost = (error: Error): void => void (broken ??= error);
    client.on('error', lost);
    try {
      await client.query('BEGIN');
      try {
        const result = await work(this.session(client, 0));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
        throw error;
      }
    } catch (error) {
      broken ??= isConnectionError(error) ? (error as Error) : undefined;
      throw error;
    } finally {
      client.off('error', lost);
      // A connection that failed mid-transaction is dropped, not handed to the next one.
      client.release(broken);
    }
  }

  stillOpen(): boolean {
    return true;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private session(client: Queryable, depth: number): SqlSession {
    return {
      dialect: this.dialect,
      // PostgreSQL refuses every statement after an error until the transaction ends.
      stillOpen: () => false,
      all: <T>(sql: string, params: SqlParams = []) => this.rows<T>(client, sql, params),
      get: async <T>(sql: string, params: SqlParams = []) => (await this.rows<T>(client, sql, params))[0],
      run: (sql: string, params: SqlParams = []) => this.changes(client, sql, params),
      transaction: async <T>(work: (tx: SqlSession) => Promise<T>): Promise<T> => {
        const name = `lcr_${depth + 1}`;
        await client.query(`SAVEPOINT ${name}`);
        try {
          const result = await work(this.session(client, depth + 1));
          await client.query(`RELEASE SAVEPOINT ${name}`);
          return result;
        } catch (error) {
          await client.query(`ROLLBACK TO SAVEPOINT ${name}`);
          throw error;
        }
      },
    };
  }

  private async rows<T>(on: Queryable, sql: string, params: SqlParams): Promise<T[]> {
    const result = await on.query(this.text(sql), params as unknown[]);
    return result.rows as T[];
  }

  private async changes(on: Queryable, sql: string, params: SqlParams): Promise<RunResult> {
    const result = await on.query(this.text(sql), params as unknown[]);
    return { changes: result.rowCount ?? 0 };
  }

  private text(sql: string): string {
    let text = this.texts.get(sql);
    if (text === undefined) {
      text = numberPlaceholders(sql);
      this.texts.set(sql, text);
    }
    return text;
  }
}

function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('08') || code.startsWith('E') || code === '57P01');
}

/** The URL with its password (and any query string, which may carry one) left out. */
export function withoutSecrets(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = '';
    parsed.search = '';
    return parsed.toString();
  } catch {
    return 'postgres://(unparsable url)';
  }
}

/** A PostgreSQL database brought to this lcr's schema (several daemons may start at once). */
export async function openPostgres(options: PostgresOptions): Promise<PostgresDatabase> {
  const db = new PostgresDatabase(options);
  try {
    await migratePostgres(db);
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}
