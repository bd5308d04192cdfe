/**
 * Phones in the configuration are either E.164 numbers, which go out through the trunk template,
 * or Asterisk dial strings used as they are. Dial strings end up in ARI originate requests, so
 * anything that is not plainly a channel technology and resource is refused at load time.
 */
export const DIAL_STRING_PATTERN = /^[A-Za-z][A-Za-z0-9_]*\/[A-Za-z0-9_.+@:#*=/-]+$/;

const E164_SEPARATORS = /[\s().-]/g;

/** "+1 (555) 123-4567" and "+15551234567" are numbers; "PJSIP/alice" is not. */
export function looksLikePhoneNumber(phone: string): boolean {
  return phone.startsWith('+') && /^\+[1-9]\d{6,14}$/.test(phone.replace(E164_SEPARATORS, ''));
}

export function normaliseE164(phone: string): string {
  return phone.replace(E164_SEPARATORS, '');
}

export const DEFAULT_TRUNK_TEMPLATE = 'PJSIP/{number}@trunk';

/** The caller ID of a route's hotline: its name and first number, `"Acme hotline" <+15550100>`. */
export function hotlineCallerId(route: { name: string; numbers: readonly string[] }): string {
  const hotline = route.numbers[0]!.replace(/[^0-9+]/g, '');
  return `"${route.name.replace(/"/g, '')}" <${hotline}>`;
}

export function toDialString(phone: string, trunkTemplate: string): string {
  return looksLikePhoneNumber(phone) ? trunkTemplate.replace('{number}', normaliseE164(phone)) : phone;
}

/** Dialed numbers are compared digits-only: "+1 555-0100" and "15550100" are the same DID. */
export function normaliseDialedNumber(dialed: string): string {
  return dialed.replace(/[^0-9]/g, '');
}
