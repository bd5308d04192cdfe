/**
 * A direct call's page (`direct.page`), so that a live call is on the record like a message:
 * - on_answer: triggered for the team and acknowledged at once by who took the call;
 * - on_call_start: opened as the first phones ring (chat webhooks only), taken by who accepts,
 *   or, when nobody does, going on as the voicemail page (with the message, if one is left).
 * Every write goes behind the call log (paging.behind), in order: the caller and the responders
 * never wait for it. The adoption of a connected call (reconcile/adopt.ts) writes a page a crash
 * kept from being written, so a connected call never ends without its page.
 */
import type { Route } from '../../config/model';
import type { CallFacts, FlowContext, RoutedCall } from '../context';
import type { MissedLiveCall } from '../../paging/requests';

export interface ConnectedCall {
  callId: string;
  teamId: string;
  route: Route;
  callerNumber: string;
  responderId: string;
}

/** A call's page, known once its write ran (behind the call log). */
export interface CallPage {
  id?: number;
}

export async function pageConnectedCall(ctx: FlowContext, call: ConnectedCall): Promise<number> {
  const at = ctx.now();
  const responder = ctx.config.responders.get(call.responderId)?.name ?? call.responderId;
  const actor = { id: call.responderId, via: 'phone' as const, responderId: call.responderId };
  const { pageId } = await ctx.paging.trigger({
    teamId: call.teamId,
    routeId: call.route.id,
    callId: call.callId,
    voicemailId: null,
    callerNumber: call.callerNumber || null,
    summary: `Call from ${call.callerNumber || 'an unknown number'} via ${call.route.name} taken by ${responder}`,
    at,
    acknowledgedBy: { actor, note: 'took the call' },
  });
  return pageId;
}

/**
 * direct.page: on_call_start: the page opens as the first phones ring. A caller taken back
 * mid-ringing (`resumed`) goes on with the page the last process opened, if it got to write it.
 */
export function openLivePage(call: RoutedCall, resumed: boolean): CallPage | undefined {
  const { ctx, facts, route, team } = call;
  if (route.direct.page !== 'on_call_start') return undefined;
  const page: CallPage = {};
  facts.livePage = page;
  ctx.paging.behind(async (paging) => {
    if (resumed) page.id = await paging.livePageOf(facts.callId);
    page.id ??= await paging.openLiveCall({
      teamId: team.id,
      routeId: route.id,
      optionKey: facts.optionKey ?? null,
      callId: facts.callId,
      voicemailId: null,
      callerNumber: facts.callerNumber || null,
      summary: `Call in progress from ${facts.callerNumber || 'an unknown number'}, ${team.name} (via ${route.name})`,
      urgency: facts.urgency ?? 'high',
      at: ctx.now(),
    });
  });
  return page;
}

/** A responder took the call: the live page is theirs, or (on_answer) the call's page is written. */
export function pageTheConnection(call: RoutedCall, responderId: string): CallPage | undefined {
  const { ctx, facts, route, team } = call;
  const live = facts.livePage;
  if (live !== undefined) {
    ctx.paging.behind(async (paging) => {
      if (live.id !== undefined) await paging.liveCallTaken(live.id, responderId, ctx.now());
    });
    return live;
  }
  if (route.direct.page !== 'on_answer') return undefined;
  const page: CallPage = {};
  ctx.paging.behind(
    async () =>
      void (page.id = await pageConnectedCall(ctx, {
        callId: facts.callId,
        teamId: team.id,
        route,
        callerNumber: facts.callerNumber,
        responderId,
      })),
  );
  return page;
}

/** The connected call ended: its page is resolved if the route says so. */
export function resolveAtHangup(
  ctx: FlowContext,
  route: Route,
  page: CallPage | undefined,
  responderId: string,
): void {
  if (page === undefined || !route.direct.resolveOnHangup) return;
  ctx.paging.behind(async (paging) => {
    if (page.id === undefined) return;
    await paging.resolve(page.id, { id: responderId, via: 'automatic', responderId }, 'call ended');
  });
}

/**
 * Nobody took the call and no message came of it (the caller hung up first, or the route hangs
 * up): a missed call the route wants paged (on_no_answer: hangup, page_on_abandon) escalates
 * as one; a caller who gave up is closed as such.
 */
export function closeUnansweredLivePage(ctx: FlowContext, facts: CallFacts, route: Route): void {
  const live = facts.livePage;
  if (live === undefined || facts.outcome === 'voicemail' || facts.outcome === 'connected') return;
  const nobodyAnswered = facts.outcome === 'no-answer';
  const at = ctx.now();
  ctx.paging.behind(async (paging) => {
    if (live.id === undefined) return;
    if (nobodyAnswered || route.voicemail.pageOnAbandon)
      return paging.liveCallMissed(live.id, {
        voicemailId: null,
        durationSeconds: null,
        summary: `Missed call from ${facts.callerNumber || 'an unknown number'} via ${route.name}: ${nobodyAnswered ? 'nobody answered' : 'the caller hung up before anyone answered'}`,
        at,
      });
    await paging.resolve(
      live.id,
      { id: 'system', via: 'automatic' },
      'the caller hung up before anyone answered',
    );
  });
}

/**
 * What a caller left (a message, a callback request) is paged: on the page a direct call that
 * nobody took opened already (direct.page: on_call_start), or on a page of its own.
 */
export function pageWhatTheCallerLeft(call: RoutedCall, left: MissedLiveCall): void {
  const { ctx, facts, route, team } = call;
  const live = facts.livePage;
  if (live !== undefined) {
    ctx.paging.behind(async (paging) => {
      if (live.id !== undefined) await paging.liveCallMissed(live.id, left);
    });
    return;
  }
  ctx.paging.triggerBehind({
    teamId: team.id,
    routeId: route.id,
    optionKey: facts.optionKey ?? null,
    callId: facts.callId,
    voicemailId: left.voicemailId,
    callerNumber: facts.callerNumber || null,
    durationSeconds: left.durationSeconds,
    callbackNumber: left.callbackNumber ?? null,
    summary: left.summary,
    urgency: facts.urgency ?? 'high',
    dedupe: route.dedupe,
    at: left.at,
  });
}

/** A caller nobody answered asked to be called back (a route without messages). */
export function pageCallbackRequest(call: RoutedCall, number: string): void {
  const { ctx, facts, route, team } = call;
  pageWhatTheCallerLeft(call, {
    voicemailId: null,
    durationSeconds: null,
    callbackNumber: number,
    summary: `Missed call from ${facts.callerNumber || 'an unknown number'} via ${route.name} for ${team.name}: call back at ${number}`,
    at: ctx.now(),
  });
}
