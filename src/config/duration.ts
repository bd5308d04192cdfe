/**
 * Durations in the YAML are either a number of seconds or a compact string such as
 * "90s", "10m", "1h30m", "2d" or "1w". Operators think in these units; the code works in seconds.
 */
export const DURATION_PATTERN = /^(?:\d+(?:\.\d+)?[smhdw])+$/;

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

export function parseDurationSeconds(value: number | string): number {
  if (typeof value === 'number') return value;
  const text = value.trim();
  if (!DURATION_PATTERN.test(text)) throw new Error(`invalid duration "${value}"`);
  let total = 0;
  for (const match of text.matchAll(/(\d+(?:\.\d+)?)([smhdw])/g)) {
    total += Number(match[1]) * UNIT_SECONDS[match[2] as string]!;
  }
  return total;
}

export function formatDuration(seconds: number): string {
  if (seconds % 604800 === 0 && seconds > 0) return `${seconds / 604800}w`;
  if (seconds % 86400 === 0 && seconds > 0) return `${seconds / 86400}d`;
  if (seconds % 3600 === 0 && seconds > 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0 && seconds > 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}
