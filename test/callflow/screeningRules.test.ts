/**
 * Screening decisions, pure: blocked patterns with wildcards, withheld numbers, the allow list,
 * the rate limit, in that order; and a number written any way matches the same patterns.
 */
import fc from 'fast-check';
import type { Screening } from '../../src/config/model';
import { isAnonymous, screenCaller, screenedAs } from '../../src/callflow/screeningRules';
import { matchesPattern } from '../../src/util/numberPattern';

const base: Screening = { block: [], blockedHears: 'message', anonymous: 'allow' };

describe('patterns', () => {
  test('* is any run of digits, ? one digit; formatting is ignored', () => {
    expect(matchesPattern('1900*', '19005550100')).toBe(true);
    expect(matchesPattern('1900*', '1900')).toBe(true);
    expect(matchesPattern('1900*', '11900555')).toBe(false);
    expect(matchesPattern('4930???????', '493012345678')).toBe(false);
    expect(matchesPattern('4930????????', '493012345678')).toBe(true);
    expect(matchesPattern('*666', '15550666')).toBe(true);
  });

  test('withheld numbers, in the spellings carriers use', () => {
    for (const number of ['', 'anonymous', 'Anonymous', 'RESTRICTED', 'unknown', 'Private', ' withheld '])
      expect(isAnonymous(number)).toBe(true);
    expect(isAnonymous('+15551230001')).toBe(false);
  });

  test('property: a number matches its own digits, with or without + and separators', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{4,14}$/), fc.integer({ min: 1, max: 3 }), (digits, cut) => {
        const written = `+${digits.slice(0, cut)} (${digits.slice(cut, cut + 3)}) ${digits.slice(cut + 3)}`;
        const decision = screenCaller({ ...base, block: [digits] }, written, undefined);
        expect(decision).toEqual({ kind: 'refuse', reason: 'blocked', silent: false });
        expect(screenCaller({ ...base, block: [`${digits.slice(0, cut)}*`] }, written, undefined).kind).toBe(
          'refuse',
        );
      }),
    );
  });
});

describe('decisions, in order', () => {
  test('blocked first, silent when the route says nothing', () => {
    expect(
      screenCaller({ ...base, block: ['1900*'], blockedHears: 'nothing' }, '+1 900 555 0100', 0),
    ).toEqual({
      kind: 'refuse',
      reason: 'blocked',
      silent: true,
    });
  });

  test('withheld numbers: allowed, voicemail only, or refused; an allow list holds them back too', () => {
    expect(screenCaller(base, 'anonymous', undefined)).toEqual({ kind: 'pass' });
    expect(screenCaller({ ...base, anonymous: 'voicemail' }, '', undefined)).toEqual({
      kind: 'voicemail-only',
      reason: 'anonymous',
    });
    expect(screenCaller({ ...base, anonymous: 'refuse' }, 'Restricted', undefined)).toMatchObject({
      kind: 'refuse',
      reason: 'anonymous',
    });
    expect(screenCaller({ ...base, allow: ['1555*'] }, 'anonymous', undefined)).toEqual({
      kind: 'voicemail-only',
      reason: 'not-allowed',
    });
  });

  test('the allow list lets its numbers through; others go to voicemail', () => {
    const screening = { ...base, allow: ['1555123????'] };
    expect(screenCaller(screening, '+15551230001', undefined)).toEqual({ kind: 'pass' });
    expect(screenCaller(screening, '+15559990001', undefined)).toEqual({
      kind: 'voicemail-only',
      reason: 'not-allowed',
    });
  });

  test('the rate limit counts calls that reached direct routing: the limit-th one is the last through', () => {
    const screening = { ...base, rateLimit: { calls: 3, perSeconds: 600 } };
    expect(screenCaller(screening, '+15551230001', 2)).toEqual({ kind: 'pass' });
    expect(screenCaller(screening, '+15551230001', 3)).toEqual({
      kind: 'voicemail-only',
      reason: 'rate-limited',
    });
  });

  test('what each decision writes in the row', () => {
    expect(screenedAs({ kind: 'pass' })).toBeUndefined();
    expect(screenedAs({ kind: 'refuse', reason: 'blocked', silent: true })).toBe('blocked');
    expect(screenedAs({ kind: 'refuse', reason: 'anonymous', silent: false })).toBe('anonymous-refused');
    expect(screenedAs({ kind: 'voicemail-only', reason: 'anonymous' })).toBe('anonymous-voicemail');
    expect(screenedAs({ kind: 'voicemail-only', reason: 'rate-limited' })).toBe('rate-limited');
  });
});
