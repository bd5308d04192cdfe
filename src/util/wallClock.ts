/**
 * Conversions between instants and a zone's wall clock, fast enough to run on every call.
 *
 * "Local milliseconds" are a wall-clock reading written as if it were UTC: arithmetic on them is
 * calendar arithmetic (adding a day keeps 09:00 at 09:00 across DST), which is what rotations
 * and restriction windows mean to the people who write them.
 */
import { IANAZone } from 'luxon';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/**
 * Offsets are looked up by six-hour bucket: real zones change their offset at most once in six
 * hours, so a bucket is either constant or holds one change, found once by bisection to the
 * minute. After warm-up a lookup is a map read and a comparison instead of an Intl call.
 */
const BUCKET_MS = 6 * HOUR_MS;
const BUCKETS_PER_ZONE_LIMIT = 200_000;

interface OffsetBucket {
  /** First instant of the bucket carrying `after`; Infinity when the bucket is constant. */
  changeAt: number;
  before: number;
  after: number;
}

const bucketCaches = new Map<string, Map<number, OffsetBucket>>();

function intlOffsetMs(zone: IANAZone, instant: number): number {
  return zone.offset(instant) * MINUTE_MS;
}

function computeBucket(zone: IANAZone, bucket: number): OffsetBucket {
  const first = bucket * BUCKET_MS;
  const last = first + BUCKET_MS - MINUTE_MS;
  const before = intlOffsetMs(zone, first);
  const after = intlOffsetMs(zone, last);
  if (before === after) return { changeAt: Infinity, before, after };
  let low = first; // offset at low is `before`
  let high = last; // offset at high is `after`
  while (high - low > MINUTE_MS) {
    const middle = low + Math.floor((high - low) / 2 / MINUTE_MS) * MINUTE_MS;
    if (intlOffsetMs(zone, middle) === before) low = middle;
    else high = middle;
  }
  return { changeAt: high, before, after };
}

/** UTC offset of `zone` at `instant`, in milliseconds. */
export function offsetMs(zone: string, instant: number): number {
  let cache = bucketCaches.get(zone);
  if (cache === undefined) {
    cache = new Map();
    bucketCaches.set(zone, cache);
  }
  const bucket = Math.floor(instant / BUCKET_MS);
  let entry = cache.get(bucket);
  if (entry === undefined) {
    if (cache.size >= BUCKETS_PER_ZONE_LIMIT) cache.clear();
    entry = computeBucket(IANAZone.create(zone), bucket);
    cache.set(bucket, entry);
  }
  return instant < entry.changeAt ? entry.before : entry.after;
}

export function toLocalMs(zone: string, instant: number): number {
  return instant + offsetMs(zone, instant);
}

/**
 * The instant a wall-clock reading happens. A reading that happens twice (clocks go back) resolves
 * to its first occurrence; one that never happens (clocks go forward) to the instant the clock
 * jumps over it, shifted by the gap, as luxon and most calendars do. Hand-offs a day or more apart
 * therefore stay in order, and consecutive turns tile time without gap or overlap.
 */
export function toInstant(zone: string, localMs: number): number {
  const offsetBefore = offsetMs(zone, localMs - DAY_MS / 2);
  const offsetAfter = offsetMs(zone, localMs + DAY_MS / 2);
  const early = localMs - offsetBefore;
  const late = localMs - offsetAfter;
  const earlyValid = offsetMs(zone, early) === offsetBefore;
  const lateValid = offsetMs(zone, late) === offsetAfter;
  if (earlyValid && lateValid) return Math.min(early, late);
  if (earlyValid) return early;
  if (lateValid) return late;
  return early;
}

/** ISO weekday (1 = Monday ... 7 = Sunday) of a local-milliseconds reading. */
export function localWeekday(localMs: number): number {
  const days = Math.floor(localMs / DAY_MS);
  return ((((days + 3) % 7) + 7) % 7) + 1;
}

export function localMinuteOfDay(localMs: number): number {
  return Math.floor((((localMs % DAY_MS) + DAY_MS) % DAY_MS) / MINUTE_MS);
}
