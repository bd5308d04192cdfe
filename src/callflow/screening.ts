/**
 * Caller screening in the inbound flow: the decision before anything is played (screeningRules.ts,
 * with the rate limit counted in the database), written in the call's row; press-to-continue
 * after the greeting; and what a screened caller hears.
 */
import type { Route } from '../config/model';
import type { CallFacts, FlowContext } from './context';
import { declared, promptRequest, render, type PromptDeclaration } from './prompts';
import { routingsOf, type RoutePlan } from './routePlan';
import { screenCaller, screenedAs, type ScreenDecision } from './screeningRules';
import type { CallSession } from './session';
import { gatherDigit, gatherDigits } from './verbs/gather';
import { play } from './verbs/play';

export const screeningSays = {
  blocked: (route: Route) => promptRequest('blocked', undefined, { route: route.name }, route),
  heldBack: (route: Route) => promptRequest('screenedVoicemail', undefined, { route: route.name }, route),
  pin: (route: Route) =>
    promptRequest('pinPrompt', route.screening.pin?.prompt, { route: route.name }, route),
  pinWrong: (route: Route) => promptRequest('pinWrong', undefined, { route: route.name }, route),
  pressToContinue: (route: Route, key: string) =>
    promptRequest(
      'pressToContinue',
      route.screening.pressToContinue?.prompt,
      { key, route: route.name },
      route,
    ),
};

export const screeningPrompts: PromptDeclaration = (config) =>
  config.routes
    .filter((route) => route.active)
    .flatMap((route) => {
      const where = `route ${route.id} screening`;
      const { screening } = route;
      const uses = [];
      if (screening.block.length > 0 || screening.anonymous === 'refuse')
        uses.push(declared(where, screeningSays.blocked(route)));
      const direct = routingsOf(route).has('direct');
      // A caller held back from direct routing (a failed PIN too) is told why before the message.
      const holdsBack =
        screening.allow !== undefined ||
        screening.anonymous === 'voicemail' ||
        screening.rateLimit !== undefined ||
        screening.pin !== undefined;
      if (holdsBack && direct) uses.push(declared(where, screeningSays.heldBack(route)));
      if (screening.pin !== undefined && direct)
        uses.push(declared(where, screeningSays.pin(route)), declared(where, screeningSays.pinWrong(route)));
      if (screening.pressToContinue !== undefined)
        uses.push(declared(where, screeningSays.pressToContinue(route, screening.pressToContinue.key)));
      return uses;
    });

/** Screens the caller of a call that reached `route`; a decision other than pass is written in the row. */
export async function screenInbound(
  ctx: FlowContext,
  facts: CallFacts,
  route: Route,
): Promise<ScreenDecision> {
  const limit = route.screening.rateLimit;
  const recent =
    limit === undefined ? undefined : await recentCalls(ctx, facts, ctx.now() - limit.perSeconds * 1000);
  const decision = screenCaller(route.screening, facts.callerNumber, recent);
  const screened = screenedAs(decision);
  if (screened !== undefined) {
    ctx.calls.updateCall(facts.callId, { screened });
    ctx.logger.info('caller screened', { decision: screened, ...(recent === undefined ? {} : { recent }) });
  }
  return decision;
}

/** How long a caller waits at most for the rate limit's count before being let through. */
const RATE_COUNT_WAIT_MS = 500;

/**
 * The caller's recent direct calls, or undefined when the store cannot say soon enough (it is
 * locked, full or out of reach): the caller is let through rather than kept waiting, since the
 * rate limit guards responders from a flood, not a single call.
 */
async function recentCalls(ctx: FlowContext, facts: CallFacts, since: number): Promise<number | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), RATE_COUNT_WAIT_MS);
  });
  try {
    const counted = ctx.calls.directCallsSince(facts.callerNumber, since, facts.callId);
    const recent = await Promise.race([counted, late]);
    if (recent === undefined) {
      counted.catch(() => undefined);
      ctx.logger.warn('the call log did not answer in time; the rate limit lets this caller through');
    }
    return recent;
  } catch (error) {
    ctx.logger.warn('the call log could not count recent calls; the rate limit lets this caller through', {
      error: (error as Error).message,
    });
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

/** Press-to-continue, when the route asks for it: true once the caller pressed the key. */
export async function pressedToContinue(
  ctx: FlowContext,
  session: CallSession,
  facts: CallFacts,
  route: Route,
): Promise<boolean> {
  const rule = route.screening.pressToContinue;
  if (rule === undefined) return true;
  const prompt = render(ctx.prompts, screeningSays.pressToContinue(route, rule.key));
  for (let attempt = 1; attempt <= rule.tries; attempt++) {
    const digit = session.takeDigit() ?? (await gatherDigit(session, prompt, rule.timeoutSeconds * 1000));
    session.clearDigits();
    ctx.logger.info('press to continue', { attempt, digit: digit ?? null, pressed: digit === rule.key });
    if (digit === rule.key) return true;
  }
  ctx.calls.updateCall(facts.callId, { screened: 'no-continue' });
  return false;
}

/** A direct call screening holds back (allow list, withheld number, rate limit) goes to voicemail. */
export function heldBack(plan: RoutePlan, screen: ScreenDecision, facts: CallFacts): RoutePlan {
  if (screen.kind !== 'voicemail-only' || plan.routing !== 'direct') return plan;
  facts.heldBack = true;
  return { ...plan, routing: 'voicemail' };
}

/**
 * The PIN before direct routing, when the route asks for one: any of its PINs, or the chosen
 * team's. True once a right one is entered; after `tries` wrong ones (or none) the row says
 * pin-failed and the caller goes to voicemail.
 */
export async function enteredPin(
  ctx: FlowContext,
  session: CallSession,
  facts: CallFacts,
  route: Route,
  teamId: string,
): Promise<boolean> {
  const rule = route.screening.pin;
  if (rule === undefined) return true;
  const teamPin = rule.teamPins[teamId];
  const prompt = render(ctx.prompts, screeningSays.pin(route));
  for (let attempt = 1; attempt <= rule.tries; attempt++) {
    session.clearDigits();
    const entered = await gatherDigits(session, prompt, {
      maxDigits: 12,
      firstTimeoutMs: 8000,
      interDigitMs: 4000,
    });
    const right = entered !== '' && (rule.pins.includes(entered) || entered === teamPin);
    // The digits are never logged: only whether they were right.
    ctx.logger.info('PIN', { attempt, entered: entered.length > 0, right });
    if (right) return true;
    if (attempt < rule.tries) await play(session, render(ctx.prompts, screeningSays.pinWrong(route)));
  }
  ctx.calls.updateCall(facts.callId, { screened: 'pin-failed' });
  facts.heldBack = true;
  return false;
}
