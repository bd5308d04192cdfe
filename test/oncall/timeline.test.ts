import fc from 'fast-check';
import { resolveLevel } from '../../src/oncall/escalation';
import { scheduleOnCall } from '../../src/oncall/schedule';
import { nextChange, policyTimeline, scheduleTimeline, segmentsOf } from '../../src/oncall/timeline';
import { configFromText, EXAMPLE_YAML } from '../helpers/config';

const config = configFromText(EXAMPLE_YAML, 'routes.example.yaml');
const DAY = 86_400_000;
const from = Date.parse('2026-11-20T00:00:00Z');
const to = from + 14 * DAY;

test('the final row of a schedule agrees with the instant answer everywhere in the span', () => {
  const schedule = config.schedules.get('network')!;
  const final = scheduleTimeline(schedule, from, to).find((row) => row.kind === 'final')!;
  fc.assert(
    fc.property(fc.integer({ min: from, max: to - 1 }), (at) => {
      const segment = final.segments.find((s) => s.start <= at && at < s.end)!;
      expect(segment.responderIds).toEqual([scheduleOnCall(schedule, at)?.responderId].filter(Boolean));
    }),
  );
});

test('segments tile the span, and neighbours differ', () => {
  for (const row of scheduleTimeline(config.schedules.get('network')!, from, to)) {
    expect(row.segments[0]!.start).toBe(from);
    expect(row.segments.at(-1)!.end).toBe(to);
    for (let i = 1; i < row.segments.length; i++) {
      expect(row.segments[i]!.start).toBe(row.segments[i - 1]!.end);
      if (row.kind !== 'overrides')
        expect(row.segments[i]!.responderIds).not.toEqual(row.segments[i - 1]!.responderIds);
    }
  }
});

test('hand-offs are drawn at the exact instant: Monday 09:00 New York, and the override', () => {
  const rows = scheduleTimeline(config.schedules.get('db-primary')!, from, to);
  const final = rows.find((row) => row.kind === 'final')!;
  const starts = final.segments.map((s) => new Date(s.start).toISOString());
  expect(starts).toEqual([
    '2026-11-20T00:00:00.000Z',
    '2026-11-23T14:00:00.000Z', // Monday 09:00 EST: bob takes over
    '2026-11-26T14:00:00.000Z', // Thanksgiving override: dave
    '2026-11-27T14:00:00.000Z', // back to bob
    '2026-11-30T14:00:00.000Z', // dave's week
  ]);
  expect(final.segments.map((s) => s.responderIds[0])).toEqual(['alice', 'bob', 'dave', 'bob', 'dave']);
  const overrides = rows.find((row) => row.kind === 'overrides')!;
  expect(overrides.segments.filter((s) => s.responderIds.length > 0)).toEqual([
    {
      start: Date.parse('2026-11-26T14:00:00Z'),
      end: Date.parse('2026-11-27T14:00:00Z'),
      responderIds: ['dave'],
    },
  ]);
});

test('a restriction window shows as a gap in its layer', () => {
  const rows = scheduleTimeline(config.schedules.get('network')!, from, to);
  const office = rows.find((row) => row.label === 'European office hours')!;
  // Saturday 2026-11-21 is outside the weekday window all day.
  const saturdayNoon = Date.parse('2026-11-21T17:00:00Z');
  expect(office.segments.find((s) => s.start <= saturdayNoon && saturdayNoon < s.end)!.responderIds).toEqual(
    [],
  );
  // Monday 2026-11-23 03:00 New York = 08:00 UTC opens the window.
  expect(office.segments.some((s) => s.start === Date.parse('2026-11-23T08:00:00Z'))).toBe(true);
});

test("a policy's rows say who each level reaches", () => {
  const rows = policyTimeline(config, 'db-policy', from, to);
  expect(rows.map((row) => row.label)).toEqual(['Level 1', 'Level 2', 'Level 3']);
  const level = config.policies.get('db-policy')!.levels[0]!;
  const at = Date.parse('2026-11-24T15:00:00Z');
  const segment = rows[0]!.segments.find((s) => s.start <= at && at < s.end)!;
  expect(segment.responderIds).toEqual(
    resolveLevel(config, level, 0, at).responders.map((r) => r.responder.id),
  );
  expect(rows[1]!.segments).toEqual([{ start: from, end: to, responderIds: ['carol', 'erin'] }]);
});

test('more than one change between two samples is found', () => {
  // Changes at +1 min and +2 min, both inside the first 15-minute sample.
  const onCall = (at: number): string[] => [at < from + 60_000 ? 'a' : at < from + 120_000 ? 'b' : 'c'];
  expect(segmentsOf(onCall, from, from + 3_600_000).map((s) => [s.start - from, s.responderIds[0]])).toEqual([
    [0, 'a'],
    [60_000, 'b'],
    [120_000, 'c'],
  ]);
});

test('nextChange gives the next hand-off, or undefined beyond the horizon', () => {
  const schedule = config.schedules.get('db-primary')!;
  const onCall = (at: number): string[] => [scheduleOnCall(schedule, at)!.responderId];
  expect(nextChange(onCall, from, 14 * DAY)).toBe(Date.parse('2026-11-23T14:00:00Z'));
  expect(nextChange(onCall, from, DAY)).toBeUndefined();
});
