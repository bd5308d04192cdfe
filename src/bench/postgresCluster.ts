/**
 * A real, throwaway PostgreSQL for tests and benchmarks: `initdb` into a fresh temporary
 * directory, a server on a free loopback port with durability switched off (fsync, synchronous
 * commit and full-page writes: nothing here has to survive a crash), and one empty database per
 * caller. `stop()` kills the server and removes the directory.
 *
 * The binaries come from LCR_PG_BIN, else PATH, else the newest /usr/lib/postgresql/<version>/bin
 * (Debian keeps initdb and pg_ctl there, off PATH). PostgreSQL refuses to run as root, so as root
 * the directory is handed to `nobody` and initdb and pg_ctl run through `runuser -u nobody --`.
 *
 * It lives under src/ so that `npm run bench` can use it (src cannot import test code); the tests
 * reach it through test/helpers/postgres.ts.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';

export interface PostgresCluster {
  /** `postgres://lcr@127.0.0.1:PORT/postgres`: the superuser `lcr` (trust auth), the maintenance database. */
  url: string;
  port: number;
  dataDir: string;
  /** Creates a new empty database (`name`, or a unique one) and returns its URL. */
  createDatabase(name?: string): Promise<string>;
  /** Drops a database made by createDatabase (its URL), closing whatever sessions it still has. */
  dropDatabase(url: string): Promise<void>;
  /** Stops the server at once (`pg_ctl -m immediate stop`) and removes the data directory. */
  stop(): Promise<void>;
}

const PG_USER = 'lcr';
/** Who runs initdb and the server when this process is root. */
const UNPRIVILEGED = 'nobody';

const hasBinaries = (dir: string): boolean =>
  ['initdb', 'pg_ctl'].every((name) => {
    try {
      fs.accessSync(path.join(dir, name), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });

/** The binaries' directory, or why there is none. */
function locatePostgres(): { bin: string } | { bin: undefined; reason: string } {
  const configured = process.env['LCR_PG_BIN'];
  if (configured !== undefined && configured !== '')
    return hasBinaries(configured)
      ? { bin: configured }
      : { bin: undefined, reason: `LCR_PG_BIN=${configured} holds no initdb and pg_ctl` };
  for (const dir of (process.env['PATH'] ?? '').split(path.delimiter))
    if (dir !== '' && hasBinaries(dir)) return { bin: dir };
  const root = '/usr/lib/postgresql';
  let versions: string[] = [];
  try {
    versions = fs.readdirSync(root);
  } catch {
    // No Debian-style installation.
  }
  const newest = versions
    .filter((v) => /^\d+(\.\d+)*$/.test(v))
    .sort((a, b) => b.localeCompare(a, 'en', { numeric: true }))
    .map((v) => path.join(root, v, 'bin'))
    .find(hasBinaries);
  if (newest !== undefined) return { bin: newest };
  return { bin: undefined, reason: `no initdb and pg_ctl in LCR_PG_BIN, on PATH or in ${root}/*/bin` };
}

/** The directory holding initdb and pg_ctl: LCR_PG_BIN, else PATH, else the newest /usr/lib/postgresql/x/bin. */
export function findPostgresBin(): string | undefined {
  return locatePostgres().bin;
}

const isRoot = (): boolean => process.getuid?.() === 0;

/** Whether PostgreSQL can be started here (binaries found; as root, `runuser` works), and if not, why. */
export function checkPostgres(): { available: boolean; reason?: string } {
  const found = locatePostgres();
  if (found.bin === undefined) return { available: false, reason: found.reason };
  if (isRoot()) {
    const runuser = spawnSync('runuser', ['-u', UNPRIVILEGED, '--', 'true'], { stdio: 'ignore' });
    if (runuser.status !== 0)
      return {
        available: false,
        reason: `running as root, and \`runuser -u ${UNPRIVILEGED} -- true\` failed (PostgreSQL refuses root)`,
      };
  }
  return { available: true };
}

/** A command line, as root through `runuser` so that PostgreSQL does not refuse to start. */
const unprivileged = (file: string, args: string[]): [string, string[]] =>
  isRoot() ? ['runuser', ['-u', UNPRIVILEGED, '--', file, ...args]] : [file, args];

function run(file: string, args: string[], cwd: string): Promise<void> {
  const [command, argv] = unprivileged(file, args);
  return new Promise((resolve, reject) => {
    execFile(command, argv, { cwd, timeout: 60_000 }, (error, stdout, stderr) => {
      if (error === null) resolve();
      else
        reject(
          new Error(
            `${path.basename(file)} ${args.join(' ')} failed: ${error.message}\n${stdout}${stderr}`.trim(),
          ),
        );
    });
  });
}

/** A port nobody listens on right now (the kernel's pick; another process may still take it first). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Quoted for the shell through which pg_ctl starts the server. */
const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

const logTail = (file: string): string => {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-20).join('\n');
  } catch {
    return '(no server log)';
  }
};

/** Clusters not yet stopped: killed when the process exits without stopping them (a failed run). */
const running = new Set<{ pgCtl: string; dataDir: string }>();
function stopNow(pgCtl: string, dataDir: string): void {
  if (!fs.existsSync(path.join(dataDir, 'postmaster.pid'))) return;
  const [command, argv] = unprivileged(pgCtl, ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
  spawnSync(command, argv, { cwd: os.tmpdir(), stdio: 'ignore', timeout: 10_000 });
}
process.once('exit', () => {
  for (const { pgCtl, dataDir } of running) {
    stopNow(pgCtl, dataDir);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

let databases = 0;

export async function startPostgres(options: { prefix?: string } = {}): Promise<PostgresCluster> {
  const bin = findPostgresBin();
  if (bin === undefined) throw new Error(`PostgreSQL is not installed: ${checkPostgres().reason}`);
  const initdb = path.join(bin, 'initdb');
  const pgCtl = path.join(bin, 'pg_ctl');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), options.prefix ?? 'lcr-pg-'));
  const log = path.join(dataDir, 'log');
  const entry = { pgCtl, dataDir };
  try {
    if (isRoot()) {
      const uid = Number(execFileSync('id', ['-u', UNPRIVILEGED], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', UNPRIVILEGED], { encoding: 'utf8' }).trim());
      fs.chownSync(dataDir, uid, gid);
    }
    await run(
      initdb,
      ['-D', dataDir, '-A', 'trust', '-U', PG_USER, '--no-sync', '-E', 'UTF8', '--locale=C'],
      dataDir,
    );
    // The free port may be taken between the probe and the server's bind: try a few.
    let port = 0;
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      const settings = [
        '-c listen_addresses=127.0.0.1',
        `-p ${port}`,
        `-k ${shellQuote(dataDir)}`,
        '-c fsync=off',
        '-c synchronous_commit=off',
        '-c full_page_writes=off',
        '-c max_connections=200',
      ].join(' ');
      fs.rmSync(log, { force: true }); // each attempt's log on its own
      running.add(entry);
      try {
        await run(pgCtl, ['-D', dataDir, '-o', settings, '-l', log, '-w', 'start'], dataDir);
        break;
      } catch (error) {
        running.delete(entry);
        stopNow(pgCtl, dataDir); // in case the server came up after all (pg_ctl timed out waiting)
        const tail = logTail(log);
        if (attempt < 3 && /could not bind|already in use/i.test(tail)) continue;
        throw new Error(`${(error as Error).message}\nserver log:\n${tail}`, { cause: error });
      }
    }
    const base = `postgres://${PG_USER}@127.0.0.1:${port}`;
    let stopped: Promise<void> | undefined;
    return {
      url: `${base}/postgres`,
      port,
      dataDir,
      async createDatabase(name?: string): Promise<string> {
        const db = name ?? `lcr_test_${process.pid}_${++databases}_${Math.random().toString(36).slice(2, 8)}`;
        const client = new Client({ connectionString: `${base}/postgres` });
        await client.connect();
        try {
          await client.query(`CREATE DATABASE ${client.escapeIdentifier(db)}`);
        } finally {
          await client.end();
        }
        return `${base}/${encodeURIComponent(db)}`;
      },
      async dropDatabase(url: string): Promise<void> {
        const db = decodeURIComponent(new URL(url).pathname.slice(1));
        const client = new Client({ connectionString: `${base}/postgres` });
        await client.connect();
        try {
          // What `WITH (FORCE)` does, on servers before 13 too.
          await client.query(
            'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
            [db],
          );
          await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(db)}`);
        } finally {
          await client.end();
        }
      },
      stop(): Promise<void> {
        stopped ??= (async () => {
          try {
            await run(pgCtl, ['-D', dataDir, '-m', 'immediate', '-w', 'stop'], os.tmpdir());
          } finally {
            running.delete(entry);
            fs.rmSync(dataDir, { recursive: true, force: true });
          }
        })();
        return stopped;
      },
    };
  } catch (error) {
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}
