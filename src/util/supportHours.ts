/**
 * Whether a hotline is open at an instant, and when it opens next. Pure, like schedules: the
 * same hours and instant always give the same answer (the property tests rely on it).
 *
 * Weekly windows have the wall-clock semantics of schedule restrictions (insideWindow): a window
 * starts on its days at `from` local time, may run past midnight, and keeps its local times
 * through DST changes (a 09:00-17:00 day is 8 wall-clock hours, 7 or 9 real ones on the night
 * the clocks change inside it). A holiday closes whole local days, 00:00 to 24:00, including the
 * part of a window that started the evening before.
 */
import { DAY_MS, MINUTE_MS, localMinuteOfDay, localWeekday, toInstant, toLocalMs } from './wallClock';
import { insideWindow, type WeeklyWindow } from './weeklyWindow';

export interface Holiday {
  /** First and last closed local day, as days since 1970-01-01 (local), inclusive. */
  firstDay: number;
  lastDay: number;
  name: string;
}

export interface SupportHours {
  timezone: string;
  /** The open windows of a week. */
  weekly: WeeklyWindow[];
  /** Sorted and merged (mergeHolidays). */
  holidays: Holiday[];
}

export type HoursState =
  | { open: true }
  | {
      open: false;
      /** Closed by a holiday (its name), or outside the weekly windows. */
      holiday?: string;
      /** The next instant the hotline opens; undefined when it never opens within a year. */
      opensAt?: number;
    };

/** How far ahead an opening is looked for: a year and a week covers any calendar of holidays. */
const HORIZON_DAYS = 372;

/**
 * Holidays as the model keeps them: sorted and merged where they overlap or touch, so that one
 * binary search finds the one covering a day. A merged range carries every name it took in.
 */
export function mergeHolidays(holidays: readonly Holiday[]): Holiday[] {
  const sorted = [...holidays].sort((a, b) => a.firstDay - b.firstDay || a.lastDay - b.lastDay);
  const merged: Holiday[] = [];
  for (const holiday of sorted) {
    const last = merged[merged.length - 1];
    if (last !== undefined && holiday.firstDay <= last.lastDay + 1) {
      last.lastDay = Math.max(last.lastDay, holiday.lastDay);
      if (!last.name.split(' / ').includes(holiday.name)) last.name = `${last.name} / ${holiday.name}`;
    } else merged.push({ ...holiday });
  }
  return merged;
}

/** The holiday covering a local day (days since 1970-01-01), if any. */
export function holidayOn(hours: SupportHours, localDay: number): Holiday | undefined {
  const { holidays } = hours;
  let low = 0;
  let high = holidays.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const holiday = holidays[middle]!;
    if (localDay < holiday.firstDay) high = middle - 1;
    else if (localDay > holiday.lastDay) low = middle + 1;
    else return holiday;
  }
  return undefined;
}

export function isOpen(hours: SupportHours, at: number): boolean {
  const local = toLocalMs(hours.timezone, at);
  if (holidayOn(hours, Math.floor(local / DAY_MS)) !== undefined) return false;
  const weekday = localWeekday(local);
  const minute = localMinuteOfDay(local);
  return hours.weekly.some((window) => insideWindow(window, weekday, minute));
}

/**
 * The first instant after `at` at which the hotline is open. Openings can only happen where a
 * window starts or where a holiday ends (local midnight), so those instants are tried in order.
 */
export function nextOpening(hours: SupportHours, at: number): number | undefined {
  const zone = hours.timezone;
  const today = Math.floor(toLocalMs(zone, at) / DAY_MS);
  for (let day = today - 1; day <= today + HORIZON_DAYS; day++) {
    const weekday = localWeekday(day * DAY_MS);
    const candidates: number[] = [];
    // A window already running at midnight opens the day with it (a holiday's end).
    candidates.push(toInstant(zone, day * DAY_MS));
    for (const window of hours.weekly)
      if (window.days.includes(weekday))
        candidates.push(toInstant(zone, day * DAY_MS + window.fromMinute * MINUTE_MS));
    candidates.sort((a, b) => a - b);
    for (const candidate of candidates) if (candidate > at && isOpen(hours, candidate)) return candidate;
  }
  return undefined;
}

export function hoursState(hours: SupportHours, at: number): HoursState {
  if (isOpen(hours, at)) return { open: true };
  const holiday = holidayOn(hours, Math.floor(toLocalMs(hours.timezone, at) / DAY_MS));
  const opensAt = nextOpening(hours, at);
  return {
    open: false,
    ...(holiday === undefined ? {} : { holiday: holiday.name }),
    ...(opensAt === undefined ? {} : { opensAt }),
  };
}

/** Whether the hours leave any moment open within the coming year (lcr validate warns if not). */
export function opensWithinAYear(hours: SupportHours, at: number): boolean {
  return isOpen(hours, at) || nextOpening(hours, at) !== undefined;
}
