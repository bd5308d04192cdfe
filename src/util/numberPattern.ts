/**
 * Phone number patterns for screening: digits, `*` (any run of digits) and `?` (one digit),
 * matched against a number's digits only ("+1 (555) 010-0" and "15550100" compare equal).
 */

/** A number as digits only. */
export function digitsOf(number: string): string {
  return number.replace(/\D/g, '');
}

const compiled = new Map<string, RegExp>();

export function matchesPattern(pattern: string, digits: string): boolean {
  let regex = compiled.get(pattern);
  if (regex === undefined) {
    regex = new RegExp(`^${pattern.replace(/\*/g, '\\d*').replace(/\?/g, '\\d')}$`);
    if (compiled.size > 10_000) compiled.clear();
    compiled.set(pattern, regex);
  }
  return regex.test(digits);
}
