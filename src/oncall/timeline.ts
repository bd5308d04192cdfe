/**
 * Who is on call over a span of time, as segments: what the console draws for a schedule (each
 * layer, the overrides, the final rotation) and for an escalation policy (who each level
 * reaches). Pure over the configuration, like the instant answers it is built from.
 *
 * The answer is sampled every SAMPLE_MS and each change found between two samples is then
 * narrowed to the millisecond, so hand-offs are drawn where they happen; a change and its
 * reversal both shorter than SAMPLE_MS (a 10-minute restriction window) can be missed by the
 * picture, never by routing, which asks the instant question.
 */
import type { Config, Schedule } from '../config/model';
import { resolveLevel } from './escalation';
import { layerOnCall, scheduleOnCall } from './schedule';

export const SAMPLE_MS = 15 * 60_000;

export interface Segment {
  start: number;
  end: number;
  /** Responder ids on call in the segment, in the order they are reached; empty: nobody. */
  responderIds: string[];
}

export interface TimelineRow {
  label: string;
  kind: 'layer' | 'overrides' | 'final' | 'level';
  segments: Segment[];
}

type OnCallAt = (at: number) => string[];

const sameIds = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((id, index) => id === b[index]);

/** The first instant in (low, high] whose answer differs from the answer at `low`. */
function changeBetween(onCall: OnCallAt, low: number, high: number, before: string[]): number {
  let from = low;
  let to = high;
  while (to - from > 1) {
    const middle = Math.floor((from + to) / 2);
    if (sameIds(onCall(middle), before)) from = middle;
    else to = middle;
  }
  return to;
}

/**
 * Each instant in (from, to) where the answer changes, with the new answer, in order and lazily:
 * sampled, then narrowed change by change (there may be more than one between two samples).
 */
function* changesOf(
  onCall: OnCallAt,
  from: number,
  to: number,
  sampleMs: number,
): Generator<{ at: number; responderIds: string[] }> {
  let current = onCall(from);
  // The last instant of the span is to - 1: [from, to) is what is drawn.
  for (let previous = from; previous < to - 1;) {
    const probe = Math.min(previous + sampleMs, to - 1);
    let low = previous;
    while (!sameIds(onCall(probe), current)) {
      const at = changeBetween(onCall, low, probe, current);
      current = onCall(at);
      low = at;
      yield { at, responderIds: current };
    }
    previous = probe;
  }
}

/** Consecutive segments of the same answer over [from, to). */
export function segmentsOf(onCall: OnCallAt, from: number, to: number, sampleMs = SAMPLE_MS): Segment[] {
  const segments: Segment[] = [];
  let start = from;
  let current = onCall(from);
  for (const change of changesOf(onCall, from, to, sampleMs)) {
    segments.push({ start, end: change.at, responderIds: current });
    start = change.at;
    current = change.responderIds;
  }
  segments.push({ start, end: to, responderIds: current });
  return segments;
}

/** Overrides are exact intervals: clipped to the span, with the gaps between them as "nobody". */
function overrideSegments(schedule: Schedule, from: number, to: number): Segment[] {
  const segments: Segment[] = [];
  let cursor = from;
  for (const override of schedule.overrides) {
    if (override.end <= from || override.start >= to) continue;
    const start = Math.max(override.start, from);
    if (start > cursor) segments.push({ start: cursor, end: start, responderIds: [] });
    const end = Math.min(override.end, to);
    segments.push({ start, end, responderIds: [override.responderId] });
    cursor = end;
  }
  if (cursor < to) segments.push({ start: cursor, end: to, responderIds: [] });
  return segments;
}

const one = (id: string | undefined): string[] => (id === undefined ? [] : [id]);

export function scheduleTimeline(schedule: Schedule, from: number, to: number): TimelineRow[] {
  const layers: TimelineRow[] = schedule.layers.map((layer) => ({
    label: layer.name,
    kind: 'layer',
    segments: segmentsOf((at) => one(layerOnCall(layer, schedule.timezone, at)), from, to),
  }));
  return [
    ...layers,
    { label: 'Overrides', kind: 'overrides', segments: overrideSegments(schedule, from, to) },
    {
      label: 'Final',
      kind: 'final',
      segments: segmentsOf((at) => one(scheduleOnCall(schedule, at)?.responderId), from, to),
    },
  ];
}

/** Who each level of a policy reaches over the span (schedules resolved at each instant). */
export function policyTimeline(config: Config, policyId: string, from: number, to: number): TimelineRow[] {
  const policy = config.policies.get(policyId);
  if (policy === undefined) return [];
  return policy.levels.map((level, index) => ({
    label: `Level ${index + 1}`,
    kind: 'level',
    segments: segmentsOf(
      (at) => resolveLevel(config, level, index, at).responders.map((r) => r.responder.id),
      from,
      to,
    ),
  }));
}

/**
 * When the answer at `from` next changes, within `horizonMs`; undefined: not within it. Stops
 * at the first change: the Now page asks this for every level.
 */
export function nextChange(
  onCall: OnCallAt,
  from: number,
  horizonMs: number,
  sampleMs = SAMPLE_MS,
): number | undefined {
  return changesOf(onCall, from, from + horizonMs, sampleMs).next().value?.at;
}
