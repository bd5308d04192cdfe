/**
 * Who gets through a route's screening, as a pure function of its rules, the caller's number and
 * how many of their recent calls reached direct routing. The flow (screening.ts) reads the count
 * from the database and acts on the answer; `lcr routes --from` prints it.
 */
import type { Screening } from '../config/model';
import { digitsOf, matchesPattern } from '../util/numberPattern';

export type ScreenDecision =
  | { kind: 'pass' }
  /** Hung up: with the blocked prompt, or without an answer (`silent`). */
  | { kind: 'refuse'; reason: 'blocked' | 'anonymous'; silent: boolean }
  /** Never direct routing: the call goes to voicemail. */
  | { kind: 'voicemail-only'; reason: 'anonymous' | 'not-allowed' | 'rate-limited' };

/** What Asterisk and carriers put in the caller id of a withheld number. */
const WITHHELD = /^(?:|anonymous|restricted|unknown|unavailable|private|withheld|blocked)$/i;

export function isAnonymous(callerNumber: string): boolean {
  const trimmed = callerNumber.trim();
  return WITHHELD.test(trimmed) || digitsOf(trimmed) === '';
}

const matchesAny = (patterns: readonly string[], digits: string): boolean =>
  patterns.some((pattern) => matchesPattern(pattern, digits));

/**
 * The order a caller is screened in: blocked numbers, then withheld numbers, then the allow list,
 * then the rate limit (`recentDirectCalls`: their calls that reached direct routing within the
 * window, undefined when the route has no limit). Only direct routing is held back: a call to a
 * voicemail route is already a message.
 */
export function screenCaller(
  screening: Screening,
  callerNumber: string,
  recentDirectCalls: number | undefined,
): ScreenDecision {
  const anonymous = isAnonymous(callerNumber);
  const digits = digitsOf(callerNumber);
  if (!anonymous && matchesAny(screening.block, digits))
    return { kind: 'refuse', reason: 'blocked', silent: screening.blockedHears === 'nothing' };
  if (anonymous && screening.anonymous === 'refuse')
    return { kind: 'refuse', reason: 'anonymous', silent: screening.blockedHears === 'nothing' };
  if (anonymous && screening.anonymous === 'voicemail')
    return { kind: 'voicemail-only', reason: 'anonymous' };
  if (screening.allow !== undefined && (anonymous || !matchesAny(screening.allow, digits)))
    return { kind: 'voicemail-only', reason: 'not-allowed' };
  if (screening.rateLimit !== undefined && (recentDirectCalls ?? 0) >= screening.rateLimit.calls)
    return { kind: 'voicemail-only', reason: 'rate-limited' };
  return { kind: 'pass' };
}

/** What a screening decision writes in the call's row (`screened`). */
export function screenedAs(decision: ScreenDecision): string | undefined {
  if (decision.kind === 'pass') return undefined;
  if (decision.kind === 'refuse') return decision.reason === 'blocked' ? 'blocked' : 'anonymous-refused';
  return decision.reason === 'anonymous' ? 'anonymous-voicemail' : decision.reason;
}
