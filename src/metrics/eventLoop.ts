/**
 * The daemon's event-loop delay on /metrics: how late the loop ran a timer, which is how late
 * every ARI event, HTTP request and timer of every call was handled.
 *
 * prom-client's default metrics (collectDefaultMetrics, with nodejs_eventloop_lag_p99_seconds)
 * are not enabled in this daemon: they bring ~30 series about the process we do not need, and
 * their sampler runs at a 10 ms resolution. This one samples every millisecond instead: the
 * values are the intervals between runs of a repeating timer, so they sit at the resolution
 * when the loop is idle, and the targets are a few milliseconds per reaction (at 10 ms every figure
 * would read >= 10 ms). The price, measured on the shared 2-core bench machine with the daemon
 * idle: ~2.2-2.7% of a core at 1 ms, ~1.3% at 2 ms, ~0.7% at 5 ms, ~0.4% at 10 ms (one libuv wake-up per
 * interval; the histogram itself is recorded in C++).
 *
 * The figures describe the time since the previous scrape: each scrape reads the histogram and
 * resets it, so two scrapers would split the window between them (one Prometheus is the norm).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Gauge, type Registry } from 'prom-client';

const RESOLUTION_MS = 1;

export interface EventLoopDelayMetric {
  /** Stops the sampling timer (the daemon's stop), so a stopped daemon costs nothing. */
  stop(): void;
}

export function eventLoopDelayMetric(registry: Registry): EventLoopDelayMetric {
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  new Gauge({
    name: 'lcr_event_loop_delay_seconds',
    help: 'Event-loop delay since the previous scrape (reset at each scrape): intervals between runs of a 1 ms timer, so about 0.001 when idle; by statistic: p50, p99, max',
    labelNames: ['stat'] as const,
    registers: [registry],
    collect() {
      // One gauge for the three figures, read and reset in one place, so that they describe
      // the same window whatever order prom-client collects its metrics in.
      const empty = histogram.count === 0;
      this.set({ stat: 'p50' }, empty ? 0 : histogram.percentile(50) / 1e9);
      this.set({ stat: 'p99' }, empty ? 0 : histogram.percentile(99) / 1e9);
      this.set({ stat: 'max' }, empty ? 0 : histogram.max / 1e9);
      histogram.reset();
    },
  });
  return { stop: () => histogram.disable() };
}
