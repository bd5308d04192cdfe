/**
 * The daemon as its own process (`lcr start`), so its CPU time and memory can be read from
 * /proc apart from the simulator that drives it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface ProcessFigures {
  cpuSeconds: number;
  rssBytes: number;
  peakRssBytes: number;
}

const CLOCK_TICKS = 100;

export function readProcess(pid: number): ProcessFigures {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string): number =>
    Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? '0') * 1024;
  return { cpuSeconds, rssBytes: kb('VmRSS'), peakRssBytes: kb('VmHWM') };
}

export interface DaemonProcess {
  child: ChildProcess;
  dir: string;
  stop(): Promise<void>;
}

export function startDaemonProcess(yaml: string, env: Record<string, string> = {}): DaemonProcess {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lcr-bench-'));
  const file = path.join(dir, 'routes.yaml');
  fs.writeFileSync(file, yaml);
  const bin = path.resolve(__dirname, '../../bin/lcr.js');
  // LCR_BENCH_NODE_ARGS (e.g. "--cpu-prof") profiles the daemon under load. The daemon runs in
  // the bench's working directory, so CPU.*.cpuprofile files land there (add --cpu-prof-dir=DIR
  // to choose); one per thread: the checkpoint worker's is the *.1.002 one. Summarise with
  // `node scripts/profile-summary.js FILE`.
  const nodeArgs = (process.env['LCR_BENCH_NODE_ARGS'] ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, bin, 'start', '--config', file], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...env },
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4000);
  });
  return {
    child,
    dir,
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
      if (child.exitCode !== null && child.exitCode !== 0) console.error(stderr);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Resolves once the daemon has its event WebSocket open on the simulator, and has settled. */
export async function daemonConnected(isConnected: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!isConnected()) {
    if (Date.now() > deadline) throw new Error('the daemon did not connect to the simulator');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await new Promise((resolve) => setTimeout(resolve, 300));
}

/** Starts `count` things spread evenly over `windowMs`, as callers arriving one after another. */
export function spreadOver<T>(
  count: number,
  windowMs: number,
  start: (index: number) => T | Promise<T>,
): Promise<T[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, index) => {
      await new Promise((resolve) => setTimeout(resolve, (index * windowMs) / count));
      return start(index);
    }),
  );
}
