/**
 * Paging engine: 10,000 open pages in a database on disk, 1,000 of them overdue. Measures one
 * escalation tick (every overdue page moved a level, its responders assigned, its timeline event
 * and its phone, email and webhook notifications written), and the CPU the engine uses while
 * nothing is due (it wakes once a second to look at the database).
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
import { SqliteDatabase } from '../store/sql/sqlite';
import { systemClock } from '../util/clock';
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

async function prepare(
  dir: string,
  run: number,
): Promise<{
  service: PagingService;
  db: ReturnType<typeof openDatabase>;
  sql: SqliteDatabase;
  pages: PageStore;
  notifications: NotificationStore;
}> {
  const file = path.join(dir, 'routes.yaml');
  const { config } = loadConfigText(benchConfigText(), 'routes.yaml', file);
  const dbFile = path.join(dir, `bench-${run}.db`);
  const db = openDatabase(dbFile);
  const sql = new SqliteDatabase(db, 'sqlite:' + dbFile);
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
  return { service, db, sql, pages, notifications };
}

export async function runPagingBench(print: (line: string) => void): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lcr-bench-paging-'));
  try {
    const ticks: number[] = [];
    let moved = 0;
    for (let run = 0; run < 5; run++) {
      const { service, db } = await prepare(dir, run);
      const started = nowMs();
      let batch: number;
      moved = 0;
      do {
        batch = await service.escalateDue(Date.now(), 500);
        moved += batch;
      } while (batch === 500);
      ticks.push(nowMs() - started);
      db.close();
    }
    const tick = summarise(ticks);
    print(
      `escalation tick, ${OPEN_PAGES} open pages of which ${DUE_PAGES} overdue (${moved} moved per tick, 5 runs on a file database): p50 ${ms(tick.p50)}, max ${ms(tick.max)}   target < 500 ms`,
    );

    const { service, db, sql, pages, notifications } = await prepare(dir, 99);
    await service.escalateDue(Date.now(), OPEN_PAGES);
    db.prepare(`UPDATE notifications SET status = 'sent'`).run();
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
    db.close();
    const share = ((cpu.user + cpu.system) / 1000 / wall) * 100;
    print(
      `idle engine with ${OPEN_PAGES} open pages and nothing due, over ${IDLE_SECONDS} s: ${((cpu.user + cpu.system) / 1000).toFixed(1)} ms CPU = ${share.toFixed(3)}% of one core   target < 1%`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
