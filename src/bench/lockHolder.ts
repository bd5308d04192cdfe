/**
 * Another process holding the database's write lock, as a backup job or `sqlite3` left open
 * would: a child node process opens the file with better-sqlite3 and runs `BEGIN IMMEDIATE`
 * until it is told to release (or its time is up). A real second connection in another process,
 * so the daemon meets SQLITE_BUSY exactly as in production. Used by the faults benchmark and by
 * the tests (test/integration/storeLocked.test.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface LockHolder {
  /** Ends the transaction (COMMIT) and the process; resolves once the lock is gone. */
  release(): Promise<void>;
}

const SCRIPT = `
const Database = require(process.argv[1]);
const db = new Database(process.argv[2]);
db.pragma('busy_timeout = 10000');
db.exec('BEGIN IMMEDIATE');
process.stdout.write('locked\\n');
const end = () => { db.exec('COMMIT'); db.close(); process.exit(0); };
setTimeout(end, Number(process.argv[3]));
process.stdin.on('data', end);
process.stdin.on('end', end);
`;

/** Holds the write lock on `file` for at most `ms`; resolves once the lock is held. */
export async function holdWriteLock(file: string, ms: number): Promise<LockHolder> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['-e', SCRIPT, require.resolve('better-sqlite3'), file, String(ms)],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('locked')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`the lock holder exited (${code}) before locking`)));
  });
  return {
    async release() {
      if (child.exitCode === null) child.stdin!.end('release\n');
      await exited;
    },
  };
}
