/**
 * One escalation step for many pages in one transaction: planned for each page from the
 * configuration (pure), then written for all of them together: the moves, the new assignments,
 * the timeline events and the outbox rows, each in a few multi-row statements. A tick of a
 * thousand overdue pages is then a handful of round trips to PostgreSQL, not thousands.
 * Each move is conditional on the page still being where it was read, so a concurrent
 * acknowledgement or a repeated tick moves nothing, and a page that did not move gets nothing else.
 */
import type { Config, Responder, Urgency } from '../config/model';
import { resolveLevel } from '../oncall/escalation';
import type { NewNotification, NotificationStore } from '../store/notifications';
import type { EscalationMove, PageRow, PageStore } from '../store/pages';
import { escalationDueAt, nextEscalation, supportHoursDueAt } from './escalation';
import { responderNotifications, webhookNotifications } from './planner';
import type { Actor } from './service';

type Planned = Omit<NewNotification, 'pageId' | 'eventId'>;

/** What one page's step writes, before it is known whether the page is still where it was read. */
interface PlannedStep {
  move: EscalationMove;
  event: { type: 'escalated' | 'exhausted'; detail: Record<string, unknown> };
  assign: { responderIds: string[]; level: number } | undefined;
  notifications: Planned[];
}

/**
 * When the page must move on: a low page waits for its route's next opening (the timeline
 * says so in `detail`).
 */
export function dueAtOnRoute(
  config: Config,
  routeId: string | null,
  urgency: Urgency,
  dueAt: number,
): { dueAt: number; detail: Record<string, unknown> } {
  const route = routeId === null ? undefined : config.routes.find((r) => r.id === routeId);
  const timing = supportHoursDueAt(dueAt, urgency, route?.hours);
  if (!timing.waitsForOpening) return { dueAt: timing.dueAt, detail: {} };
  return {
    dueAt: timing.dueAt,
    detail: {
      urgency,
      escalates_at: new Date(timing.dueAt).toISOString(),
      waits: `low urgency: escalation waits for route ${route!.id} to open`,
    },
  };
}

/** The timeline detail of a level reached, as every assignment and escalation writes it. */
export function levelDetail(
  responders: readonly Responder[],
  level: number,
  round: number,
  extra: Record<string, unknown>,
): Record<string, unknown> {
  const ids = responders.map((r) => r.id);
  return {
    ...extra,
    level,
    round,
    responders: ids,
    ...(ids.length === 0 ? { note: 'nobody on call at this level' } : {}),
  };
}

function planStep(config: Config, page: PageRow, at: number, reason: string): PlannedStep {
  const team = config.teams.get(page.team_id);
  const policy = team === undefined ? undefined : config.policies.get(team.policyId);
  const from = { level: page.escalation_level, round: page.escalation_round };
  const step =
    policy === undefined
      ? ({ kind: 'exhausted' } as const)
      : nextEscalation({ levelCount: policy.levels.length, repeat: policy.repeat }, from);
  if (step.kind === 'exhausted')
    return {
      move: { pageId: page.id, from, to: from, nextEscalationAt: null, at },
      event: {
        type: 'exhausted',
        detail:
          policy === undefined
            ? { reason: `team "${page.team_id}" is no longer in the configuration` }
            : {
                reason: 'nobody acknowledged; the page stays triggered',
                levels: policy.levels.length,
                rounds: policy.repeat + 1,
              },
      },
      assign: undefined,
      notifications: webhookNotifications(config, page.team_id, 'exhausted', at),
    };
  const level = resolveLevel(config, policy!.levels[step.level]!, step.level, at);
  const responders = level.responders.map((r) => r.responder);
  const due = dueAtOnRoute(
    config,
    page.route_id,
    page.urgency,
    escalationDueAt(at, level.level.escalateAfterSeconds, responders.length),
  );
  return {
    move: {
      pageId: page.id,
      from,
      to: { level: step.level, round: step.round },
      nextEscalationAt: due.dueAt,
      at,
    },
    event: {
      type: 'escalated',
      detail: levelDetail(responders, step.level, step.round, {
        from_level: from.level,
        reason,
        ...due.detail,
      }),
    },
    assign: { responderIds: responders.map((r) => r.id), level: step.level },
    notifications: [
      ...responderNotifications(config, responders, step.level, at, page.urgency),
      ...webhookNotifications(config, page.team_id, 'escalated', at),
    ],
  };
}

/**
 * Moves each of `pages` one step on, in the transaction `t` is bound to; returns the pages that
 * moved and those of them whose policy is exhausted (for the log).
 */
export async function escalateMany(
  t: { pages: PageStore; notifications: NotificationStore },
  config: Config,
  pages: readonly PageRow[],
  at: number,
  actor: Actor,
  reason: string,
): Promise<{ moved: number[]; exhausted: Array<{ pageId: number; detail: Record<string, unknown> }> }> {
  if (pages.length === 0) return { moved: [], exhausted: [] };
  const planned = pages.map((page) => planStep(config, page, at, reason));
  const movedIds = await t.pages.advanceMany(planned.map((p) => p.move));
  const moved = planned.filter((p) => movedIds.has(p.move.pageId));
  await t.pages.assignMany(
    moved.flatMap(({ move, assign }) =>
      (assign?.responderIds ?? []).map((responderId) => ({
        pageId: move.pageId,
        responderId,
        level: assign!.level,
        at,
      })),
    ),
  );
  const eventIds = await t.pages.appendEvents(
    moved.map(({ move, event }) => ({
      pageId: move.pageId,
      at,
      type: event.type,
      actor: actor.id,
      via: actor.via,
      detail: event.detail,
    })),
  );
  await t.notifications.enqueueMany(
    moved.flatMap(({ move, notifications }) =>
      notifications.map((n) => ({ ...n, pageId: move.pageId, eventId: eventIds.get(move.pageId) ?? null })),
    ),
    at,
  );
  return {
    moved: moved.map((p) => p.move.pageId),
    exhausted: moved
      .filter((p) => p.event.type === 'exhausted')
      .map((p) => ({ pageId: p.move.pageId, detail: p.event.detail })),
  };
}
