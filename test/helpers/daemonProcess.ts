/**
 * `lcr start` as a child process, for tests that kill the daemon the way an operator or the OOM
 * killer would (SIGKILL: no drain, no cleanup) and start it again on the same database.
 */
import * as path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import Database from 'better-sqlite3';

const BIN = path.join(__dirname, '../../bin/lcr.js');

export interface DaemonProcess {
  child: ChildProcess;
  stderr: () => string;
}

export function startDaemonProcess(configFile: string): DaemonProcess {
  const child = spawn(process.execPath, [BIN, 'start', '--config', configFile], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return { child, stderr: () => stderr };
}

export function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** Reads the daemon's database from outside (read-only, while it runs). */
export function readDatabase<T>(file: string, query: (db: Database.Database) => T): T {
  const db = new Database(file, { readonly: true });
  try {
    return query(db);
  } finally {
    db.close();
  }
}
