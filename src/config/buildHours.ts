/**
 * Finishes a route's support hours: the holidays of `holidays_file` (read beside the YAML file)
 * join the inline ones, and the list is merged. Also the warnings an operator wants before a
 * caller finds them: windows that overlap, holidays already past, hours that never open.
 */
import { parse } from 'yaml';
import { z } from 'zod';
import { readBesideConfig } from './besideFile';
import type { ConfigIssue } from './issues';
import { holidaySchema, hoursSchema } from './schemaHours';
import type { Restriction } from './model';
import { mergeHolidays, opensWithinAYear, type Holiday, type SupportHours } from '../util/supportHours';
import { DAY_MS, toLocalMs } from '../util/wallClock';

export type ParsedHours = z.output<typeof hoursSchema>;

const WEEK_MINUTES = 7 * 1440;

function readHolidaysFile(
  file: string,
  configDir: string,
  where: ConfigIssue['path'],
  issues: ConfigIssue[],
): Holiday[] {
  const read = readBesideConfig(file, configDir, 'holidays file', where, issues);
  if (read === undefined) return [];
  const { absolute } = read;
  let data: unknown;
  try {
    data = parse(read.text);
  } catch (error) {
    issues.push({
      severity: 'error',
      path: where,
      message: `holidays file ${absolute}: ${(error as Error).message}`,
    });
    return [];
  }
  const parsed = z.array(holidaySchema).safeParse(data ?? []);
  if (!parsed.success) {
    const first = parsed.error.issues[0]!;
    issues.push({
      severity: 'error',
      path: where,
      message: `holidays file ${absolute}: at ${first.path.join('.') || 'the top'}: ${first.message}`,
    });
    return [];
  }
  return parsed.data;
}

/** Minutes of the week (Monday 00:00 = 0) a window covers. */
function minutesOf(window: Restriction): number[] {
  const minutes: number[] = [];
  const length = (window.toMinute - window.fromMinute + 1440) % 1440 || 1440;
  for (const day of window.days) {
    const start = (day - 1) * 1440 + window.fromMinute;
    for (let m = 0; m < length; m++) minutes.push((start + m) % WEEK_MINUTES);
  }
  return minutes;
}

function warnOverlaps(
  weekly: readonly Restriction[],
  where: ConfigIssue['path'],
  issues: ConfigIssue[],
): void {
  const owner = new Int16Array(WEEK_MINUTES).fill(-1);
  weekly.forEach((window, w) => {
    for (const minute of minutesOf(window)) {
      const other = owner[minute]!;
      if (other >= 0 && other !== w) {
        issues.push({
          severity: 'warning',
          path: [...where, 'weekly', w],
          message: `window overlaps window ${other + 1} of the same hours (a caller cannot tell; merge them)`,
        });
        return;
      }
      owner[minute] = w;
    }
  });
}

export function buildHours(
  raw: ParsedHours,
  where: ConfigIssue['path'],
  configDir: string,
  issues: ConfigIssue[],
  now = Date.now(),
): SupportHours {
  const fromFile =
    raw.holidaysFile === undefined
      ? []
      : readHolidaysFile(raw.holidaysFile, configDir, [...where, 'holidays_file'], issues);
  const hours: SupportHours = {
    timezone: raw.timezone,
    weekly: raw.weekly,
    holidays: mergeHolidays([...raw.holidays, ...fromFile]),
  };
  warnOverlaps(raw.weekly, where, issues);
  const today = Math.floor(toLocalMs(raw.timezone, now) / DAY_MS);
  raw.holidays.forEach((holiday, h) => {
    if (holiday.lastDay < today)
      issues.push({
        severity: 'warning',
        path: [...where, 'holidays', h],
        message: `holiday "${holiday.name}" is in the past`,
      });
  });
  if (!opensWithinAYear(hours, now))
    issues.push({
      severity: 'warning',
      path: where,
      message: 'these hours leave no moment open in the coming year: every call gets outside_hours',
    });
  return hours;
}
