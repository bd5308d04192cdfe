/**
 * WAL checkpoints off the event loop. SQLite checkpoints automatically in the connection that
 * commits past 1,000 WAL pages, and with synchronous = NORMAL a checkpoint fsyncs the WAL and the
 * database: on this machine one write in ~1,000 took 4-6 ms instead of ~11 µs, a stall of the
 * whole daemon (every call's next reaction) a few times a second under load. The daemon's
 * connection does not checkpoint any more; a worker thread with its own connection runs a
 * PASSIVE checkpoint every second, which never waits for (nor blocks) the daemon's writes or
 * another process's lock. Should the worker fail, the daemon's connection checkpoints again.
 */
import { Worker } from 'node:worker_threads';
import type { Db } from './database';

const INTERVAL_MS = 1000;
/** SQLite's default, restored should the worker stop. */
const AUTO_CHECKPOINT_PAGES = 1000;

// Plain JavaScript (the worker is not compiled with the rest): one connection, one pragma a second.
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (error) {
    // SQLITE_BUSY (another checkpoint running): the next tick tries again.
    if (!String(error && error.code).startsWith('SQLITE_BUSY')) throw error;
  }
}, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export interface Checkpointer {
  /** Stops the worker (before the daemon closes its connection, which checkpoints one last time). */
  stop(): Promise<void>;
}

export function checkpointInBackground(db: Db, onError: (error: Error) => void): Checkpointer {
  const walMode = db.pragma('journal_mode', { simple: true }) === 'wal';
  if (!walMode || db.memory || db.readonly) return { stop: () => Promise.resolve() };
  db.pragma('wal_autocheckpoint = 0');
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { file: db.name, driver: require.resolve('better-sqlite3'), intervalMs: INTERVAL_MS },
  });
  worker.unref();
  let stopped = false;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.once('error', (error: Error) => {
    if (stopped) return;
    stopped = true;
    // Back to SQLite's own checkpoints: stalls again, but the WAL never grows without bound.
    if (db.open) db.pragma(`wal_autocheckpoint = ${AUTO_CHECKPOINT_PAGES}`);
    onError(error);
  });
  return {
    async stop() {
      if (stopped) return;
      stopped = true;
      worker.postMessage('stop');
      // A worker that does not stop in time is ended: the daemon's close checkpoints anyway.
      const timer = setTimeout(() => void worker.terminate(), 2000);
      await exited;
      clearTimeout(timer);
    },
  };
}
