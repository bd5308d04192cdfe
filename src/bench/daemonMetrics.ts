/**
 * The daemon's own event-loop delay, read from its /metrics (metrics/eventLoop.ts): the gauge
 * is reset at each scrape, so a scrape right before the load and one right after give the
 * delay over the load alone.
 */
import * as net from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { AddressInfo } from 'node:net';
import {
  daemonConnected,
  readProcess,
  spreadOver,
  startDaemonProcess,
  type ProcessFigures,
} from './daemonProcess';
import { ms } from './stats';

/**
 * A port free on loopback now, for the daemon's http_listen. With log_level warn the daemon
 * never prints the "lcr started" line that names the port it picked for :0, so the bench picks.
 */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface LoopDelay {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Reads (and so resets) the daemon's event-loop delay; retries while the listener starts. */
export async function scrapeLoopDelay(baseUrl: string, timeoutMs = 10_000): Promise<LoopDelay> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(`${baseUrl}/metrics`);
      return parseLoopDelay(await response.text());
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

export function parseLoopDelay(text: string): LoopDelay {
  const stat = (name: string): number => {
    const match = new RegExp(`^lcr_event_loop_delay_seconds\\{stat="${name}"\\} (\\S+)$`, 'm').exec(text);
    if (match === null) throw new Error(`/metrics has no lcr_event_loop_delay_seconds{stat="${name}"}`);
    return Number(match[1]) * 1000;
  };
  return { p50Ms: stat('p50'), p99Ms: stat('p99'), maxMs: stat('max') };
}

export function formatLoopDelay(delay: LoopDelay): string {
  return `daemon event-loop delay p99 ${ms(delay.p99Ms)}, max ${ms(delay.maxMs)}`;
}

/** Active calls now and the most seen at once, counted as the bench starts and ends them. */
export class ConcurrentCalls {
  active = 0;
  peak = 0;

  track(ended: Promise<unknown>): void {
    this.active++;
    this.peak = Math.max(this.peak, this.active);
    void ended.finally(() => this.active--);
  }
}

/** Memory per active call: the RSS the load added, shared over the most calls active at once. */
function kbPerCall(idleRssBytes: number, peakRssBytes: number, peakCalls: number): number {
  return (peakRssBytes - idleRssBytes) / 1024 / Math.max(1, peakCalls);
}

/**
 * The bench process's own loop (the simulator's), over the load: the latencies are stamped by
 * the simulator, so a late simulator adds to them; this tells its share from the daemon's.
 */
function simulatorLoop(): { stop(): string } {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  return {
    stop() {
      histogram.disable();
      return `simulator (bench process) event-loop delay p99 ${ms(histogram.percentile(99) / 1e6)}, max ${ms(histogram.max / 1e6)}`;
    },
  };
}

/** What one load cost the daemon and the bench process. */
export interface LoadFigures {
  loop: LoopDelay;
  /** The simulator's (bench process's) event-loop delay, formatted. */
  simulatorLoop: string;
  before: ProcessFigures;
  after: ProcessFigures;
  peakCalls: number;
}

/**
 * Runs `load` against a connected daemon (`pid`, its listener at `metricsUrl`) and measures it:
 * both event loops over the load alone, the daemon's CPU time and memory. `load` counts the
 * calls it starts in `calls` and resolves once they have ended.
 */
export async function measureLoad(
  pid: number,
  metricsUrl: string,
  load: (calls: ConcurrentCalls) => Promise<void>,
): Promise<LoadFigures> {
  const before = readProcess(pid);
  await scrapeLoopDelay(metricsUrl);
  const bench = simulatorLoop();
  const calls = new ConcurrentCalls();
  await load(calls);
  const loop = await scrapeLoopDelay(metricsUrl);
  const simulator = bench.stop();
  const after = readProcess(pid);
  return { loop, simulatorLoop: simulator, before, after, peakCalls: calls.peak };
}

/** The load's figures as one line; `extra` goes between the event loops and the daemon's resources. */
export function formatLoad(figures: LoadFigures, extra?: string): string {
  const { loop, before, after, peakCalls } = figures;
  const perCallKb = kbPerCall(before.rssBytes, after.peakRssBytes, peakCalls);
  const mb = (bytes: number): string => (bytes / 1048576).toFixed(0);
  return `${formatLoopDelay(loop)} | ${figures.simulatorLoop} | ${extra === undefined ? '' : `${extra} | `}daemon CPU ${(after.cpuSeconds - before.cpuSeconds).toFixed(2)} s, RSS ${mb(before.rssBytes)} MB idle -> peak ${mb(after.peakRssBytes)} MB, ~${perCallKb.toFixed(0)} KB per active call (${peakCalls} at peak, fixed costs included)`;
}

/** A load's peak: the most calls at once and the daemon's peak RSS. */
export interface MemoryPeak {
  calls: number;
  bytes: number;
}

export function memoryPeak(figures: LoadFigures): MemoryPeak {
  return { calls: figures.peakCalls, bytes: figures.after.peakRssBytes };
}

/**
 * What one more active call costs: the peak RSS's growth from the smallest load to the largest,
 * over the calls added. Fixed costs (the heap's first growth, compiled code) cancel out, which
 * the per-call figure of a single load still carries.
 */
export function formatMarginalMemory(peaks: readonly MemoryPeak[]): string | undefined {
  if (peaks.length < 2) return undefined;
  const [small, large] = [peaks[0]!, peaks[peaks.length - 1]!];
  const kb = (large.bytes - small.bytes) / 1024 / (large.calls - small.calls);
  return `marginal memory: ${kb.toFixed(0)} KB per additional active call (peak RSS from ${small.calls} to ${large.calls} calls; target < 100 KB)`;
}

/**
 * Starts `lcr start` on the YAML that `yamlFor` makes for the simulator's URL and a free port,
 * waits for its WebSocket, measures the load of `count` callers placed by `place` over
 * `windowMs` (then `settleMs` more), and stops the daemon. The figures the benches compute from
 * the simulator's own records stay readable after it: the simulator is the caller's to stop.
 */
export async function loadOfCallers(
  sim: { url: string; connectedWebSockets: number },
  yamlFor: (simUrl: string, port: number) => string,
  caller: { count: number; windowMs: number; settleMs?: number },
  place: (index: number) => { ended: Promise<unknown> },
): Promise<LoadFigures> {
  const port = await freePort();
  const daemon = startDaemonProcess(yamlFor(sim.url, port), { BENCH_ARI_PASSWORD: 'lcr-secret' });
  try {
    await daemonConnected(() => sim.connectedWebSockets > 0);
    return await measureLoad(daemon.child.pid!, `http://127.0.0.1:${port}`, async (active) => {
      const calls = await spreadOver(caller.count, caller.windowMs, (index) => {
        const call = place(index);
        active.track(call.ended);
        return call;
      });
      await Promise.all(calls.map((call) => call.ended));
      await new Promise((resolve) => setTimeout(resolve, caller.settleMs ?? 0));
    });
  } finally {
    await daemon.stop();
  }
}

/**
 * Runs one load per size, smallest first, and prints what one more active call costs between
 * the smallest and the largest (formatMarginalMemory).
 */
export async function runEachSize(
  sizes: readonly number[],
  print: (line: string) => void,
  run: (size: number) => Promise<LoadFigures>,
): Promise<void> {
  const peaks: MemoryPeak[] = [];
  for (const size of sizes) peaks.push(memoryPeak(await run(size)));
  const marginal = formatMarginalMemory(peaks);
  if (marginal !== undefined) print(`  ${marginal}`);
}
