/**
 * A route's support hours (`hours`) and what happens outside them (`outside_hours`). Dates stay
 * checked text here; build.ts reads `holidays_file` (beside the YAML file) and merges the lists.
 */
import { z } from 'zod';
import { URGENCIES, WEEKDAYS } from '../domain/enums';
import { compact, timeZoneSchema } from './fields';
import { weeklyWindowSchema } from './schemaOncall';
import type { Holiday } from '../util/supportHours';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Days since 1970-01-01 of a calendar date, or undefined when the date does not exist. */
export function dayNumber(text: string): number | undefined {
  const [year, month, day] = text.split('-').map(Number);
  const ms = Date.UTC(year!, month! - 1, day!);
  const check = new Date(ms);
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month! - 1 || check.getUTCDate() !== day)
    return undefined;
  return ms / 86_400_000;
}

const dateSchema = z
  .string({ error: 'expected a date "YYYY-MM-DD" (in quotes)' })
  .regex(DATE, { error: 'expected a date "YYYY-MM-DD"' })
  .refine((text) => dayNumber(text) !== undefined, {
    error: (issue) => `"${String(issue.input)}" is not a date that exists`,
  });

/** One holiday: a date, {date, name}, or {from, to, name} (both days closed). */
export const holidaySchema = z
  .union(
    [
      dateSchema,
      z.strictObject({
        date: dateSchema.describe('the closed day'),
        name: z.string().min(1).optional().describe('what the day is (shown by lcr routes)'),
      }),
      z.strictObject({
        from: dateSchema.describe('first closed day'),
        to: dateSchema.describe('last closed day'),
        name: z.string().min(1).optional().describe('what the days are (shown by lcr routes)'),
      }),
    ],
    { error: 'expected a date "YYYY-MM-DD", {date, name} or {from, to, name}' },
  )
  .transform((raw): Holiday => {
    if (typeof raw === 'string') return { firstDay: dayNumber(raw)!, lastDay: dayNumber(raw)!, name: raw };
    if ('date' in raw) {
      const day = dayNumber(raw.date)!;
      return { firstDay: day, lastDay: day, name: raw.name ?? raw.date };
    }
    return {
      firstDay: dayNumber(raw.from)!,
      lastDay: dayNumber(raw.to)!,
      name: raw.name ?? `${raw.from} to ${raw.to}`,
    };
  })
  .refine((h) => h.lastDay >= h.firstDay, { error: 'a holiday range ends before it starts (to < from)' });

const ALL_WEEK = [{ days: [...WEEKDAYS], from: '00:00', to: '24:00' }];

export const hoursSchema = z
  .strictObject({
    timezone: timeZoneSchema.describe('the zone the windows and holidays are in (IANA, e.g. "Europe/Paris")'),
    weekly: z
      .array(weeklyWindowSchema)
      .min(1, { error: 'give at least one window, or leave weekly out for every day, all day' })
      .prefault(ALL_WEEK)
      .describe('open windows: [{days, from, to}], as schedule restrictions (to <= from runs past midnight)'),
    holidays: z
      .array(holidaySchema)
      .default([])
      .describe('closed days: "YYYY-MM-DD", {date, name} or {from, to, name}'),
    holidays_file: z
      .string()
      .min(1)
      .optional()
      .describe('a YAML file beside this one holding more holidays (a list in the same forms)'),
  })
  .transform((h) =>
    compact({ timezone: h.timezone, weekly: h.weekly, holidays: h.holidays, holidaysFile: h.holidays_file }),
  );

export const urgencySchema = z.enum(URGENCIES, { error: 'expected urgency "high" or "low"' });
