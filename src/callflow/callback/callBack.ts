/**
 * The responder's side of a callback: a responder who acknowledged a page with a callback request
 * is offered "press 1 to call the caller back now". lcr then rings the caller through the route's
 * trunk (`callback.dial`) with the hotline's caller ID and bridges them with the responder's
 * phone, as a direct call: a call row for the caller, the responder's leg, both in the call log,
 * and the page's timeline says who called back, when, and how it went.
 */
import { randomUUID } from 'node:crypto';
import type { AriPort } from '../../ari/types';
import type { Config, Responder, Route } from '../../config/model';
import { hotlineCallerId, toDialString } from '../../config/dialString';
import type { Logger } from '../../log/logger';
import { callBackTaken, type PagingService } from '../../paging/service';
import type { CallStore } from '../../store/calls';
import type { PageCallerRow, PageRow, PageStore } from '../../store/pages';
import type { LegTracker } from '../context';
import { callBridgeId, responderLeg } from '../marks';
import { declared, promptRequest, render, type PromptDeclaration, type PromptRenderer } from '../prompts';
import { CallSession } from '../session';
import { retryTransient } from '../../store/sql/driver';
import { classifyUnanswered, dial } from '../verbs/dial';
import { gatherDigit } from '../verbs/gather';
import { hangup } from '../verbs/hangup';
import { play } from '../verbs/play';

const KEY_WAIT_MS = 8000;
/** Longest wait for another process's lock on the database. */
const LOCK_WAIT_MS = 20_000;

/** The responder let the offer pass: the page call ends as an acknowledgement. */
export const NOT_CALLED_BACK = 'acknowledged; did not call back';

export interface CallBackDependencies {
  ari: AriPort;
  legs: LegTracker;
  calls: CallStore;
  prompts: PromptRenderer;
  paging: PagingService;
  pages: PageStore;
  config: Config;
  logger: Logger;
}

const says = {
  offer: (route: Route | undefined, number?: string) =>
    promptRequest('pageCallbackOffer', undefined, { number: number ?? '' }, route),
  connecting: (route: Route | undefined) => promptRequest('callbackConnecting', undefined, {}, route),
  unreached: (route: Route | undefined) => promptRequest('callbackUnreached', undefined, {}, route),
  taken: (route: Route | undefined) => promptRequest('callbackTaken', undefined, {}, route),
};

export const callBackPrompts: PromptDeclaration = (config) =>
  [...config.routes.filter((route) => route.active && route.callback.offer), undefined].flatMap((route) =>
    [says.offer(route), says.connecting(route), says.unreached(route), says.taken(route)].map((request) =>
      declared(route === undefined ? 'pages of a removed route' : `route ${route.id}`, request),
    ),
  );

/**
 * The page's newest callback request nobody has reached, nor is calling right now (a caller who
 * was not reached may be called back again).
 */
export async function pendingCallback(pages: PageStore, pageId: number): Promise<PageCallerRow | undefined> {
  const [callers, events] = await Promise.all([pages.callers(pageId), pages.events(pageId)]);
  const now = Date.now();
  return callers.filter((c) => c.callback_number !== null && !callBackTaken(events, c.id, now)).at(-1);
}

/**
 * Offers the responder on `responder`'s answered channel to call the caller back; resolves with
 * what happened, for the notification's result, or undefined when there was nothing to offer.
 */
export async function offerCallBack(
  deps: CallBackDependencies,
  session: CallSession,
  page: PageRow,
  responder: Responder,
  via: CallBackVia = 'phone',
): Promise<string | undefined> {
  const request = await retryTransient(() => pendingCallback(deps.pages, page.id), LOCK_WAIT_MS);
  if (request === undefined) return undefined;
  const route = deps.config.routes.find((r) => r.id === page.route_id);
  const digit = await gatherDigit(
    session,
    render(deps.prompts, says.offer(route, request.callback_number!)),
    KEY_WAIT_MS,
  );
  if (digit !== '1') return NOT_CALLED_BACK;
  return callBackNow(deps, session, page, responder, request, via);
}

/** How the responder asked for the callback: on the page call, or with the acknowledge link. */
export type CallBackVia = 'phone' | 'link';

/** Rings the caller and bridges them with the responder's channel; resolves once the call is over. */
export async function callBackNow(
  deps: CallBackDependencies,
  responderSession: CallSession,
  page: PageRow,
  responder: Responder,
  request: PageCallerRow,
  via: CallBackVia = 'phone',
): Promise<string> {
  const { config } = deps;
  const route = config.routes.find((r) => r.id === page.route_id);
  const number = request.callback_number!;
  const callId = randomUUID();
  const legId = randomUUID();
  const app = config.asterisk.app;
  const channelId = responderLeg.channelId(app, `cb-${callId}`);
  const logger = deps.logger.child({ pageId: page.id, callId, responder: responder.id });
  const startedAt = Date.now();
  if (responderSession.gone) return 'acknowledged; hung up before the callback';
  const actor = { id: responder.id, via, responderId: responder.id };
  const claimed = await retryTransient(
    () => deps.paging.claimCallBack(page.id, request.id, actor, callId),
    LOCK_WAIT_MS,
  ).catch((error: unknown) => {
    logger.error('the callback could not be claimed', { error: String(error) });
    return false;
  });
  if (!claimed) {
    logger.info('callback not made: another responder is calling, or the caller was reached');
    await play(responderSession, render(deps.prompts, says.taken(route))).catch(() => undefined);
    await hangup(responderSession);
    return 'acknowledged; someone else is calling the caller back';
  }
  const connecting = play(responderSession, render(deps.prompts, says.connecting(route))).catch(
    () => 'failed',
  );
  // The responder hanging up stops the ringing, even while the originate is on its way.
  const responderLeft = new AbortController();
  const offResponder = responderSession.onGone(() => responderLeft.abort());
  const caller = new CallSession(channelId, deps.ari.forCall(channelId), logger);
  deps.legs.track(caller);
  const endpoint = toDialString(number, route?.callback.endpoint ?? config.settings.trunkTemplate);
  const dialing = dial(
    caller,
    {
      endpoint,
      app,
      appArgs: responderLeg.appArgs(responderSession.channelId, legId),
      callerId: route?.callback.callerId ?? (route === undefined ? undefined : hotlineCallerId(route)),
      timeout: route?.callback.ringTimeoutSeconds ?? 30,
    },
    { signal: responderLeft.signal },
  );
  void dialing.destroyed.then(() => deps.legs.untrack(channelId));
  let dialed = await dialing.result;
  await connecting;
  // Picked up just as the responder left: the caller is told nothing and hung up.
  if (dialed.kind === 'answered' && responderSession.gone) {
    await hangup(caller);
    dialed = { kind: 'refused', reason: 'the responder hung up first' };
  }
  // The timeline is told behind the call: a database that is briefly locked waits on timers, and
  // one that stays unreachable costs the entry, never the conversation.
  const record = (result: string, extra: Record<string, unknown> = {}): Promise<void> =>
    retryTransient(
      () =>
        deps.paging.noteCallBack(page.id, actor, {
          page_caller_id: request.id,
          number,
          call_id: callId,
          result,
          ...extra,
        }),
      LOCK_WAIT_MS,
    ).catch((error: unknown) =>
      logger.error('the callback could not be written to the page timeline', { error: String(error) }),
    );
  const rows = {
    id: callId,
    channel_id: channelId,
    caller_number: number,
    caller_name: '',
    dialed_number: number,
    started_at: startedAt,
    app,
    asterisk: config.asterisk.name,
  };
  const leg = {
    id: legId,
    call_id: callId,
    responder_id: responder.id,
    phone: null,
    level: 0,
    round: 0,
    channel_id: responderSession.channelId,
    started_at: startedAt,
  };
  if (dialed.kind !== 'answered') {
    offResponder();
    if (dialed.kind === 'refused') deps.legs.untrack(channelId);
    const reason = responderLeft.signal.aborted
      ? 'the responder hung up first'
      : dialed.kind === 'refused'
        ? dialed.reason
        : classifyUnanswered(dialed.cause, dialed.dialstatus).reason;
    const endedAt = Date.now();
    deps.calls.insertCall(rows);
    deps.calls.updateCall(callId, {
      route_id: page.route_id,
      team_id: page.team_id,
      routing: 'callback',
      outcome: 'no-answer',
      outcome_detail: `callback by ${responder.id} for page #${page.id}: ${reason}`,
      ended_at: endedAt,
    });
    deps.calls.insertLeg({
      ...leg,
      result: 'cancelled',
      reason: `the caller was not reached: ${reason}`,
      ended_at: endedAt,
    });
    await record('not reached', { reason });
    logger.info('callback not answered', { reason });
    if (!responderSession.gone)
      await play(responderSession, render(deps.prompts, says.unreached(route))).catch(() => undefined);
    await hangup(responderSession);
    return `acknowledged; called back, not reached (${reason})`;
  }
  const connectedAt = Date.now();
  deps.calls.insertCall(rows);
  deps.calls.updateCall(callId, {
    route_id: page.route_id,
    team_id: page.team_id,
    routing: 'callback',
    answered_at: connectedAt,
    connected_at: connectedAt,
    connected_responder_id: responder.id,
    outcome: 'connected',
    outcome_detail: `callback by ${responder.id} for page #${page.id}`,
    stage: 'connected',
  });
  deps.calls.insertLeg({ ...leg, result: 'accepted', reason: 'called the caller back', ended_at: null });
  const bridgeId = callBridgeId(app, callId);
  try {
    await caller.ari.createBridge(bridgeId, `lcr-callback-${callId}`);
    await caller.ari.addToBridge(bridgeId, [channelId, responderSession.channelId]);
    await record('connected');
    logger.info('callback connected');
    await new Promise<void>((resolve) => {
      if (caller.gone || responderSession.gone) return resolve();
      const offs = [caller.onGone(() => done()), responderSession.onGone(() => done())];
      function done(): void {
        for (const off of offs) off();
        resolve();
      }
    });
  } finally {
    offResponder();
    await Promise.all([hangup(caller), hangup(responderSession)]);
    await caller.ari.destroyBridge(bridgeId).catch(() => undefined);
    const endedAt = Date.now();
    deps.calls.updateLeg(legId, { ended_at: endedAt });
    deps.calls.updateCall(callId, { stage: null, hangup_cause: caller.hangupCause ?? 16, ended_at: endedAt });
  }
  return `acknowledged; called the caller back (call ${callId})`;
}
