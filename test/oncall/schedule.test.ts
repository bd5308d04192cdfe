import { DateTime } from 'luxon';
import type { Layer, Schedule } from '../../src/config/model';
import { layerOnCall, scheduleOnCall, turnIndex } from '../../src/oncall/schedule';

const NY = 'America/New_York';
const at = (local: string, zone = NY): number => {
  const parsed = DateTime.fromISO(local, { zone });
  if (!parsed.isValid) throw new Error(`bad fixture time ${local}`);
  return parsed.toMillis();
};

function layer(partial: Partial<Layer> & Pick<Layer, 'start' | 'members'>): Layer {
  return { name: 'l', turnUnit: 'weeks', turnCount: 1, restrictions: [], ...partial };
}

function schedule(layers: Layer[], zone = NY, overrides: Schedule['overrides'] = []): Schedule {
  return { id: 's', name: 's', timezone: zone, layers, overrides };
}

describe('rotations', () => {
  const weekly = layer({ start: at('2026-01-05T09:00'), members: ['alice', 'bob', 'dave'] });

  test('weekly hand-off on Monday 09:00 local', () => {
    expect(layerOnCall(weekly, NY, at('2026-01-05T08:59'))).toBeUndefined();
    expect(layerOnCall(weekly, NY, at('2026-01-05T09:00'))).toBe('alice');
    expect(layerOnCall(weekly, NY, at('2026-01-12T08:59'))).toBe('alice');
    expect(layerOnCall(weekly, NY, at('2026-01-12T09:00'))).toBe('bob');
    expect(layerOnCall(weekly, NY, at('2026-01-19T09:00'))).toBe('dave');
    expect(layerOnCall(weekly, NY, at('2026-01-26T09:00'))).toBe('alice');
  });

  test('the hand-off stays at 09:00 local across both DST changes', () => {
    // US DST starts 2026-03-08 and ends 2026-11-01; Monday hand-offs either side.
    const beforeSpring = turnIndex(weekly, NY, at('2026-03-09T08:59'));
    expect(turnIndex(weekly, NY, at('2026-03-09T09:00'))).toBe(beforeSpring + 1);
    const beforeFall = turnIndex(weekly, NY, at('2026-11-02T08:59'));
    expect(turnIndex(weekly, NY, at('2026-11-02T09:00'))).toBe(beforeFall + 1);
  });

  test('a daily hand-off at 02:30 on the spring-forward night happens when the clock jumps to 03:30', () => {
    const daily = layer({ start: at('2026-03-01T02:30'), turnUnit: 'days', members: ['a', 'b'] });
    const before = turnIndex(daily, NY, at('2026-03-08T01:59'));
    // 02:30 does not exist that night; 03:29 EDT is 07:29Z, 03:30 EDT is the hand-off.
    expect(turnIndex(daily, NY, at('2026-03-08T03:29'))).toBe(before);
    expect(turnIndex(daily, NY, at('2026-03-08T03:30'))).toBe(before + 1);
    expect(turnIndex(daily, NY, at('2026-03-09T02:30'))).toBe(before + 2);
  });

  test('a daily hand-off at 01:30 on the fall-back night happens once, at the first 01:30', () => {
    const daily = layer({ start: at('2026-10-01T01:30'), turnUnit: 'days', members: ['a', 'b'] });
    const firstOneThirty = Date.parse('2026-11-01T05:30:00Z'); // 01:30 EDT
    const secondOneThirty = Date.parse('2026-11-01T06:30:00Z'); // 01:30 EST
    const k = turnIndex(daily, NY, firstOneThirty - 1);
    expect(turnIndex(daily, NY, firstOneThirty)).toBe(k + 1);
    expect(turnIndex(daily, NY, secondOneThirty)).toBe(k + 1);
    expect(turnIndex(daily, NY, secondOneThirty + 3_600_000)).toBe(k + 1);
  });

  test('hour-based turns are real elapsed hours, DST or not', () => {
    const twelveHours = layer({
      start: Date.parse('2026-03-07T12:00:00Z'),
      turnUnit: 'hours',
      turnCount: 12,
      members: ['a', 'b'],
    });
    // 2026-03-08 is 23 hours long in New York; turns still last 12 real hours.
    expect(layerOnCall(twelveHours, NY, Date.parse('2026-03-08T11:59:59Z'))).toBe('b');
    expect(layerOnCall(twelveHours, NY, Date.parse('2026-03-08T12:00:00Z'))).toBe('a');
    expect(layerOnCall(twelveHours, NY, Date.parse('2026-03-08T00:00:00Z'))).toBe('b');
  });

  test('a layer is empty before its start and from its end', () => {
    const bounded = layer({ start: at('2026-01-05T09:00'), end: at('2026-02-05T09:00'), members: ['a'] });
    expect(layerOnCall(bounded, NY, at('2026-02-05T08:59'))).toBe('a');
    expect(layerOnCall(bounded, NY, at('2026-02-05T09:00'))).toBeUndefined();
  });
});

describe('restrictions and precedence', () => {
  const base = layer({ start: at('2026-01-01T00:00'), turnUnit: 'days', members: ['night'] });
  const business = layer({
    start: at('2026-01-05T09:00'),
    members: ['day'],
    restrictions: [{ days: [1, 2, 3, 4, 5], fromMinute: 9 * 60, toMinute: 17 * 60 }],
  });
  const s = schedule([base, business]);

  test('a higher layer wins inside its windows and lets the lower one show outside', () => {
    expect(scheduleOnCall(s, at('2026-11-24T10:00'))?.responderId).toBe('day'); // Tuesday
    expect(scheduleOnCall(s, at('2026-11-24T17:00'))?.responderId).toBe('night');
    expect(scheduleOnCall(s, at('2026-11-24T08:59'))?.responderId).toBe('night');
    expect(scheduleOnCall(s, at('2026-11-28T10:00'))?.responderId).toBe('night'); // Saturday
  });

  test('a window past midnight belongs to the day it starts on', () => {
    const overnight = layer({
      start: at('2026-01-01T00:00'),
      members: ['owl'],
      restrictions: [{ days: [5], fromMinute: 22 * 60, toMinute: 6 * 60 }], // Friday 22:00 to Saturday 06:00
    });
    expect(layerOnCall(overnight, NY, at('2026-11-27T23:00'))).toBe('owl'); // Friday
    expect(layerOnCall(overnight, NY, at('2026-11-28T05:59'))).toBe('owl'); // Saturday morning
    expect(layerOnCall(overnight, NY, at('2026-11-28T06:00'))).toBeUndefined();
    expect(layerOnCall(overnight, NY, at('2026-11-26T23:00'))).toBeUndefined(); // Thursday
  });

  test('an override beats every layer, for exactly its span', () => {
    const withOverride = schedule([base, business], NY, [
      { responderId: 'cover', start: at('2026-11-24T09:30'), end: at('2026-11-24T12:00') },
    ]);
    expect(scheduleOnCall(withOverride, at('2026-11-24T09:29'))?.responderId).toBe('day');
    expect(scheduleOnCall(withOverride, at('2026-11-24T09:30'))).toEqual({
      responderId: 'cover',
      source: { kind: 'override' },
    });
    expect(scheduleOnCall(withOverride, at('2026-11-24T12:00'))?.responderId).toBe('day');
  });

  test('a schedule nobody covers answers undefined', () => {
    expect(scheduleOnCall(schedule([business]), at('2026-11-28T10:00'))).toBeUndefined();
  });
});
