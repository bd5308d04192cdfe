/** Small helpers to report benchmark figures the same way everywhere. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

export function summarise(samples: number[]): { p50: number; p99: number; max: number; mean: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = sorted.reduce((sum, x) => sum + x, 0) / Math.max(1, sorted.length);
  return {
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? NaN,
    mean,
  };
}

export function ms(value: number): string {
  return value >= 100
    ? `${value.toFixed(0)} ms`
    : value >= 1
      ? `${value.toFixed(2)} ms`
      : `${(value * 1000).toFixed(1)} µs`;
}

export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/**
 * A benchmark whose scripted calls went wrong measures nothing: with fewer samples than calls,
 * it throws, so that `npm run bench` fails instead of printing NaN or a figure of a few calls.
 */
export function requireSamples(name: string, samples: number[], expected: number): void {
  if (samples.length < expected || samples.some((x) => !Number.isFinite(x))) {
    throw new Error(`${name}: ${samples.length} valid samples of the ${expected} expected`);
  }
}
