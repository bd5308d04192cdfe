/**
 * Properties that must hold for any rotation, in any zone, at any moment: turns tile time with no
 * gap and no overlap (so DST never drops or duplicates coverage), complementary restriction
 * windows always cover exactly one layer, and overrides win exactly inside their span.
 */
import fc from 'fast-check';
import type { Layer, Restriction, Schedule } from '../../src/config/model';
import { insideWindow, layerOnCall, scheduleOnCall, turnIndex } from '../../src/oncall/schedule';
import { localMinuteOfDay, localWeekday, toInstant, toLocalMs } from '../../src/util/wallClock';

const ZONES = [
  'America/New_York',
  'Europe/London',
  'Europe/Berlin',
  'Australia/Lord_Howe',
  'America/Santiago',
  'Asia/Kolkata',
  'Pacific/Chatham',
  'UTC',
];
const HOUR = 3_600_000;
const START = Date.parse('2024-01-01T00:00:00Z');
const END = Date.parse('2030-01-01T00:00:00Z');

const zone = fc.constantFrom(...ZONES);
const instant = fc.integer({ min: START, max: END });
const layerArb = fc.record({
  start: fc.integer({ min: START - 400 * 24 * HOUR, max: START }),
  turnUnit: fc.constantFrom<Layer['turnUnit']>('hours', 'days', 'weeks'),
  turnCount: fc.integer({ min: 1, max: 3 }),
  members: fc.uniqueArray(fc.constantFrom('a', 'b', 'c', 'd', 'e'), { minLength: 1, maxLength: 5 }),
});

function asLayer(raw: {
  start: number;
  turnUnit: Layer['turnUnit'];
  turnCount: number;
  members: string[];
}): Layer {
  return { name: 'p', restrictions: [], ...raw };
}

/** The instant turn k begins, recomputed independently of turnIndex. */
function handoff(layer: Layer, z: string, k: number): number {
  if (layer.turnUnit === 'hours') return layer.start + k * layer.turnCount * HOUR;
  const days = layer.turnUnit === 'weeks' ? 7 * layer.turnCount : layer.turnCount;
  return toInstant(z, toLocalMs(z, layer.start) + k * days * 24 * HOUR);
}

test('the turn running at t started at or before t and ends after it', () => {
  fc.assert(
    fc.property(layerArb, zone, instant, (raw, z, t) => {
      const layer = asLayer(raw);
      const k = turnIndex(layer, z, t);
      expect(handoff(layer, z, k)).toBeLessThanOrEqual(t);
      expect(handoff(layer, z, k + 1)).toBeGreaterThan(t);
      expect(layerOnCall(layer, z, t)).toBe(layer.members[k % layer.members.length]);
    }),
    { numRuns: 2000 },
  );
});

test('turns never run backwards and never last more than an hour off their nominal length', () => {
  fc.assert(
    fc.property(layerArb, zone, instant, fc.integer({ min: 1, max: 90 * 24 }), (raw, z, t, hoursLater) => {
      const layer = asLayer(raw);
      expect(turnIndex(layer, z, t + hoursLater * HOUR)).toBeGreaterThanOrEqual(turnIndex(layer, z, t));
      const k = turnIndex(layer, z, t);
      const length = handoff(layer, z, k + 1) - handoff(layer, z, k);
      const nominal =
        raw.turnCount * HOUR * (raw.turnUnit === 'hours' ? 1 : raw.turnUnit === 'days' ? 24 : 168);
      expect(Math.abs(length - nominal)).toBeLessThanOrEqual(HOUR);
    }),
    { numRuns: 2000 },
  );
});

test('across every DST change of 2026, a day-based rotation hands over exactly once a day', () => {
  for (const z of ZONES) {
    const layer = asLayer({
      start: Date.parse('2025-12-31T07:00:00Z'),
      turnUnit: 'days',
      turnCount: 1,
      members: ['a', 'b', 'c'],
    });
    let previous = turnIndex(layer, z, Date.parse('2026-01-01T00:00:00Z'));
    let handoffs = 0;
    const jumps: number[] = [];
    for (
      let t = Date.parse('2026-01-01T00:00:00Z');
      t < Date.parse('2027-01-01T00:00:00Z');
      t += 7 * 60_000
    ) {
      const k = turnIndex(layer, z, t);
      if (k !== previous && k !== previous + 1) jumps.push(t);
      if (k === previous + 1) handoffs++;
      previous = k;
    }
    expect({ zone: z, jumps, handoffs }).toEqual({ zone: z, jumps: [], handoffs: 365 });
  }
});

const BUSINESS: Restriction = { days: [1, 2, 3, 4, 5], fromMinute: 9 * 60, toMinute: 17 * 60 };
const OUTSIDE_BUSINESS: Restriction[] = [
  { days: [1, 2, 3, 4], fromMinute: 17 * 60, toMinute: 9 * 60 }, // evenings into the next morning
  { days: [5], fromMinute: 17 * 60, toMinute: 24 * 60 },
  { days: [6, 7], fromMinute: 0, toMinute: 24 * 60 },
  { days: [1], fromMinute: 0, toMinute: 9 * 60 },
];

test('complementary restriction windows put exactly one layer on call at every instant, in every zone', () => {
  fc.assert(
    fc.property(zone, instant, (z, t) => {
      const local = toLocalMs(z, t);
      const weekday = localWeekday(local);
      const minute = localMinuteOfDay(local);
      const inBusiness = insideWindow(BUSINESS, weekday, minute);
      const outside = OUTSIDE_BUSINESS.filter((w) => insideWindow(w, weekday, minute)).length;
      expect(Number(inBusiness) + outside).toBe(1);
    }),
    { numRuns: 3000 },
  );
});

test('overrides win exactly inside their span and nowhere else', () => {
  fc.assert(
    fc.property(
      zone,
      instant,
      fc.integer({ min: 1, max: 72 }),
      fc.integer({ min: -100, max: 100 }),
      (z, start, hours, probeHours) => {
        const base: Layer = asLayer({
          start: START - 10 * 24 * HOUR,
          turnUnit: 'days',
          turnCount: 1,
          members: ['a', 'b'],
        });
        const schedule: Schedule = {
          id: 's',
          name: 's',
          timezone: z,
          layers: [base],
          overrides: [{ responderId: 'cover', start, end: start + hours * HOUR }],
        };
        const probe = start + probeHours * HOUR;
        const inside = probe >= start && probe < start + hours * HOUR;
        const answer = scheduleOnCall(schedule, probe)!.responderId;
        expect(answer === 'cover').toBe(inside);
        if (!inside) expect(answer).toBe(layerOnCall(base, z, probe));
      },
    ),
    { numRuns: 2000 },
  );
});
