/**
 * The phone notification of a page: ring the responder's phones in order (the next one when a
 * phone does not answer), then tell them about the page, play the voicemail, and take
 * 1 (acknowledge), 2 (hear it again), 3 (escalate now) or 4 (acknowledge and record a status
 * message for the team's callers, statusByPhone.ts).
 */
import { randomBytes } from 'node:crypto';
import type { AriPort } from '../ari/types';
import type { Config, Responder, Route } from '../config/model';
import type { Logger } from '../log/logger';
import type { PageCallRequest, PageCallResult } from '../notifications/types';
import type { PagingService } from '../paging/service';
import { retryTransient } from '../store/sql/driver';
import type { PageRow, PageStatus, PageStore } from '../store/pages';
import type { CallStore } from '../store/calls';
import type { LegTracker } from './context';
import { NOT_CALLED_BACK, offerCallBack } from './callback/callBack';
import {
  recordStatusMessage,
  STATUS_KEY,
  statusMenuLine,
  type StatusByPhoneDependencies,
} from './statusByPhone';
import { pageCall } from './marks';
import {
  declared,
  joinPrompts,
  promptRequest,
  render,
  teamsOf,
  type PromptDeclaration,
  type PromptRenderer,
  type RenderedPrompt,
} from './prompts';
import { ChannelGone, CallSession } from './session';
import { classifyUnanswered, dial, type DialResult } from './verbs/dial';
import { gatherDigit } from './verbs/gather';
import { hangup } from './verbs/hangup';
import { play } from './verbs/play';

const KEY_WAIT_MS = 8000;
/** Longest wait of a responder's key press for another process's lock on the database. */
const LOCK_WAIT_MS = 20_000;
/** "2" replays the message; a responder may ask a few times, not forever. */
const MOST_REPLAYS = 5;

/** What a page can be, by the time the responder answers, other than still open. */
const HANDLED_STATUSES: ReadonlyArray<Exclude<PageStatus, 'triggered'>> = ['acknowledged', 'resolved'];

/**
 * What a responder hears in a page call: used by the render calls below and the declaration.
 * `route` is undefined for a page whose route a reload has since removed.
 */
const says = {
  alreadyHandled: (route: Route | undefined, status: string) =>
    promptRequest('pageAlreadyHandled', undefined, { status }, route),
  acknowledged: (route: Route | undefined) => promptRequest('pageAcknowledged', undefined, {}, route),
  escalated: (route: Route | undefined) => promptRequest('pageEscalated', undefined, {}, route),
  messageMissing: (route: Route | undefined) => promptRequest('pageMessageMissing', undefined, {}, route),
  menu: (route: Route | undefined) => promptRequest('pageMenu', undefined, {}, route),
  /** `caller` is only known in the call; it is spoken from cached digits, not made per number. */
  announce: (route: Route | undefined, team: string, caller?: string) =>
    promptRequest(
      'pageAnnounce',
      undefined,
      {
        team,
        route: route?.name ?? 'the hotline',
        caller: caller ?? '',
        ...(caller === undefined ? {} : { callerDigits: caller.replace(/\D/g, '') }),
      },
      route,
    ),
};

/** Every prompt of a page call, for pages of `route` (or of a route a reload has removed). */
const pageCallRequests = (route: Route | undefined, teams: readonly string[]) => [
  ...teams.map((team) => says.announce(route, team)),
  says.menu(route),
  says.acknowledged(route),
  says.escalated(route),
  says.messageMissing(route),
  ...HANDLED_STATUSES.map((status) => says.alreadyHandled(route, status)),
];

export const pageCallPrompts: PromptDeclaration = (config) => [
  ...config.routes
    .filter((route) => route.active)
    .flatMap((route) =>
      pageCallRequests(
        route,
        teamsOf(config, route).map((team) => team.name),
      ).map((request) => declared(`route ${route.id}`, request)),
    ),
  // Pages outlive the configuration they were made under: one whose route is gone since is
  // still announced, for any team that is left.
  ...pageCallRequests(
    undefined,
    [...config.teams.values()].map((team) => team.name),
  ).map((request) => declared('pages of a removed route', request)),
];

export interface PageCallDependencies extends StatusByPhoneDependencies {
  ari: AriPort;
  /** The call log: a callback from the page call is a call with its legs. */
  calls: CallStore;
  legs: LegTracker;
  prompts: PromptRenderer;
  paging: PagingService;
  pages: PageStore;
  config: Config;
  logger: Logger;
  /** The URL Asterisk fetches the page's voicemail from, or undefined when there is no audio. */
  voicemailMedia: (page: PageRow) => Promise<string | undefined>;
}

function describeUnanswered(result: Exclude<DialResult, { kind: 'answered' }>): string {
  return result.kind === 'refused'
    ? result.reason
    : classifyUnanswered(result.cause, result.dialstatus).reason;
}

export async function callAboutPage(
  deps: PageCallDependencies,
  request: PageCallRequest,
): Promise<PageCallResult> {
  return ringResponder(deps, request, (session) =>
    converse(deps, session, request.page.id, request.responder),
  );
}

/**
 * The responder who pressed "call the caller back" on an acknowledge link: their phones are rung
 * as for a page call, and whoever answers confirms with 1 (a mobile's own voicemail must never be
 * bridged to a customer) before lcr rings the caller.
 */
export async function callResponderToCallBack(
  deps: PageCallDependencies,
  page: PageRow,
  responder: Responder,
): Promise<PageCallResult> {
  const request = { notificationId: 0, page, responder, signal: new AbortController().signal };
  return ringResponder(deps, request, async (session) => {
    try {
      const outcome = await offerCallBack(deps, session, page, responder, 'link');
      if (outcome === undefined || outcome === NOT_CALLED_BACK) await hangup(session);
      return outcome ?? 'answered; nobody left to call back';
    } catch (error) {
      if (error instanceof ChannelGone) return 'answered; hung up before calling back';
      throw error;
    }
  });
}

async function ringResponder(
  deps: PageCallDependencies,
  request: PageCallRequest,
  answered: (session: CallSession) => Promise<string>,
): Promise<PageCallResult> {
  const { responder, page } = request;
  const tried: string[] = [];
  for (const [index, phone] of responder.phones.entries()) {
    if (request.signal.aborted) {
      if (tried.length === 0) tried.push('stopped: the page was handled');
      break;
    }
    const channelId = pageCall.channelId(
      deps.config.asterisk.app,
      page.id,
      request.notificationId,
      index,
      randomBytes(3).toString('hex'),
    );
    const logger = deps.logger.child({ pageId: page.id, responder: responder.id, channelId });
    const session = new CallSession(channelId, deps.ari.forCall(channelId), logger);
    deps.legs.track(session);
    const dialing = dial(
      session,
      {
        endpoint: phone.dialString,
        app: deps.config.asterisk.app,
        appArgs: pageCall.appArgs(page.id, request.notificationId),
        callerId: deps.config.notifications.phone.callerId,
        timeout: deps.config.notifications.phone.ringTimeoutSeconds,
      },
      { signal: request.signal },
    );
    void dialing.destroyed.then(() => deps.legs.untrack(channelId));
    const dialed = await dialing.result;
    if (dialed.kind !== 'answered') {
      if (dialed.kind === 'refused') deps.legs.untrack(channelId);
      tried.push(
        `${phone.configured}: ${request.signal.aborted ? 'stopped: the page was handled' : describeUnanswered(dialed)}`,
      );
      logger.info('page call not answered', { phone: phone.configured, result: tried.at(-1) });
      continue;
    }
    logger.info('page call answered', { phone: phone.configured });
    let outcome: string;
    try {
      outcome = await answered(session);
    } catch (error) {
      // Whatever failed (the database, Asterisk), the responder's phone is not left up in silence.
      await hangup(session);
      throw error;
    }
    return { reached: true, detail: `${phone.configured}: ${outcome}` };
  }
  return { reached: false, detail: tried.join('; ') || 'no phone to call' };
}

async function converse(
  deps: PageCallDependencies,
  session: CallSession,
  pageId: number,
  responder: Responder,
): Promise<string> {
  const actor = { id: responder.id, via: 'phone' as const, responderId: responder.id };
  const farewell = async (prompt: RenderedPrompt, outcome: string): Promise<string> => {
    await play(session, prompt).catch(() => undefined);
    await hangup(session);
    return outcome;
  };
  try {
    let unanswered = 0;
    for (
      let turn = 0;
      unanswered < deps.config.notifications.phone.announceTimes && turn < MOST_REPLAYS;
      turn++
    ) {
      const page = (await retryTransient(() => deps.pages.get(pageId), LOCK_WAIT_MS))!;
      if (page.status !== 'triggered')
        return await farewell(
          render(deps.prompts, says.alreadyHandled(routeOf(deps, page), page.status)),
          `answered; the page was already ${page.status}`,
        );
      const digit = await gatherDigit(session, await announcement(deps, page), KEY_WAIT_MS);
      if (digit === '1') {
        // While another process locks the database, the key press waits for it on timers, not on the event loop.
        const change = await retryTransient(() => deps.paging.acknowledge(pageId, actor), LOCK_WAIT_MS);
        if (!change.ok) continue;
        // A caller asked to be called back: offered now, while the responder is on the line.
        const calledBack = await offerCallBack(deps, session, change.page, responder);
        if (calledBack !== undefined && calledBack !== NOT_CALLED_BACK) return calledBack;
        return await farewell(render(deps.prompts, says.acknowledged(routeOf(deps, page))), 'acknowledged');
      }
      if (digit === STATUS_KEY && statusMenuLine(deps, page) !== undefined) {
        const change = await retryTransient(() => deps.paging.acknowledge(pageId, actor), LOCK_WAIT_MS);
        if (!change.ok) continue;
        // What callers of the team should hear meanwhile, in the responder's own words.
        return await recordStatusMessage(deps, session, change.page, responder);
      }
      if (digit === '3') {
        const escalated = await retryTransient(() => deps.paging.escalateNow(pageId, actor), LOCK_WAIT_MS);
        if (escalated.ok)
          return await farewell(render(deps.prompts, says.escalated(routeOf(deps, page))), 'escalated now');
        continue;
      }
      if (digit !== '2') unanswered++;
    }
    await hangup(session);
    return 'answered; no acknowledgement';
  } catch (error) {
    if (error instanceof ChannelGone) return 'answered; hung up without acknowledging';
    throw error;
  }
}

function routeOf(deps: PageCallDependencies, page: PageRow): Route | undefined {
  return deps.config.routes.find((r) => r.id === page.route_id);
}

/** "New page for <team> from <route>. Caller <number>." + the message + the keys. */
async function announcement(deps: PageCallDependencies, page: PageRow): Promise<RenderedPrompt> {
  const team = deps.config.teams.get(page.team_id);
  const route = routeOf(deps, page);
  const caller = page.caller_number ?? 'unknown';
  const parts = [render(deps.prompts, says.announce(route, team?.name ?? page.team_id, caller))];
  if (page.voicemail_id !== null) {
    const media = await deps.voicemailMedia(page);
    parts.push(
      media === undefined
        ? render(deps.prompts, says.messageMissing(route))
        : { media: [`sound:${media}`], text: '[the voicemail]' },
    );
  }
  parts.push(render(deps.prompts, says.menu(route)));
  const statusLine = statusMenuLine(deps, page);
  if (statusLine !== undefined) parts.push(statusLine);
  return joinPrompts(parts);
}
