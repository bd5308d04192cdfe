/**
 * Support hours: open or closed at an instant, and the next opening, across DST changes in both
 * hemispheres, over the year boundary, and on holidays. Properties: the next opening is open and
 * nothing between now and it is (checked minute by minute around it), and it is the same
 * whatever closed moment before it one starts from.
 */
import fc from 'fast-check';
import type { Restriction } from '../../src/config/model';
import {
  hoursState,
  isOpen,
  mergeHolidays,
  nextOpening,
  type SupportHours,
} from '../../src/util/supportHours';
import { DAY_MS, toInstant } from '../../src/util/wallClock';

const MON_FRI = [1, 2, 3, 4, 5];
const office = (from: string, to: string, days = MON_FRI): Restriction => {
  const minute = (t: string): number => Number(t.slice(0, 2)) * 60 + Number(t.slice(3));
  return { days, fromMinute: minute(from), toMinute: minute(to) };
};
const day = (iso: string): number => Date.parse(`${iso}T00:00:00Z`) / DAY_MS;
const hours = (
  timezone: string,
  weekly: Restriction[],
  holidays: SupportHours['holidays'] = [],
): SupportHours => ({
  timezone,
  weekly,
  holidays: mergeHolidays(holidays),
});
/** The instant a local wall-clock reading happens in `zone`. */
const local = (zone: string, text: string): number => toInstant(zone, Date.parse(`${text}Z`));
const iso = (at: number | undefined): string | undefined =>
  at === undefined ? undefined : new Date(at).toISOString();

describe('weekly windows', () => {
  const berlin = hours('Europe/Berlin', [office('09:00', '17:00')]);

  test('open inside the window, closed at its end and at night, the end excluded', () => {
    expect(isOpen(berlin, local('Europe/Berlin', '2026-12-04T09:00:00'))).toBe(true);
    expect(isOpen(berlin, local('Europe/Berlin', '2026-12-04T16:59:00'))).toBe(true);
    expect(isOpen(berlin, local('Europe/Berlin', '2026-12-04T17:00:00'))).toBe(false);
    expect(isOpen(berlin, local('Europe/Berlin', '2026-12-04T08:59:00'))).toBe(false);
    expect(isOpen(berlin, local('Europe/Berlin', '2026-12-05T12:00:00'))).toBe(false); // Saturday
  });

  test('Friday 22:00 opens next on Monday 09:00 local', () => {
    const friday = local('Europe/Berlin', '2026-12-04T22:00:00');
    expect(iso(nextOpening(berlin, friday))).toBe('2026-12-07T08:00:00.000Z');
    expect(hoursState(berlin, friday)).toEqual({ open: false, opensAt: Date.parse('2026-12-07T08:00:00Z') });
  });

  test('a window past midnight belongs to the day it starts on', () => {
    const nights = hours('UTC', [office('22:00', '06:00', [5])]); // Friday night into Saturday
    expect(isOpen(nights, Date.parse('2026-12-04T23:00:00Z'))).toBe(true);
    expect(isOpen(nights, Date.parse('2026-12-05T05:59:00Z'))).toBe(true);
    expect(isOpen(nights, Date.parse('2026-12-05T06:00:00Z'))).toBe(false);
    expect(isOpen(nights, Date.parse('2026-12-04T05:00:00Z'))).toBe(false); // Friday morning: Thursday's night
  });

  test('spring forward (Berlin, 29 March 2026): the window keeps its wall-clock times', () => {
    const early = hours('Europe/Berlin', [office('01:00', '04:00', [7])]);
    // 02:00-03:00 does not exist that night; 01:30 and 03:30 local are both inside.
    expect(isOpen(early, Date.parse('2026-03-29T00:30:00Z'))).toBe(true); // 01:30 CET
    expect(isOpen(early, Date.parse('2026-03-29T01:30:00Z'))).toBe(true); // 03:30 CEST
    expect(isOpen(early, Date.parse('2026-03-29T02:00:00Z'))).toBe(false); // 04:00 CEST
    // A window that starts inside the gap opens when the clock jumps over it.
    const gap = hours('Europe/Berlin', [office('02:30', '05:00', [7])]);
    expect(iso(nextOpening(gap, Date.parse('2026-03-28T12:00:00Z')))).toBe('2026-03-29T01:30:00.000Z');
  });

  test('fall back (Sydney, 5 April 2026, southern hemisphere): 01:00-04:00 is four real hours', () => {
    const night = hours('Australia/Sydney', [office('01:00', '04:00', [7])]);
    const opens = nextOpening(night, Date.parse('2026-04-04T00:00:00Z'))!;
    expect(iso(opens)).toBe('2026-04-04T14:00:00.000Z'); // 01:00 AEDT
    expect(isOpen(night, opens + 3.5 * 3_600_000)).toBe(true); // 03:30 AEST, the second 02:30 has passed
    expect(isOpen(night, opens + 4 * 3_600_000)).toBe(false); // 04:00 AEST
  });

  test('over the year boundary: closed by a New Year range, open again on the first weekday after it', () => {
    const newYork = hours(
      'America/New_York',
      [office('09:00', '17:00')],
      [{ firstDay: day('2026-12-31'), lastDay: day('2027-01-01'), name: 'New Year' }],
    );
    const eve = local('America/New_York', '2026-12-31T10:00:00');
    expect(hoursState(newYork, eve)).toEqual({
      open: false,
      holiday: 'New Year',
      opensAt: local('America/New_York', '2027-01-04T09:00:00'), // 2 and 3 January are a weekend
    });
  });

  test('a holiday closes the part of a night window past its midnight too; its end reopens it', () => {
    const nights = hours(
      'UTC',
      [office('20:00', '08:00', [1, 2, 3, 4, 5, 6, 7])],
      [{ firstDay: day('2026-12-25'), lastDay: day('2026-12-25'), name: 'Christmas' }],
    );
    expect(isOpen(nights, Date.parse('2026-12-24T23:00:00Z'))).toBe(true);
    expect(isOpen(nights, Date.parse('2026-12-25T01:00:00Z'))).toBe(false);
    expect(iso(nextOpening(nights, Date.parse('2026-12-25T01:00:00Z')))).toBe('2026-12-26T00:00:00.000Z');
  });

  test('hours that never open have no next opening', () => {
    const never = hours('UTC', []);
    expect(nextOpening(never, Date.parse('2026-01-01T00:00:00Z'))).toBeUndefined();
    expect(hoursState(never, 0)).toEqual({ open: false });
  });

  test('overlapping and touching holidays merge, keeping every name', () => {
    expect(
      mergeHolidays([
        { firstDay: 10, lastDay: 12, name: 'B' },
        { firstDay: 5, lastDay: 9, name: 'A' },
        { firstDay: 20, lastDay: 20, name: 'C' },
        { firstDay: 11, lastDay: 15, name: 'B' },
      ]),
    ).toEqual([
      { firstDay: 5, lastDay: 15, name: 'A / B' },
      { firstDay: 20, lastDay: 20, name: 'C' },
    ]);
  });
});

describe('properties', () => {
  const ZONES = [
    'Europe/Berlin',
    'America/New_York',
    'Australia/Sydney',
    'America/Santiago',
    'Asia/Kolkata',
    'UTC',
  ];
  const START = Date.parse('2025-01-01T00:00:00Z');
  const END = Date.parse('2028-01-01T00:00:00Z');
  const windowArb = fc
    .record({
      days: fc.uniqueArray(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 7 }),
      fromMinute: fc.integer({ min: 0, max: 1439 }),
      toMinute: fc.integer({ min: 1, max: 1440 }),
    })
    .filter((w) => w.fromMinute !== w.toMinute);
  const hoursArb = fc
    .record({
      timezone: fc.constantFrom(...ZONES),
      weekly: fc.array(windowArb, { minLength: 1, maxLength: 3 }),
      holidays: fc.array(
        fc.record({
          firstDay: fc.integer({ min: START / DAY_MS, max: END / DAY_MS }),
          length: fc.integer({ min: 0, max: 20 }),
        }),
        { maxLength: 4 },
      ),
    })
    .map((raw) =>
      hours(
        raw.timezone,
        raw.weekly,
        raw.holidays.map((h, i) => ({ firstDay: h.firstDay, lastDay: h.firstDay + h.length, name: `h${i}` })),
      ),
    );
  const instant = fc.integer({ min: START, max: END }).map((t) => Math.floor(t / 60_000) * 60_000);

  test('the next opening is open, and the minute before it is closed', () => {
    fc.assert(
      fc.property(hoursArb, instant, (h, at) => {
        if (isOpen(h, at)) return;
        const opens = nextOpening(h, at);
        if (opens === undefined) return;
        expect(opens).toBeGreaterThan(at);
        expect(isOpen(h, opens)).toBe(true);
        expect(isOpen(h, opens - 60_000)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  test('nothing between a closed moment and its next opening is open (sampled), and any closed moment before gives the same opening', () => {
    fc.assert(
      fc.property(hoursArb, instant, fc.double({ min: 0, max: 1, noNaN: true }), (h, at, fraction) => {
        if (isOpen(h, at)) return;
        const opens = nextOpening(h, at);
        if (opens === undefined) return;
        const between = at + Math.floor(((opens - at) * fraction) / 60_000) * 60_000;
        if (between >= opens) return;
        expect(isOpen(h, between)).toBe(false);
        expect(nextOpening(h, between)).toBe(opens);
      }),
      { numRuns: 300 },
    );
  });
});
