/**
 * Paging engine: 10,000 open pages in a database on disk, 1,000 of them overdue. Measures one
 * escalation tick (every overdue page moved a level, its responders assigned, its timeline event
 * and its phone, email and webhook notifications written), and the CPU the engine uses while
 * nothing is due (it wakes once a second to look at the database). On a SQLite file by default;
 * with `postgres`, on a fresh PostgreSQL database for each run (the cluster group compares both).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseDocument } from 'yaml';
import { loadConfigText } from '../config/load';
import { silentLogger } from '../log/logger';
import { NotificationDispatcher } from '../paging/dispatcher';
import { PagingEngine } from '../paging/engine';
import { dispatchDueNotifications, escalateDuePages } from '../paging/modules';
import { PagingService } from '../paging/service';
import { openDatabase } from '../store/database';
import { NotificationStore } from '../store/notifications';
import { PageStore } from '../store/pages';
import type { SqlDatabase, SqlParams, SqlSession } from '../store/sql/driver';
import { openPostgres } from '../store/sql/postgres';
import { SqliteDatabase } from '../store/sql/sqlite';
import { systemClock } from '../util/clock';
import type { PostgresCluster } from './postgresCluster';
import { ms, nowMs, summarise } from './stats';

const OPEN_PAGES = 10_000;
const DUE_PAGES = 1_000;
const IDLE_SECONDS = 10;

/**
 * The shipped example with email and a webhook switched on, set through the YAML document so
 * that the benchmark keeps working whatever the example's `notifications` block holds.
 */
function benchConfigText(): string {
  const example = fs.readFileSync(path.resolve(__dirname, '../../routes.example.yaml'), 'utf8');
  const doc = parseDocument(example);
  doc.setIn(['notifications', 'email'], {
    host: '127.0.0.1',
    port: 2525,
    tls: 'none',
    from: 'lcr@example.com',
  });
  doc.setIn(['notifications', 'webhooks'], [{ id: 'ops', url: 'http://127.0.0.1:9/hook' }]);
  return doc.toString();
}

/** An open transaction as a database, so that a service's changes in it become savepoints. */
function withinTransaction(tx: SqlSession, location: string): SqlDatabase {
  return {
    dialect: tx.dialect,
    location,
    all: <T>(sql: string, params?: SqlParams) => tx.all<T>(sql, params),
    get: <T>(sql: string, params?: SqlParams) => tx.get<T>(sql, params),
    run: (sql: string, params?: SqlParams) => tx.run(sql, params),
    transaction: <T>(work: (inner: SqlSession) => Promise<T>) => tx.transaction(work),
    stillOpen: () => tx.stillOpen(),
    close: () => Promise.resolve(),
  };
}

export interface PagingBenchOptions {
  /** Fresh PostgreSQL databases (one per run, dropped after it) instead of SQLite files. */
  postgres?: Pick<PostgresCluster, 'createDatabase' | 'dropDatabase'>;
}

/** What the cluster group compares between SQLite and PostgreSQL. */
export interface PagingFigures {
  tick: ReturnType<typeof summarise>;
  idleCpuShare: number;
}

/** The bench's database: a SQLite file in `dir`, or a fresh PostgreSQL database. */
async function openBenchDatabase(
  dir: string,
  run: number,
  options: PagingBenchOptions,
): Promise<{ sql: SqlDatabase; close(): Promise<void> }> {
  const { postgres } = options;
  if (postgres === undefined) {
    const dbFile = path.join(dir, `bench-${run}.db`);
    const db = openDatabase(dbFile);
    const sql = new SqliteDatabase(db, 'sqlite:' + dbFile);
    return {
      sql,
      close: () => {
        db.close();
        return Promise.resolve();
      },
    };
  }
  const url = await postgres.createDatabase();
  const sql = await openPostgres({ url, poolSize: 4 });
  return {
    sql,
    async close() {
      await sql.close();
      await postgres.dropDatabase(url);
    },
  };
}

/** A database holding the bench's open pages, and the stores and service on it. */
interface Prepared {
  service: PagingService;
  sql: SqlDatabase;
  pages: PageStore;
  notifications: NotificationStore;
  close(): Promise<void>;
}

async function prepare(dir: string, run: number, options: PagingBenchOptions): Promise<Prepared> {
  const file = path.join(dir, 'routes.yaml');
  const { config } = loadConfigText(benchConfigText(), 'routes.yaml', file);
  const { sql, close } = await openBenchDatabase(dir, run, options);
  const pages = new PageStore(sql);
  const notifications = new NotificationStore(sql);
  const service = new PagingService({
    sql,
    config: () => config,
    pages,
    notifications,
    logger: silentLogger,
  });
  const now = Date.now();
  const teams = ['db-team', 'network-team'];
  // Every page in one transaction: a service bound to it, whose changes become savepoints.
  await sql.transaction(async (tx) => {
    const setup = new PagingService({
      sql: withinTransaction(tx, sql.location),
      config: () => config,
      pages,
      notifications,
      logger: silentLogger,
    });
    for (let i = 0; i < OPEN_PAGES; i++) {
      // The first DUE_PAGES were created long enough ago that their first escalation is overdue.
      await setup.trigger({
        teamId: teams[i % 2]!,
        routeId: 'vendors',
        callId: null,
        voicemailId: null,
        callerNumber: '+15550000000',
        summary: `bench page ${i}`,
        at: i < DUE_PAGES ? now - 3600_000 : now,
      });
    }
  });
  return { service, sql, close, pages, notifications };
}

export async function runPagingBench(
  print: (line: string) => void,
  options: PagingBenchOptions = {},
): Promise<PagingFigures> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lcr-bench-paging-'));
  const on = options.postgres === undefined ? 'a file database' : 'PostgreSQL';
  try {
    const ticks: number[] = [];
    let moved = 0;
    for (let run = 0; run < 5; run++) {
      const { service, close } = await prepare(dir, run, options);
      try {
        const started = nowMs();
        let batch: number;
        moved = 0;
        do {
          batch = await service.escalateDue(Date.now(), 500);
          moved += batch;
        } while (batch === 500);
        ticks.push(nowMs() - started);
      } finally {
        await close();
      }
    }
    const tick = summarise(ticks);
    print(
      `escalation tick, ${OPEN_PAGES} open pages of which ${DUE_PAGES} overdue (${moved} moved per tick, 5 runs on ${on}): p50 ${ms(tick.p50)}, max ${ms(tick.max)}   target < 500 ms`,
    );

    const prepared = await prepare(dir, 99, options);
    try {
      // On PostgreSQL the server's own CPU is another process's: not counted.
      const whose =
        options.postgres === undefined ? '' : ' (this process; the PostgreSQL server not counted)';
      return { tick, idleCpuShare: await idleEngine(print, dir, prepared, whose) };
    } finally {
      await prepared.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The engine's CPU while nothing is due, as a share of one core (printed, and returned). */
async function idleEngine(
  print: (line: string) => void,
  dir: string,
  { service, sql, pages, notifications }: Prepared,
  whose: string,
): Promise<number> {
  await service.escalateDue(Date.now(), OPEN_PAGES);
  await sql.run(`UPDATE notifications SET status = 'sent'`);
  const dispatcher = new NotificationDispatcher({
    config: () => loadConfigText(benchConfigText(), 'routes.yaml', path.join(dir, 'routes.yaml')).config,
    notifications,
    pages,
    transactional: (work) => sql.transaction(work),
    notifiers: {},
    logger: silentLogger,
    retry: { baseMs: 30_000, maxMs: 3600_000 },
    concurrency: 20,
    onSettled: () => undefined,
    clock: systemClock,
  });
  const engine = new PagingEngine({
    modules: [escalateDuePages(service, pages), dispatchDueNotifications(dispatcher)],
    clock: systemClock,
    tx: (work) => sql.transaction(work),
    logger: silentLogger,
    pollMs: 1000,
  });
  await engine.start();
  await new Promise((resolve) => setTimeout(resolve, 500));
  const cpuBefore = process.cpuUsage();
  const wallBefore = nowMs();
  // The engine's timer is unref'd; this one keeps the benchmark alive while it measures.
  await new Promise((resolve) => setTimeout(resolve, IDLE_SECONDS * 1000));
  const cpu = process.cpuUsage(cpuBefore);
  const wall = nowMs() - wallBefore;
  await engine.stop();
  const share = ((cpu.user + cpu.system) / 1000 / wall) * 100;
  print(
    `idle engine with ${OPEN_PAGES} open pages and nothing due, over ${IDLE_SECONDS} s: ${((cpu.user + cpu.system) / 1000).toFixed(1)} ms CPU${whose} = ${share.toFixed(3)}% of one core   target < 1%`,
  );
  return share;
}
