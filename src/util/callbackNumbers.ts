/**
 * Which numbers a caller may be called back at, and in what form: a calling number or typed
 * digits made E.164 in the hotline's country, then checked against the route's allow and deny
 * patterns. By default only numbers of the hotline's own country are called back, and never its
 * premium-rate ranges, so that a hostile caller cannot make lcr dial abroad or a paid line. Pure.
 */
import { matchesPattern } from './numberPattern';

/** Country calling codes of one and two digits; every other code has three (E.164 codes are prefix-free). */
const SHORT_CODES = new Set([
  '1',
  '7',
  '20',
  '27',
  '30',
  '31',
  '32',
  '33',
  '34',
  '36',
  '39',
  '40',
  '41',
  '43',
  '44',
  '45',
  '46',
  '47',
  '48',
  '49',
  '51',
  '52',
  '53',
  '54',
  '55',
  '56',
  '57',
  '58',
  '60',
  '61',
  '62',
  '63',
  '64',
  '65',
  '66',
  '81',
  '82',
  '84',
  '86',
  '90',
  '91',
  '92',
  '93',
  '94',
  '95',
  '98',
]);

const REGION_CODES: Record<string, string> = {
  US: '1',
  CA: '1',
  GB: '44',
  DE: '49',
  FR: '33',
  NL: '31',
  BE: '32',
  ES: '34',
  IT: '39',
  CH: '41',
  AT: '43',
  SE: '46',
  NO: '47',
  DK: '45',
  PL: '48',
  IE: '353',
  PT: '351',
  AU: '61',
  NZ: '64',
  IN: '91',
  JP: '81',
};

/**
 * The NANP area codes of the Caribbean and Atlantic countries that share +1 but are billed as
 * international (Jamaica, the Dominican Republic, ...): the classic callback toll-fraud targets.
 */
const NANP_ABROAD = [
  '242',
  '246',
  '264',
  '268',
  '284',
  '345',
  '441',
  '473',
  '649',
  '658',
  '664',
  '721',
  '758',
  '767',
  '784',
  '809',
  '829',
  '849',
  '868',
  '869',
  '876',
];

/**
 * Ranges a callback must not reach by default, by country code: premium-rate (and similar paid)
 * numbers, and for +1 the countries above. Denied unless the same pattern is listed in `allow`.
 */
const PREMIUM: Record<string, string[]> = {
  '1': ['1900*', '1976*', ...NANP_ABROAD.map((area) => `1${area}*`)],
  '44': ['449*', '4487*', '44118*'],
  '49': ['49900*', '49137*', '4919*'],
  '33': ['3389*', '33836*'],
  '41': ['41900*', '41906*'],
  '43': ['43900*', '43930*'],
  '61': ['6119*'],
  '31': ['31900*', '31909*'],
};

/** The country calling code of the hotline: from its first E.164 number, else from its region. */
export function hotlineCountryCode(
  numbers: readonly string[],
  region: string | undefined,
): string | undefined {
  const first = numbers.find((n) => n.trim().startsWith('+'));
  if (first !== undefined) {
    const digits = first.replace(/\D/g, '');
    for (const length of [1, 2]) if (SHORT_CODES.has(digits.slice(0, length))) return digits.slice(0, length);
    return digits.slice(0, 3);
  }
  return region === undefined ? undefined : REGION_CODES[region];
}

export interface CallbackPolicy {
  countryCode: string | undefined;
  /** Digits-only patterns (numberPattern.ts). */
  allow: readonly string[];
  deny: readonly string[];
}

export function callbackPolicy(
  countryCode: string | undefined,
  configured: { allow?: readonly string[]; deny?: readonly string[] },
): CallbackPolicy {
  return {
    countryCode,
    allow: configured.allow ?? (countryCode === undefined ? [] : [`${countryCode}*`]),
    // A configured deny adds to the defaults (adding one must not drop the protection); a default
    // is lifted only by naming that very pattern in `allow`.
    deny: [
      ...(countryCode === undefined ? [] : (PREMIUM[countryCode] ?? [])).filter(
        (pattern) => !(configured.allow ?? []).includes(pattern),
      ),
      ...(configured.deny ?? []),
    ],
  };
}

export type CallbackCheck =
  { ok: true; e164: string } | { ok: false; reason: 'withheld' | 'length' | 'not-allowed' | 'denied' };

/** A caller ID that says nothing about who called: no number to call back. */
export function isWithheld(number: string): boolean {
  const digits = number.replace(/\D/g, '');
  return digits.length < 3 || /^(anonymous|restricted|unknown|unavailable|private)$/i.test(number.trim());
}

/**
 * `number` as E.164 digits: "+44 20…" and "0044 20…" as they are, "020…" with the hotline's
 * country (its trunk prefix 0 dropped), a North American ten-digit number with 1.
 */
export function toE164Digits(number: string, countryCode: string | undefined): string {
  const trimmed = number.trim();
  const digits = trimmed.replace(/\D/g, '');
  if (trimmed.startsWith('+')) return digits;
  if (digits.startsWith('00')) return digits.slice(2);
  if (countryCode === '1') {
    if (digits.startsWith('011')) return digits.slice(3);
    if (digits.length === 10 && /^[2-9]/.test(digits)) return `1${digits}`;
    return digits;
  }
  if (countryCode !== undefined && digits.startsWith('0')) return `${countryCode}${digits.slice(1)}`;
  if (countryCode !== undefined && !digits.startsWith(countryCode)) return `${countryCode}${digits}`;
  return digits;
}

export function checkCallbackNumber(number: string, policy: CallbackPolicy): CallbackCheck {
  if (isWithheld(number)) return { ok: false, reason: 'withheld' };
  const digits = toE164Digits(number, policy.countryCode);
  // A North American number is 1, then an area code that starts with 2 to 9, then seven digits.
  const wellFormed =
    policy.countryCode === '1' && digits.startsWith('1')
      ? /^1[2-9]\d{9}$/.test(digits)
      : digits.length >= 8 && digits.length <= 15;
  if (!wellFormed) return { ok: false, reason: 'length' };
  if (policy.deny.some((pattern) => matchesPattern(pattern, digits))) return { ok: false, reason: 'denied' };
  if (!policy.allow.some((pattern) => matchesPattern(pattern, digits)))
    return { ok: false, reason: 'not-allowed' };
  return { ok: true, e164: `+${digits}` };
}
