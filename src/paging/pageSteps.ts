/**
 * The steps the paging service composes its transactions of: each runs inside the caller's
 * transaction (`InTransaction`) and writes the page, its timeline event and the notifications it
 * calls for together. Kept apart from the service so that each kind of change (a new page, a
 * caller joining one, a live call's page) reads as a few steps.
 */
import type { Config, PageEventType, Responder, Urgency } from '../config/model';
import { resolveOnCall } from '../oncall/escalation';
import type { NotificationStore } from '../store/notifications';
import type { PageStore } from '../store/pages';
import type { SqlSession } from '../store/sql/driver';
import { escalationDueAt } from './escalation';
import { dueAtOnRoute, levelDetail } from './escalateMany';
import {
  coalesceUpdates,
  responderNotifications,
  updateNotifications,
  webhookNotifications,
} from './planner';
import { SYSTEM, type Actor, type DedupePolicy, type MissedLiveCall, type PageRequest } from './requests';

/** The stores of one transaction. */
export interface InTransaction {
  tx: SqlSession;
  pages: PageStore;
  notifications: NotificationStore;
}

/** Who is on call at level 1 of the team's policy at `at`, and when the page escalates past them. */
export function firstLevel(
  config: Config,
  teamId: string,
  routeId: string | null,
  urgency: Urgency,
  at: number,
) {
  const first = resolveOnCall(config, teamId, at).levels[0]!;
  const assignees = first.responders.map((r) => r.responder);
  const due = dueAtOnRoute(
    config,
    routeId,
    urgency,
    escalationDueAt(at, first.level.escalateAfterSeconds, assignees.length),
  );
  return { assignees, due };
}

/** Assigns `responders` at `level`: the `assigned` event and each responder's notifications. */
export async function assignLevel(
  t: InTransaction,
  config: Config,
  pageId: number,
  responders: readonly Responder[],
  place: { level: number; round: number; at: number; urgency: Urgency },
  actor: Actor,
  extra: Record<string, unknown>,
): Promise<void> {
  const { level, round, at, urgency } = place;
  await t.pages.assign(
    pageId,
    responders.map((r) => r.id),
    level,
    at,
  );
  const eventId = await t.pages.appendEvent(
    pageId,
    at,
    'assigned',
    actor.id,
    actor.via,
    levelDetail(responders, level, round, extra),
  );
  await t.notifications.enqueueMany(
    responderNotifications(config, responders, level, at, urgency).map((planned) => ({
      ...planned,
      pageId,
      eventId,
    })),
    at,
  );
}

/** Every webhook that wants this event of this team's page. */
export async function enqueueWebhooks(
  t: InTransaction,
  config: Config,
  page: { pageId: number; eventId: number; teamId: string },
  event: PageEventType,
  at: number,
): Promise<void> {
  await t.notifications.enqueueMany(
    webhookNotifications(config, page.teamId, event, at).map((planned) => ({
      ...planned,
      pageId: page.pageId,
      eventId: page.eventId,
    })),
    at,
  );
}

/**
 * The caller joins the open page its route's dedupe matches, if there is one: listed among the
 * page's callers, with an `updated` event that tells the webhooks and, by email, whoever the page
 * reaches now (its acknowledger once acknowledged, else everyone assigned so far), coalesced. The
 * escalation goes on as it was. Undefined when no page matches: a new one is to be opened.
 */
export async function joinOpenPage(
  t: InTransaction,
  config: Config,
  request: PageRequest,
  dedupe: DedupePolicy,
): Promise<{ pageId: number; assignees: string[]; callers: number } | undefined> {
  // Two daemons taking messages for one outage at the same instant: one opens the page, the
  // other joins it. SQLite's write transactions are serialized already.
  if (t.tx.dialect === 'postgres')
    await t.tx.get('SELECT pg_advisory_xact_lock(hashtext(?))', [`lcr-dedupe ${request.teamId}`]);
  const page = await t.pages.openFor({
    teamId: request.teamId,
    since: request.at - dedupe.windowSeconds * 1000,
    ...(dedupe.scope === 'option' ? { routeId: request.routeId, optionKey: request.optionKey ?? null } : {}),
  });
  if (page === undefined) return undefined;
  const callers = await t.pages.addCaller({
    pageId: page.id,
    callId: request.callId,
    voicemailId: request.voicemailId,
    callerNumber: request.callerNumber,
    durationSeconds: request.durationSeconds ?? null,
    callbackNumber: request.callbackNumber ?? null,
    at: request.at,
  });
  const eventId = await t.pages.appendEvent(page.id, request.at, 'updated', SYSTEM.id, SYSTEM.via, {
    caller: request.callerNumber ?? 'unknown',
    call_id: request.callId,
    voicemail_id: request.voicemailId,
    duration_seconds: request.durationSeconds ?? null,
    callback_number: request.callbackNumber ?? null,
    callers,
    summary: request.summary,
  });
  const reached =
    page.status === 'acknowledged' && page.acknowledged_by !== null
      ? [page.acknowledged_by]
      : (await t.pages.assignments(page.id)).map((a) => a.responder_id);
  const planned = coalesceUpdates(
    [
      ...updateNotifications(config, reached, request.at),
      ...webhookNotifications(config, page.team_id, 'updated', request.at),
    ],
    await t.notifications.updatesOf(page.id),
    dedupe.updateEverySeconds * 1000,
  );
  await t.notifications.enqueueMany(
    planned.map((plan) => ({ ...plan, pageId: page.id, eventId })),
    request.at,
  );
  return { pageId: page.id, assignees: reached, callers };
}

/** A live call's page (direct.page: on_call_start): open, in the chat, nobody assigned, no escalation. */
export async function createLivePage(
  t: InTransaction,
  config: Config,
  request: PageRequest,
): Promise<number> {
  const { pageId, eventId } = await t.pages.create({
    teamId: request.teamId,
    routeId: request.routeId,
    callId: request.callId,
    voicemailId: null,
    callerNumber: request.callerNumber,
    summary: request.summary,
    optionKey: request.optionKey ?? null,
    urgency: request.urgency ?? 'high',
    nextEscalationAt: null,
    now: request.at,
  });
  await enqueueWebhooks(t, config, { pageId, eventId, teamId: request.teamId }, 'triggered', request.at);
  return pageId;
}

/**
 * Nobody took the live call: its page goes on as a voicemail page would have started, with the
 * message if the caller left one. False when the page is no longer a live one (taken, handled).
 */
export async function continueMissedLiveCall(
  t: InTransaction,
  config: Config,
  pageId: number,
  missed: MissedLiveCall,
): Promise<boolean> {
  const page = await t.pages.get(pageId);
  if (page === undefined || page.status !== 'triggered' || page.next_escalation_at !== null) return false;
  const { assignees, due } = firstLevel(config, page.team_id, page.route_id, page.urgency, missed.at);
  await t.pages.continueLive(pageId, { ...missed, nextEscalationAt: due.dueAt });
  await assignLevel(
    t,
    config,
    pageId,
    assignees,
    { level: 0, round: 0, at: missed.at, urgency: page.urgency },
    SYSTEM,
    { ...due.detail, reason: 'nobody took the call' },
  );
  return true;
}
