/**
 * Loading a configuration on a worker thread, for reloads in a running daemon: parsing and
 * checking a large or hostile file takes CPU time in proportion to its size, and on the main
 * thread that time would stop every call in progress from reacting. The worker also has its own
 * memory limit, so a file that exhausts it fails the reload instead of the daemon.
 * The configuration is plain objects and Maps, so it crosses threads by structured clone.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { ConfigError, MOST_ISSUES_SHOWN, type LocatedIssue } from './issues';
import { loadConfigFile, type LoadedConfig } from './load';

type WorkerReply =
  | { kind: 'loaded'; loaded: LoadedConfig }
  | { kind: 'invalid'; issues: LocatedIssue[]; total: number }
  | { kind: 'failed'; message: string };

const WORKER_MARK = 'lcr-config-load';
const WORKER_MEMORY_MB = 512;

/**
 * The compiled form of this file, which a worker can run. Under ts-jest the sources run
 * directly: the build in dist/ serves then (npm test builds it first); without one, undefined.
 */
function workerEntry(): string | undefined {
  if (__filename.endsWith('.js')) return __filename;
  const built = path.resolve(__dirname, '../../dist/config/loadOffThread.js');
  return fs.existsSync(built) ? built : undefined;
}

export function loadConfigFileOffThread(file: string): Promise<LoadedConfig> {
  const entry = workerEntry();
  if (entry === undefined) return Promise.resolve().then(() => loadConfigFile(file));
  return new Promise((resolve, reject) => {
    const worker = new Worker(entry, {
      workerData: { mark: WORKER_MARK, file },
      resourceLimits: { maxOldGenerationSizeMb: WORKER_MEMORY_MB },
    });
    let settled = false;
    worker.once('message', (reply: WorkerReply) => {
      settled = true;
      if (reply.kind === 'loaded') resolve(reply.loaded);
      else if (reply.kind === 'invalid') reject(new ConfigError(reply.issues, reply.total));
      else reject(new Error(reply.message));
    });
    worker.once('error', (error) => {
      settled = true;
      reject(new Error(`the configuration could not be loaded: ${error.message}`));
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`the configuration loader stopped (exit code ${code})`));
    });
  });
}

function runAsWorker(file: string): void {
  let reply: WorkerReply;
  try {
    reply = { kind: 'loaded', loaded: loadConfigFile(file) };
  } catch (error) {
    reply =
      error instanceof ConfigError
        ? // Only what will be shown crosses back: cloning 20,000 issues would stall the main thread.
          { kind: 'invalid', issues: error.issues.slice(0, MOST_ISSUES_SHOWN), total: error.total }
        : { kind: 'failed', message: (error as Error).message };
  }
  parentPort!.postMessage(reply);
}

const data = workerData as { mark?: string; file?: string } | null;
if (!isMainThread && data?.mark === WORKER_MARK && data.file !== undefined) runAsWorker(data.file);
