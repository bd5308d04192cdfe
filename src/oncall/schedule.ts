/**
 * Who is on call in one schedule at one instant. Pure: the same schedule and instant always give
 * the same answer, which is what the property tests rely on.
 *
 * Precedence, as in PagerDuty and GoAlert: an override beats every layer; among layers, a later
 * layer beats an earlier one wherever it has someone on call (outside its restriction windows or
 * its start and end, it lets the layers below show through).
 */
import type { Layer, Schedule } from '../config/model';
import { insideWindow } from '../util/weeklyWindow';
import { DAY_MS, HOUR_MS, localMinuteOfDay, localWeekday, toInstant, toLocalMs } from '../util/wallClock';

export { insideWindow };

export interface ScheduleShift {
  responderId: string;
  /** Which part of the schedule put them there. */
  source: { kind: 'override' } | { kind: 'layer'; index: number; name: string };
}

function turnLengthLocalMs(layer: Layer): number {
  return layer.turnUnit === 'weeks' ? layer.turnCount * 7 * DAY_MS : layer.turnCount * DAY_MS;
}

/**
 * Index of the turn running at `at`. Hour-based turns are real elapsed time; day- and week-based
 * turns hand over at the same wall-clock time each time, so a 09:00 hand-off stays at 09:00
 * through DST (that turn lasts 23 or 25 hours).
 */
export function turnIndex(layer: Layer, zone: string, at: number): number {
  if (layer.turnUnit === 'hours') return Math.floor((at - layer.start) / (layer.turnCount * HOUR_MS));
  const turnMs = turnLengthLocalMs(layer);
  const startLocal = toLocalMs(zone, layer.start);
  const handoff = (k: number): number => toInstant(zone, startLocal + k * turnMs);
  let k = Math.floor((toLocalMs(zone, at) - startLocal) / turnMs);
  while (k > 0 && handoff(k) > at) k--;
  while (handoff(k + 1) <= at) k++;
  return k;
}

export function layerOnCall(layer: Layer, zone: string, at: number): string | undefined {
  if (at < layer.start || (layer.end !== undefined && at >= layer.end)) return undefined;
  if (layer.restrictions.length > 0) {
    const local = toLocalMs(zone, at);
    const weekday = localWeekday(local);
    const minute = localMinuteOfDay(local);
    if (!layer.restrictions.some((window) => insideWindow(window, weekday, minute))) return undefined;
  }
  const index = turnIndex(layer, zone, at);
  return layer.members[index % layer.members.length];
}

function overrideAt(schedule: Schedule, at: number): string | undefined {
  const overrides = schedule.overrides;
  let low = 0;
  let high = overrides.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const candidate = overrides[middle]!;
    if (at < candidate.start) high = middle - 1;
    else if (at >= candidate.end) low = middle + 1;
    else return candidate.responderId;
  }
  return undefined;
}

export function scheduleOnCall(schedule: Schedule, at: number): ScheduleShift | undefined {
  const override = overrideAt(schedule, at);
  if (override !== undefined) return { responderId: override, source: { kind: 'override' } };
  for (let index = schedule.layers.length - 1; index >= 0; index--) {
    const layer = schedule.layers[index]!;
    const responderId = layerOnCall(layer, schedule.timezone, at);
    if (responderId !== undefined) return { responderId, source: { kind: 'layer', index, name: layer.name } };
  }
  return undefined;
}
