/**
 * The caller's side of a callback: after a message (or when nobody answers a direct call), the
 * caller may ask to be called back at the calling number, or at digits entered, read back and
 * confirmed. The number must pass the route's callback policy (util/callbackNumbers.ts): the
 * hotline's own country, no premium-rate range. A withheld number is not offered a callback.
 */
import type { Route, Team } from '../../config/model';
import {
  callbackPolicy,
  checkCallbackNumber,
  hotlineCountryCode,
  isWithheld,
} from '../../util/callbackNumbers';
import type { RoutedCall } from '../context';
import { declared, promptRequest, render, teamsOf, type PromptDeclaration } from '../prompts';
import { ChannelGone } from '../session';
import { gatherDigit, gatherDigits } from '../verbs/gather';
import { play } from '../verbs/play';

const KEY_WAIT_MS = 8000;
const DIGIT_WAIT_MS = 5000;
/** Entering the number, at most this many times. */
const MOST_TRIES = 2;

const varsOf = (route: Route, team: Team, number = ''): Record<string, string> => ({
  route: route.name,
  team: team.name,
  number,
});

const says = {
  offer: (route: Route, team: Team) => promptRequest('callbackOffer', undefined, varsOf(route, team), route),
  enter: (route: Route, team: Team) => promptRequest('callbackEnter', undefined, varsOf(route, team), route),
  readBack: (route: Route, team: Team, number?: string) =>
    promptRequest('callbackReadBack', undefined, varsOf(route, team, number), route),
  refused: (route: Route, team: Team) =>
    promptRequest('callbackRefused', undefined, varsOf(route, team), route),
  confirmed: (route: Route, team: Team) =>
    promptRequest('callbackConfirmed', undefined, varsOf(route, team), route),
};

export const callbackOfferPrompts: PromptDeclaration = (config) =>
  config.routes
    .filter((route) => route.active && route.callback.offer)
    .flatMap((route) =>
      teamsOf(config, route).flatMap((team) =>
        [
          says.offer(route, team),
          says.enter(route, team),
          says.readBack(route, team),
          says.refused(route, team),
          says.confirmed(route, team),
        ].map((request) => declared(`route ${route.id}`, request)),
      ),
    );

/** The route's callback policy. */
export function policyOf(route: Route) {
  return callbackPolicy(hotlineCountryCode(route.numbers, route.region), route.callback);
}

/**
 * Offers the callback; resolves with the E.164 number the caller confirmed, or undefined (no key,
 * a refused number, no offer on this route). A caller who hangs up meanwhile asked for nothing.
 */
export async function offerCallback(call: RoutedCall): Promise<string | undefined> {
  const { ctx, caller, route, team, facts } = call;
  if (!route.callback.offer || isWithheld(facts.callerNumber) || caller.gone) return undefined;
  const policy = policyOf(route);
  try {
    caller.clearDigits();
    // Keys typed ahead after the choice are the number (or its confirmation): kept.
    const choice = await gatherDigit(caller, render(ctx.prompts, says.offer(route, team)), KEY_WAIT_MS);
    if (choice === '1') {
      const check = checkCallbackNumber(facts.callerNumber, policy);
      if (check.ok) return await confirmed(call, check.e164);
      ctx.logger.info('callback refused', { reason: check.reason, entered: false });
      await play(caller, render(ctx.prompts, says.refused(route, team)));
      return undefined;
    }
    if (choice !== '2') return undefined;
    for (let attempt = 1; attempt <= MOST_TRIES; attempt++) {
      const entered = await gatherDigits(caller, render(ctx.prompts, says.enter(route, team)), {
        maxDigits: 16,
        firstTimeoutMs: KEY_WAIT_MS,
        interDigitMs: DIGIT_WAIT_MS,
      });
      if (entered === '') return undefined;
      const check = checkCallbackNumber(entered, policy);
      if (!check.ok) {
        // The digits themselves are not logged: a caller's private number.
        ctx.logger.info('callback refused', { reason: check.reason, entered: true, attempt });
        await play(caller, render(ctx.prompts, says.refused(route, team)));
        caller.clearDigits();
        continue;
      }
      const readBack = await gatherDigit(
        caller,
        render(ctx.prompts, says.readBack(route, team, check.e164)),
        KEY_WAIT_MS,
      );
      caller.clearDigits();
      if (readBack === '1') return await confirmed(call, check.e164);
    }
    return undefined;
  } catch (error) {
    if (error instanceof ChannelGone) return undefined;
    throw error;
  }
}

async function confirmed(call: RoutedCall, e164: string): Promise<string> {
  const { ctx, caller, route, team } = call;
  ctx.logger.info('callback requested');
  await play(caller, render(ctx.prompts, says.confirmed(route, team))).catch(() => undefined);
  return e164;
}
