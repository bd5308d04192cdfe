/** Which numbers a caller may be called back at (util/callbackNumbers.ts). */
import fc from 'fast-check';
import {
  callbackPolicy,
  checkCallbackNumber,
  hotlineCountryCode,
  toE164Digits,
} from '../../src/util/callbackNumbers';

const us = callbackPolicy('1', {});
const uk = callbackPolicy('44', {});

test("the hotline's country comes from its first E.164 number, else its region", () => {
  expect(hotlineCountryCode(['+1 555 0100'], undefined)).toBe('1');
  expect(hotlineCountryCode(['5550100', '+44 20 7946 0000'], undefined)).toBe('44');
  expect(hotlineCountryCode(['+353 1 555 0100'], undefined)).toBe('353');
  expect(hotlineCountryCode(['5550100'], 'DE')).toBe('49');
  expect(hotlineCountryCode(['5550100'], undefined)).toBeUndefined();
});

test.each([
  ['+1 (555) 123-9876', us, '+15551239876'],
  ['5551239876', us, '+15551239876'],
  ['15551239876', us, '+15551239876'],
  ['020 7946 0000', uk, '+442079460000'],
  ['+44 20 7946 0000', uk, '+442079460000'],
  ['0044 20 7946 0000', uk, '+442079460000'],
])('%s is called back at %s', (number, policy, e164) => {
  expect(checkCallbackNumber(number, policy)).toEqual({ ok: true, e164 });
});

test.each([
  ['anonymous', us, 'withheld'],
  ['', us, 'withheld'],
  ['555123', us, 'length'],
  ['555123987654', us, 'not-allowed'],
  ['1555123987', us, 'length'],
  ['19005550100', us, 'denied'],
  ['976 555 0100', us, 'denied'],
  ['+1 876 555 0100', us, 'denied'],
  ['1 809 555 0100', us, 'denied'],
  ['011 44 20 7946 0000', us, 'not-allowed'],
  ['+44 20 7946 0000', us, 'not-allowed'],
  ['09 1234 5678', uk, 'denied'],
  ['+1 555 123 9876', uk, 'not-allowed'],
  ['1234567890123456', uk, 'length'],
])('%s is refused (%s)', (number, policy, reason) => {
  expect(checkCallbackNumber(number, policy)).toEqual({ ok: false, reason });
});

test('allow replaces the default country; deny adds to the default ranges, lifted only by name', () => {
  const abroad = callbackPolicy('1', { allow: ['1*', '44*'], deny: ['449*'] });
  expect(checkCallbackNumber('011 44 20 7946 0000', abroad)).toEqual({ ok: true, e164: '+442079460000' });
  expect(checkCallbackNumber('+44 9 1234 5678', abroad)).toEqual({ ok: false, reason: 'denied' });
  expect(checkCallbackNumber('+1 900 555 0100', abroad)).toEqual({ ok: false, reason: 'denied' });
  const jamaica = callbackPolicy('1', { allow: ['1*', '1876*'], deny: ['1555*'] });
  expect(checkCallbackNumber('+1 876 555 0100', jamaica)).toEqual({ ok: true, e164: '+18765550100' });
  expect(checkCallbackNumber('+1 809 555 0100', jamaica)).toEqual({ ok: false, reason: 'denied' });
  expect(checkCallbackNumber('+1 555 123 9876', jamaica)).toEqual({ ok: false, reason: 'denied' });
});

test('whatever is typed, a number called back is E.164, of the allowed country, never premium', () => {
  fc.assert(
    fc.property(fc.stringMatching(/^[0-9+ ]{0,20}$/), (typed) => {
      const check = checkCallbackNumber(typed, us);
      if (!check.ok) return;
      expect(check.e164).toMatch(/^\+1\d{10}$/);
      expect(check.e164.startsWith('+1900')).toBe(false);
      expect(check.e164.startsWith('+1976')).toBe(false);
      expect(check.e164.startsWith('+1876')).toBe(false);
      expect(toE164Digits(check.e164, '1')).toBe(check.e164.slice(1));
    }),
  );
});
