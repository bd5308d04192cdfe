/**
 * Which route a call is for: the Stasis arguments name it (`Stasis(lcr,hotline)`), or the dialed
 * extension matches one of its numbers. Pure.
 */
import type { Route } from '../config/model';
import { normaliseDialedNumber } from '../config/dialString';

/** Shortest digits two numbers may share before a prefix match counts (avoids "1" matching anything). */
const MIN_SUFFIX_DIGITS = 4;

export function findRoute(
  routes: readonly Route[],
  stasisArgs: readonly string[],
  exten: string,
): Route | undefined {
  const named = stasisArgs[0];
  if (named !== undefined && named !== '') {
    const byId = routes.find((route) => route.id === named);
    if (byId !== undefined) return byId;
  }
  const candidates = [...(named ? [named] : []), exten].map(normaliseDialedNumber).filter((d) => d !== '');
  for (const dialed of candidates) {
    const exact = routes.find((route) => route.normalisedNumbers.includes(dialed));
    if (exact !== undefined) return exact;
  }
  // A trunk may add a prefix (a country code, an access digit) or strip one: match on the longest
  // number one of them ends with.
  let best: { route: Route; length: number } | undefined;
  for (const dialed of candidates) {
    for (const route of routes) {
      for (const number of route.normalisedNumbers) {
        const shorter = dialed.length <= number.length ? dialed : number;
        const longer = shorter === dialed ? number : dialed;
        if (
          shorter.length >= MIN_SUFFIX_DIGITS &&
          longer.endsWith(shorter) &&
          (best === undefined || shorter.length > best.length)
        ) {
          best = { route, length: shorter.length };
        }
      }
    }
  }
  return best?.route;
}
