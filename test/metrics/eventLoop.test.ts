/** The event-loop delay gauge on /metrics: its three series, read and reset at each scrape. */
import { Registry } from 'prom-client';
import { parseLoopDelay } from '../../src/bench/daemonMetrics';
import { eventLoopDelayMetric } from '../../src/metrics/eventLoop';

/** Blocks the loop, so that the 1 ms sampling timer is certainly late once. */
function block(msToBlock: number): void {
  const until = Date.now() + msToBlock;
  while (Date.now() < until) {
    // busy on purpose
  }
}

describe('event-loop delay metric', () => {
  it('reports p50, p99 and max since the previous scrape, and starts again after each scrape', async () => {
    const registry = new Registry();
    const metric = eventLoopDelayMetric(registry);
    try {
      await new Promise((resolve) => setTimeout(resolve, 5));
      block(20);
      await new Promise((resolve) => setTimeout(resolve, 5));
      const first = parseLoopDelay(await registry.metrics());
      // No timing bound: only that the stall was seen at all, and the statistics are ordered.
      expect(first.maxMs).toBeGreaterThan(0);
      expect(first.p50Ms).toBeLessThanOrEqual(first.p99Ms);
      expect(first.p99Ms).toBeLessThanOrEqual(first.maxMs);
      // Scraped again before the timer could run: the window is empty, so every figure is 0.
      expect(parseLoopDelay(await registry.metrics())).toEqual({ p50Ms: 0, p99Ms: 0, maxMs: 0 });
    } finally {
      metric.stop();
    }
  });
});
