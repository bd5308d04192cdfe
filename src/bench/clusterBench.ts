/**
 * Two daemons on one Asterisk and one PostgreSQL (settings.database: { url }, asterisk.peers):
 *
 * - takeover: lcr-a (peers [lcr-b]) and lcr-b (peers [lcr-a]), both `lcr start` processes with a
 *   3 s lease and one storage_dir, 50 callers on lcr-a waiting for a responder who never answers;
 *   lcr-a is SIGKILLed and the time from the kill until lcr-b has adopted every call is measured,
 *   as the simulator shows it: each caller hears the "interrupted" prompt (sound:please-hold,
 *   callInterrupted) that a daemon plays to the calls it takes back. 10 new callers arrive during
 *   the takeover (the failover dialplan: Stasis(lcr-a), else Stasis(lcr-b)); all must be answered.
 *   The first comes right after the kill, sometimes before Asterisk has seen lcr-a's WebSocket
 *   close: Stasis(lcr-a) takes it and its StasisStart is lost with the socket, so lcr-b's
 *   reconciliation of lcr-a finds it in the application and serves it (unannounced-caller).
 * - the paging and direct groups on PostgreSQL beside SQLite, in the same process, with the ratio
 *   of their p99s.
 *
 * A throwaway PostgreSQL (postgresCluster.ts) serves it all; without PostgreSQL the group says
 * SKIPPED and passes. Figures, never pass/fail on timing; a run whose calls are not adopted at all
 * (30 s) fails the group, after the figures of the others. LCR_BENCH_VERBOSE=1 prints every run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AsteriskSimulator, type CallHandle } from '../simulator';
import { runDirectBench, type DirectFigures } from './directBench';
import { oneTeamHotline } from './hotlineYaml';
import { runPagingBench } from './pagingBench';
import { checkPostgres, startPostgres, type PostgresCluster } from './postgresCluster';
import { ms, summarise } from './stats';

const RUNS = 20;
const CALLERS = 50;
const NEW_CALLERS = 10;
/** The new callers arrive one every NEW_CALLER_GAP_MS from the kill: across the takeover itself. */
const NEW_CALLER_GAP_MS = 300;
const LEASE = '3s';
/** Simulated sounds run four times faster than real time: the prompts before the ringing are short. */
const TIME_SCALE = 0.25;
/** What a caller taken back hears first (prompts engine none: the stock sound of callInterrupted). */
const INTERRUPTED = 'sound:please-hold';
/** A run that has not adopted every call by then has failed (the lease is 3 s). */
const TAKEOVER_TIMEOUT_MS = 30_000;
const BIN = path.resolve(__dirname, '../../bin/lcr.js');

const APPS = ['lcr-a', 'lcr-b'] as const;
type App = (typeof APPS)[number];

const TAKEOVER_CONFIG = (simUrl: string, databaseUrl: string, app: App, peer: App): string => `
asterisk: { url: '${simUrl}', username: lcr, password_env: BENCH_ARI_PASSWORD, request_timeout: 5s, app: ${app}, peers: [${peer}] }
settings:
  storage_dir: ./data
  log_level: warn
  log_format: json
  http_listen: 127.0.0.1:0
  node_id: node-${app}
  database: { url: '${databaseUrl}', lease: ${LEASE} }
prompts: { engine: none }
responders:
  - { id: r1, name: First, phones: ['PJSIP/r1'], notify: [] }
escalation_policies:
  - id: p
    levels: [{ targets: [{ responder: r1 }], ring_timeout: 10m }]
${oneTeamHotline('direct', 'direct: { confirm_timeout: 20s, on_no_answer: hangup }')}`;

interface Daemon {
  app: App;
  child: ChildProcess;
  /** The last 64 KB of its stderr. */
  stderr(): string;
  exited: Promise<void>;
}

function startDaemon(app: App, configFile: string): Daemon {
  const child = spawn(process.execPath, [BIN, 'start', '--config', configFile], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, BENCH_ARI_PASSWORD: 'lcr-secret' },
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-65_536);
  });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  return { app, child, stderr: () => stderr, exited };
}

async function killHard(daemon: Daemon): Promise<void> {
  if (daemon.child.exitCode === null && daemon.child.signalCode === null) daemon.child.kill('SIGKILL');
  await daemon.exited;
}

async function until<T>(
  what: string,
  probe: () => T | undefined | false,
  timeoutMs: number,
  everyMs = 10,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** The wall-clock time a caller first heard `media` at or after `since`. */
function heardAt(call: CallHandle, media: string, since: number): number | undefined {
  return call.transcript.find((e) => e.kind === 'played' && e.detail === media && e.wallAt >= since)?.wallAt;
}

interface TakeoverRun {
  /** From the SIGKILL until the last of the calls heard the interrupted prompt. */
  takeoverMs: number;
  /** From the SIGKILL until the first did. */
  firstMs: number;
  answered: number;
  /** Of the answered new calls, those lcr-b took as lcr-a (Stasis(lcr-a) after it took the name). */
  onTakenApp: number;
  /**
   * Of those, the callers lcr-b found in Stasis(lcr-a) when it took lcr-a over: they came in just
   * after the kill, before Asterisk saw lcr-a's WebSocket close, and their StasisStart was lost.
   */
  unannounced: number;
  /** lcr-b's log lines at level error. */
  errors: string[];
  /** The new callers not answered: what they heard, timed from the kill, and lcr-b's log then. */
  unanswered: string[];
}

async function takeoverRun(cluster: PostgresCluster, run: number): Promise<TakeoverRun> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lcr-bench-takeover-'));
  const databaseUrl = await cluster.createDatabase(`lcr_bench_takeover_${process.pid}_${run}`);
  const sim = await AsteriskSimulator.start({ timeScale: TIME_SCALE });
  const daemons: Daemon[] = [];
  try {
    sim.phone('PJSIP/r1', { kind: 'no-answer' });
    const files = APPS.map((app) => {
      const file = path.join(dir, `${app}.yaml`);
      fs.writeFileSync(file, TAKEOVER_CONFIG(sim.url, databaseUrl, app, app === 'lcr-a' ? 'lcr-b' : 'lcr-a'));
      return file;
    });
    // One after the other: each brings the fresh database to its schema and takes its lease.
    for (const [index, app] of APPS.entries()) {
      const daemon = startDaemon(app, files[index]!);
      daemons.push(daemon);
      await until(`${app} to connect`, () => sim.application(app).active, 20_000).catch((error: Error) => {
        throw new Error(`${error.message}\n--- ${app} stderr:\n${daemon.stderr().slice(-4000)}`, {
          cause: error,
        });
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 300));

    const calls = Array.from({ length: CALLERS }, (_, i) =>
      sim.call({ apps: [...APPS], to: '+15550100', from: `+1555${3000000 + i}`, steps: [] }),
    );
    // Every caller on lcr-a, its responder's phone ringing.
    await until(
      `the ${CALLERS} calls to ring their responder`,
      () => sim.legs().filter((l) => l.transcript.some((e) => e.kind === 'ringing')).length >= CALLERS,
      20_000,
    );
    const elsewhere = calls.filter((c) =>
      c.transcript.some((e) => e.detail.startsWith('Stasis(lcr-a) failed')),
    );
    if (elsewhere.length > 0) throw new Error(`${elsewhere.length} callers did not reach lcr-a`);
    // The daemon's writes of the ringing calls settle.
    await new Promise((resolve) => setTimeout(resolve, 500));

    const killedAt = Date.now();
    await killHard(daemons[0]!);
    const fresh: CallHandle[] = [];
    /** When each new caller was placed, by channel. */
    const placedAt = new Map<string, number>();
    const arrivals = (async () => {
      for (let i = 0; i < NEW_CALLERS; i++) {
        const call = sim.call({ apps: [...APPS], to: '+15550100', from: `+1555${4000000 + i}`, steps: [] });
        placedAt.set(call.channelId, Date.now());
        fresh.push(call);
        await new Promise((resolve) => setTimeout(resolve, NEW_CALLER_GAP_MS));
      }
    })();
    const heard = await until(
      `lcr-b to adopt the ${CALLERS} calls`,
      () => {
        const times = calls.map((c) => heardAt(c, INTERRUPTED, killedAt));
        return times.every((t) => t !== undefined) ? (times as number[]) : undefined;
      },
      TAKEOVER_TIMEOUT_MS,
      5,
    ).catch((error: Error) => {
      const adopted = calls.filter((c) => heardAt(c, INTERRUPTED, killedAt) !== undefined).length;
      throw new Error(
        `${error.message} (${adopted} adopted)\n--- lcr-b stderr:\n${daemons[1]!.stderr().slice(-4000)}`,
        { cause: error },
      );
    });
    await arrivals;
    const answered = (c: CallHandle): boolean => c.transcript.some((e) => e.kind === 'answered');
    await until('the new callers to be answered', () => fresh.every(answered), 10_000).catch(() => undefined);
    const log = daemons[1]!.stderr().split('\n');
    const errors = log.filter((line) => /"level":"error"/.test(line));
    // The transcript notes no successful Stasis(): a caller that went straight into one has none,
    // so where the simulator holds the channel now is told too.
    const story = (c: CallHandle): string => {
      const heardThen = c.transcript.map((e) => `+${e.wallAt - killedAt} ms ${e.kind} ${e.detail}`.trim());
      const now = sim.engine.channels.get(c.channelId);
      const where =
        now === undefined
          ? 'gone'
          : now.app === undefined
            ? `not in Stasis, ${now.state}`
            : `in Stasis(${now.app}), ${now.state}`;
      return [...heardThen, `now ${where}`].join('; ');
    };
    const unanswered = fresh
      .filter((c) => !answered(c))
      .map(
        (c) =>
          `run ${run + 1}, new caller ${c.channelId} placed +${placedAt.get(c.channelId)! - killedAt} ms: ${story(c)} (calls adopted from +${Math.min(...heard) - killedAt} to +${Math.max(...heard) - killedAt} ms)\n      lcr-b: ${log
            .filter((line) => !/"message":"reconciled"/.test(line))
            .slice(-8)
            .join('\n      lcr-b: ')}`,
      );
    return {
      takeoverMs: Math.max(...heard) - killedAt,
      firstMs: Math.min(...heard) - killedAt,
      answered: fresh.filter(answered).length,
      onTakenApp: fresh.filter(
        (c) => answered(c) && !c.transcript.some((e) => e.detail.startsWith('Stasis(lcr-a) failed')),
      ).length,
      unannounced: log.filter((line) => /"kind":"unannounced-caller"/.test(line)).length,
      errors,
      unanswered,
    };
  } finally {
    for (const daemon of daemons) await killHard(daemon);
    await sim.stop();
    await cluster.dropDatabase(databaseUrl);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Prints the takeover figures; returns the runs that failed. */
async function takeoverBench(
  print: (line: string) => void,
  cluster: PostgresCluster,
  runs: number,
): Promise<number> {
  print(
    `takeover: lcr-a and lcr-b (\`lcr start\` processes, peers of each other, lease ${LEASE}, one storage_dir) on one simulator and one PostgreSQL; ${CALLERS} callers on lcr-a ringing a responder who never answers; lcr-a SIGKILLed; adopted = the caller hears ${INTERRUPTED} (callInterrupted) from lcr-b; ${NEW_CALLERS} new callers from the kill on, one every ${NEW_CALLER_GAP_MS} ms (Stasis(lcr-a), else Stasis(lcr-b))`,
  );
  const results: TakeoverRun[] = [];
  const failed: string[] = [];
  for (let run = 0; run < runs; run++) {
    const started = Date.now();
    let result: TakeoverRun;
    try {
      result = await takeoverRun(cluster, run);
    } catch (error) {
      failed.push(`run ${run + 1}: ${(error as Error).message}`);
      continue;
    }
    results.push(result);
    if (process.env['LCR_BENCH_VERBOSE'])
      print(
        `  run ${run + 1}: first ${ms(result.firstMs)}, all ${ms(result.takeoverMs)}, new answered ${result.answered}/${NEW_CALLERS} (${result.onTakenApp} as lcr-a, ${result.unannounced} without StasisStart), ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
  }
  const all = summarise(results.map((r) => r.takeoverMs));
  const first = summarise(results.map((r) => r.firstMs));
  const answered = results.reduce((sum, r) => sum + r.answered, 0);
  const onTakenApp = results.reduce((sum, r) => sum + r.onTakenApp, 0);
  const unannounced = results.reduce((sum, r) => sum + r.unannounced, 0);
  const failedRuns = failed.length === 0 ? '' : `, ${failed.length} more failed`;
  print(
    `  takeover of ${CALLERS} calls after SIGKILL (kill -> last caller hears ${INTERRUPTED}): p50 ${ms(all.p50)}, max ${ms(all.max)} (${results.length} runs${failedRuns}; first caller: p50 ${ms(first.p50)}, max ${ms(first.max)}); new calls during takeover answered: ${answered}/${results.length * NEW_CALLERS} (${onTakenApp} of them by lcr-b as lcr-a, ${unannounced} found in Stasis(lcr-a) without their StasisStart)   target: all`,
  );
  for (const line of failed) print(`    FAILED ${line}`);
  for (const line of results.flatMap((r) => r.unanswered)) print(`    not answered: ${line}`);
  const errors = [...new Set(results.flatMap((r) => r.errors))];
  if (errors.length > 0) {
    print(`  lcr-b logged ${errors.length} distinct error line(s):`);
    for (const line of errors.slice(0, 10)) print(`    ${line.slice(0, 400)}`);
  }
  return failed.length;
}

/** Each line of a group's output, behind the database it ran on. */
const labelled =
  (print: (line: string) => void, label: string) =>
  (line: string): void =>
    print(`  ${label.padEnd(8)} | ${line}`);

const ratio = (postgres: number, sqlite: number): string =>
  `postgres ${ms(postgres)} / sqlite ${ms(sqlite)} = ${(postgres / sqlite).toFixed(2)}x`;

/** The direct group's sizes, both databases: the full group, as `npm run bench -- direct` runs it. */
const DIRECT_SIZES = [200, 1000];

async function besideSqlite(print: (line: string) => void, cluster: PostgresCluster): Promise<void> {
  print(
    'paging on SQLite, then on PostgreSQL (fresh database per run on the throwaway cluster, fsync off), in this process:',
  );
  const pagingSqlite = await runPagingBench(labelled(print, 'sqlite'));
  const pagingPostgres = await runPagingBench(labelled(print, 'postgres'), { postgres: cluster });
  print(
    `  escalation tick p99 (5 runs: the max): ${ratio(pagingPostgres.tick.p99, pagingSqlite.tick.p99)}   target <= 1.5x`,
  );

  print(
    `direct on SQLite, then on PostgreSQL (sizes ${DIRECT_SIZES.join(' and ')}, as the direct group; a fresh database per size), the daemon a separate process:`,
  );
  const directSqlite = await runDirectBench(labelled(print, 'sqlite'), DIRECT_SIZES);
  const directPostgres = await runDirectBench(labelled(print, 'postgres'), DIRECT_SIZES, {
    postgres: cluster,
  });
  const bySize = (figures: DirectFigures[], calls: number): DirectFigures => {
    const found = figures.find((f) => f.calls === calls);
    if (found === undefined) throw new Error(`the direct group measured no run of ${calls} calls`);
    return found;
  };
  for (const calls of DIRECT_SIZES) {
    const [sqlite, postgres] = [bySize(directSqlite, calls), bySize(directPostgres, calls)];
    print(
      `  ${calls} calls: DTMF 1 -> addChannel p99 ${ratio(postgres.toAddChannel.p99, sqlite.toAddChannel.p99)}; accept -> bridged p99 ${ratio(postgres.toBridged.p99, sqlite.toBridged.p99)}   target <= 1.5x`,
    );
  }
}

export async function runClusterBench(
  print: (line: string) => void,
  { runs = RUNS, compare = true }: { runs?: number; compare?: boolean } = {},
): Promise<void> {
  const { available, reason } = checkPostgres();
  if (!available) {
    print(`SKIPPED: PostgreSQL is not installed (${reason})`);
    return;
  }
  // The figures swing with what else runs on the machine: say how busy it was.
  const load = (): string => os.loadavg()[0]!.toFixed(2);
  print(`machine: ${os.cpus().length} CPUs, load average ${load()} (1 min) at the start`);
  const cluster = await startPostgres({ prefix: 'lcr-bench-pg-' });
  let failed: number;
  try {
    failed = await takeoverBench(print, cluster, runs);
    if (compare) await besideSqlite(print, cluster);
  } finally {
    await cluster.stop();
  }
  print(`machine: load average ${load()} (1 min) at the end`);
  if (failed > 0) throw new Error(`${failed} of ${runs} takeover runs failed (see above)`);
}
