/**
 * The paging side as the daemon wires it (service, dispatcher, the engine from createEngine) on
 * a real in-memory database and a fake clock, for the engine's tests: each test gives its
 * configuration, its notifiers and what copying a voicemail does.
 */
import type { Config } from '../../src/config/model';
import { silentLogger, type Logger } from '../../src/log/logger';
import { NotificationDispatcher, type DispatcherDependencies } from '../../src/paging/dispatcher';
import type { PagingEngine } from '../../src/paging/engine';
import { MODULES, createEngine, type EngineWiring, type VoicemailCopyRetry } from '../../src/paging/modules';
import { PagingService } from '../../src/paging/service';
import { CallStore } from '../../src/store/calls';
import { openDatabase, type Db } from '../../src/store/database';
import { LinkTokenStore } from '../../src/store/linkTokens';
import { NotificationStore } from '../../src/store/notifications';
import { PageStore } from '../../src/store/pages';
import { SqliteDatabase } from '../../src/store/sql/sqlite';
import type { FakeClock } from './fakeClock';

const MINUTE = 60_000;

export interface PagingWorld {
  db: Db;
  sql: SqliteDatabase;
  pages: PageStore;
  notifications: NotificationStore;
  calls: CallStore;
  tokens: LinkTokenStore;
  service: PagingService;
  dispatcher: NotificationDispatcher;
  engine: PagingEngine;
  voicemailCopies: VoicemailCopyRetry;
  /** Stops the engine and the dispatcher, then closes the database. */
  stop(): Promise<void>;
}

export function startPagingWorld(options: {
  config: Config;
  clock: FakeClock;
  notifiers: DispatcherDependencies['notifiers'];
  copyVoicemail?: EngineWiring['copyVoicemail'];
  ariConnected?: () => boolean;
  logger?: Logger;
}): PagingWorld {
  const { config, clock, notifiers } = options;
  const logger = options.logger ?? silentLogger;
  const db = openDatabase(':memory:');
  const sql = new SqliteDatabase(db, 'sqlite::memory:');
  const pages = new PageStore(sql);
  const notifications = new NotificationStore(sql);
  const calls = new CallStore(sql);
  const tokens = new LinkTokenStore(sql);
  // The service and the dispatcher wake the engine, which is built after them.
  const ref: { engine?: PagingEngine } = {};
  const service = new PagingService({
    sql,
    config: () => config,
    pages,
    notifications,
    logger,
    onChange: () => ref.engine?.wake(MODULES.escalate, MODULES.dispatch),
  });
  const dispatcher = new NotificationDispatcher({
    config: () => config,
    notifications,
    pages,
    transactional: (work) => sql.transaction(work),
    notifiers,
    logger,
    retry: { baseMs: 1000, maxMs: 10_000 },
    concurrency: 5,
    onSettled: () => ref.engine?.wake(MODULES.dispatch),
    clock,
  });
  const built = createEngine({
    sql,
    clock,
    logger,
    // Long, so that days of fake time pass in few steps; every test wakes the engine as the daemon does.
    pollMs: 10 * MINUTE,
    service,
    pages,
    notifications,
    calls,
    linkTokens: tokens,
    dispatcher,
    copyVoicemail: options.copyVoicemail ?? (async () => ({ error: 'not in this test' })),
    ariConnected: options.ariConnected ?? (() => true),
  });
  ref.engine = built.engine;
  return {
    db,
    sql,
    pages,
    notifications,
    calls,
    tokens,
    service,
    dispatcher,
    engine: built.engine,
    voicemailCopies: built.voicemailCopies,
    async stop() {
      await built.engine.stop();
      dispatcher.stopping = true;
      await dispatcher.settled();
      await service.settled();
      db.close();
    },
  };
}
