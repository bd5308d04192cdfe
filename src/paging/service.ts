/**
 * Everything that changes a page goes through here: trigger, escalate, acknowledge, resolve. Each
 * change is one transaction that updates the page, appends its timeline event and writes the
 * notifications it calls for into the outbox, so the database alone says what happens next:
 * a daemon killed at any instant resumes from it (GoAlert's approach). The daemon, the CLI and the
 * HTTP API all use this one service.
 */
import type { Config, PageEventType, Responder, Urgency } from '../config/model';
import type { Logger } from '../log/logger';
import { resolveLevel, resolveOnCall } from '../oncall/escalation';
import { transactionOf, type Db, type Transaction } from '../store/database';
import type { WriteQueue } from '../store/writeQueue';
import type { NotificationStore } from '../store/notifications';
import type { EventVia, NewPage, PageChange, PageRow, PageStore } from '../store/pages';
import { escalationDueAt, nextEscalation, supportHoursDueAt } from './escalation';
import { responderNotifications, webhookNotifications } from './planner';

/** What the call flow knows when it asks for a page; the service adds when it escalates. */
export type PageRequest = Omit<NewPage, 'nextEscalationAt' | 'now'> & { at: number };

export interface TriggeredPage {
  pageId: number;
  assignees: string[];
}

/** Who acted, and how: a responder (by id) or someone else ("cli:root", "api"). */
export interface Actor {
  id: string;
  via: EventVia;
  /** Set when the actor is a configured responder. */
  responderId?: string;
}

export const SYSTEM: Actor = { id: 'system', via: 'automatic' };

export type EscalateNowResult = { ok: true; page: PageRow } | { ok: false; reason: string; page?: PageRow };

export interface PagingDependencies {
  db: Db;
  config: () => Config;
  pages: PageStore;
  notifications: NotificationStore;
  logger: Logger;
  /** Told after every committed change, so the engine can send what became due at once. */
  onChange?: (pageId: number, event: PageEventType) => void;
  /**
   * The call log's write queue (CallStore.writes): pages that no caller waits for are written
   * behind the rows they refer to, in order, also while the database is locked.
   */
  writes?: WriteQueue;
}

export class PagingService {
  private readonly transactionally: Transaction;

  constructor(private readonly deps: PagingDependencies) {
    this.transactionally = transactionOf(deps.db);
  }

  trigger(request: PageRequest): TriggeredPage {
    const config = this.deps.config();
    const first = resolveOnCall(config, request.teamId, request.at).levels[0]!;
    const assignees = first.responders.map((r) => r.responder);
    const urgency = request.urgency ?? 'high';
    const due = this.dueAt(
      config,
      request.routeId,
      urgency,
      escalationDueAt(request.at, first.level.escalateAfterSeconds, assignees.length),
    );
    const pageId = this.transactionally(() => {
      const { pageId, eventId } = this.deps.pages.create({
        teamId: request.teamId,
        routeId: request.routeId,
        callId: request.callId,
        voicemailId: request.voicemailId,
        callerNumber: request.callerNumber,
        summary: request.summary,
        urgency,
        nextEscalationAt: due.dueAt,
        now: request.at,
      });
      this.enqueueWebhooks(config, pageId, eventId, request.teamId, 'triggered', request.at);
      this.assignLevel(config, pageId, assignees, 0, 0, request.at, 'assigned', SYSTEM, due.detail, urgency);
      return pageId;
    });
    const ids = assignees.map((r) => r.id);
    if (ids.length === 0)
      this.deps.logger.warn('page created but nobody is on call at level 1; escalating at once', {
        pageId,
        team: request.teamId,
      });
    this.deps.logger.info('page triggered', { pageId, team: request.teamId, assignees: ids });
    this.deps.onChange?.(pageId, 'triggered');
    return { pageId, assignees: ids };
  }

  /**
   * Triggers a page that nobody on the call waits for (a voicemail, an abandoned call): written at
   * once, or, while another process locks the database, after the call rows it refers to.
   */
  triggerBehind(request: PageRequest): void {
    this.behind(() => void this.trigger(request));
  }

  /**
   * Runs `work` (page changes nobody on the call waits for, such as a connected call's page) in
   * one transaction, at once or, while another process locks the database, in order behind the
   * call log's writes: all of it is tried again, so it never happens twice nor half.
   */
  behind(work: () => void): void {
    const once = (): void => this.transactionally(work);
    if (this.deps.writes === undefined) once();
    else this.deps.writes.run(once);
  }

  acknowledge(pageId: number, actor: Actor, note?: string): PageChange {
    return this.change(pageId, 'acknowledged', actor, note);
  }

  resolve(pageId: number, actor: Actor, note?: string): PageChange {
    return this.change(pageId, 'resolved', actor, note);
  }

  private change(pageId: number, to: 'acknowledged' | 'resolved', actor: Actor, note?: string): PageChange {
    const config = this.deps.config();
    const at = Date.now();
    const result = this.transactionally(() => {
      const page = this.deps.pages.get(pageId);
      if (page === undefined) return { ok: false as const, reason: 'not-found' as const };
      const detail: Record<string, unknown> = note === undefined ? {} : { note };
      if (actor.responderId !== undefined) {
        // Anyone may act on a page; the timeline says whether they were meant to.
        detail['assigned'] = this.deps.pages
          .assignments(pageId)
          .some((a) => a.responder_id === actor.responderId);
        detail['on_call'] =
          config.teams.has(page.team_id) &&
          resolveOnCall(config, page.team_id, at).levels.some((level) =>
            level.responders.some((r) => r.responder.id === actor.responderId),
          );
      }
      const change = this.deps.pages.change(pageId, to, actor.id, actor.via, at, detail);
      if (!change.ok) return change;
      this.deps.notifications.cancelForPage(pageId, `page ${to} by ${actor.id}`, at);
      this.enqueueWebhooks(config, pageId, change.eventId, page.team_id, to, at);
      return change;
    });
    if (result.ok) {
      this.deps.logger.info(`page ${to}`, { pageId, by: actor.id, via: actor.via });
      this.deps.onChange?.(pageId, to);
    }
    return result;
  }

  /**
   * Escalates up to `limit` pages whose deadline has passed, in one transaction (the engine's,
   * which may check its lease in it); returns how many moved. Safe to run twice.
   */
  escalateDue(now: number, limit = 500, tx: Transaction = this.transactionally): number {
    const config = this.deps.config();
    let moved = 0;
    const due = tx(() => {
      const pages = this.deps.pages.due(now, limit);
      for (const page of pages)
        if (this.escalate(config, page, now, SYSTEM, 'no acknowledgement in time')) moved++;
      return pages.length;
    });
    if (due > 0) this.deps.logger.info('escalation tick', { due, moved });
    return moved;
  }

  /** "Escalate now", from a responder's phone or the API. */
  escalateNow(pageId: number, actor: Actor): EscalateNowResult {
    const config = this.deps.config();
    const result = this.transactionally((): EscalateNowResult => {
      const page = this.deps.pages.get(pageId);
      if (page === undefined) return { ok: false, reason: 'not-found' };
      if (page.status !== 'triggered') return { ok: false, reason: `already-${page.status}`, page };
      if (page.next_escalation_at === null) return { ok: false, reason: 'exhausted', page };
      this.escalate(config, page, Date.now(), actor, `requested by ${actor.id}`);
      return { ok: true, page: this.deps.pages.get(pageId)! };
    });
    if (result.ok) {
      this.deps.logger.info('page escalated on request', { pageId, by: actor.id, via: actor.via });
      this.deps.onChange?.(pageId, 'escalated');
    }
    return result;
  }

  /**
   * One step for one page, in the caller's transaction. The move is conditional on the page
   * still being where it was read, so a concurrent acknowledgement or a repeated tick is a no-op.
   */
  private escalate(config: Config, page: PageRow, at: number, actor: Actor, reason: string): boolean {
    const team = config.teams.get(page.team_id);
    const policy = team === undefined ? undefined : config.policies.get(team.policyId);
    const from = { level: page.escalation_level, round: page.escalation_round };
    const step =
      policy === undefined
        ? ({ kind: 'exhausted' } as const)
        : nextEscalation({ levelCount: policy.levels.length, repeat: policy.repeat }, from);
    if (step.kind === 'exhausted') {
      if (!this.deps.pages.advance({ pageId: page.id, from, to: from, nextEscalationAt: null, at }))
        return false;
      const detail =
        policy === undefined
          ? { reason: `team "${page.team_id}" is no longer in the configuration` }
          : {
              reason: 'nobody acknowledged; the page stays triggered',
              levels: policy.levels.length,
              rounds: policy.repeat + 1,
            };
      const eventId = this.deps.pages.appendEvent(page.id, at, 'exhausted', actor.id, actor.via, detail);
      this.enqueueWebhooks(config, page.id, eventId, page.team_id, 'exhausted', at);
      this.deps.logger.warn('page escalation exhausted', { pageId: page.id, ...detail });
      return true;
    }
    const level = resolveLevel(config, policy!.levels[step.level]!, step.level, at);
    const responders = level.responders.map((r) => r.responder);
    const due = this.dueAt(
      config,
      page.route_id,
      page.urgency,
      escalationDueAt(at, level.level.escalateAfterSeconds, responders.length),
    );
    const moved = this.deps.pages.advance({
      pageId: page.id,
      from,
      to: { level: step.level, round: step.round },
      nextEscalationAt: due.dueAt,
      at,
    });
    if (!moved) return false;
    this.assignLevel(
      config,
      page.id,
      responders,
      step.level,
      step.round,
      at,
      'escalated',
      actor,
      { from_level: from.level, reason, ...due.detail },
      page.urgency,
    );
    return true;
  }

  private assignLevel(
    config: Config,
    pageId: number,
    responders: readonly Responder[],
    level: number,
    round: number,
    at: number,
    type: 'assigned' | 'escalated',
    actor: Actor,
    extra: Record<string, unknown>,
    urgency: Urgency,
  ): void {
    const ids = responders.map((r) => r.id);
    this.deps.pages.assign(pageId, ids, level, at);
    const eventId = this.deps.pages.appendEvent(pageId, at, type, actor.id, actor.via, {
      ...extra,
      level,
      round,
      responders: ids,
      ...(ids.length === 0 ? { note: 'nobody on call at this level' } : {}),
    });
    for (const planned of responderNotifications(config, responders, level, at, urgency))
      this.deps.notifications.enqueue({ ...planned, pageId, eventId }, at);
    if (type === 'escalated') {
      const page = this.deps.pages.get(pageId)!;
      this.enqueueWebhooks(config, pageId, eventId, page.team_id, 'escalated', at);
    }
  }

  /**
   * When the page must move on: a low page waits for its route's next opening (the timeline
   * says so in `detail`).
   */
  private dueAt(
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

  private enqueueWebhooks(
    config: Config,
    pageId: number,
    eventId: number,
    teamId: string,
    event: PageEventType,
    at: number,
  ): void {
    for (const planned of webhookNotifications(config, teamId, event, at))
      this.deps.notifications.enqueue({ ...planned, pageId, eventId }, at);
  }
}
