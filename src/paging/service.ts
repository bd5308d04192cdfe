/**
 * Everything that changes a page goes through here: trigger, escalate, acknowledge, resolve. Each
 * change is one transaction that updates the page, appends its timeline event and writes the
 * notifications it calls for into the outbox, so the database alone says what happens next:
 * a daemon killed at any instant resumes from it (GoAlert's approach). The daemon, the CLI and the
 * HTTP API all use this one service.
 */
import type { Config, PageEventType, Responder, Urgency } from '../config/model';
import type { Logger } from '../log/logger';
import { resolveOnCall } from '../oncall/escalation';
import { retryTransient, type SqlDatabase, type SqlSession } from '../store/sql/driver';
import type { WriteQueue } from '../store/writeQueue';
import type { NotificationStore } from '../store/notifications';
import type { EventVia, NewPage, PageChange, PageRow, PageStore } from '../store/pages';
import { escalationDueAt } from './escalation';
import { dueAtOnRoute, escalateMany, levelDetail } from './escalateMany';
import {
  coalesceUpdates,
  responderNotifications,
  updateNotifications,
  webhookNotifications,
} from './planner';

/** What the call flow knows when it asks for a page; the service adds when it escalates. */
export type PageRequest = Omit<NewPage, 'nextEscalationAt' | 'now'> & {
  at: number;
  /** Acknowledged at once, in the same transaction (a connected call's page, by who took it). */
  acknowledgedBy?: { actor: Actor; note?: string };
  /**
   * The route's de-duplication: while a matching page is open, this caller joins it (an update
   * to its assignees, no new escalation) instead of opening another.
   */
  dedupe?: DedupePolicy;
};

export interface DedupePolicy {
  scope: 'team' | 'option' | 'off';
  windowSeconds: number;
  /** At most one update per target this often (planner.ts coalesceUpdates). */
  updateEverySeconds: number;
}

export interface TriggeredPage {
  pageId: number;
  assignees: string[];
  /** The caller joined an open page instead of opening one. */
  joined: boolean;
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

/**
 * Runs `work` in one transaction. The engine hands one that first proves its lease (a fencing
 * token) inside the same transaction; everyone else gets the database's own.
 */
export type Transactional = <T>(work: (tx: SqlSession) => Promise<T>) => Promise<T>;

/** The stores of one transaction. */
interface InTransaction {
  tx: SqlSession;
  pages: PageStore;
  notifications: NotificationStore;
}

/** How long a page nobody waits for is tried again while the database refuses it (locked, unreachable). */
const BEHIND_GIVE_UP_MS = 300_000;

export interface PagingDependencies {
  sql: SqlDatabase;
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
  private readonly transactionally: Transactional;
  /** Page writes nobody waits for, still being tried. */
  private readonly inFlight = new Set<Promise<void>>();
  private behindTail: Promise<void> = Promise.resolve();

  constructor(private readonly deps: PagingDependencies) {
    this.transactionally = (work) => deps.sql.transaction(work);
  }

  /** The stores bound to `tx`. */
  private within(tx: SqlSession): InTransaction {
    return { tx, pages: this.deps.pages.in(tx), notifications: this.deps.notifications.in(tx) };
  }

  async trigger(request: PageRequest): Promise<TriggeredPage> {
    const joined = request.dedupe === undefined ? undefined : await this.join(request, request.dedupe);
    if (joined !== undefined) return joined;
    const config = this.deps.config();
    const first = resolveOnCall(config, request.teamId, request.at).levels[0]!;
    const assignees = first.responders.map((r) => r.responder);
    const urgency = request.urgency ?? 'high';
    const due = dueAtOnRoute(
      config,
      request.routeId,
      urgency,
      escalationDueAt(request.at, first.level.escalateAfterSeconds, assignees.length),
    );
    const pageId = await this.transactionally(async (tx) => {
      const t = this.within(tx);
      const { pageId, eventId } = await t.pages.create({
        teamId: request.teamId,
        routeId: request.routeId,
        callId: request.callId,
        voicemailId: request.voicemailId,
        callerNumber: request.callerNumber,
        summary: request.summary,
        optionKey: request.optionKey ?? null,
        durationSeconds: request.durationSeconds ?? null,
        callbackNumber: request.callbackNumber ?? null,
        urgency,
        nextEscalationAt: due.dueAt,
        now: request.at,
      });
      await this.enqueueWebhooks(t, config, pageId, eventId, request.teamId, 'triggered', request.at);
      await this.assignLevel(
        t,
        config,
        pageId,
        assignees,
        0,
        0,
        request.at,
        'assigned',
        SYSTEM,
        due.detail,
        urgency,
      );
      const ack = request.acknowledgedBy;
      if (ack !== undefined)
        await this.changeIn(t, config, pageId, 'acknowledged', ack.actor, request.at, ack.note);
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
    return { pageId, assignees: ids, joined: false };
  }

  /**
   * The caller joins the open page its route's dedupe matches, if there is one: listed among the
   * page's callers, with an `updated` event that tells the webhooks and, by email, whoever the
   * page reaches now (its acknowledger once acknowledged, else everyone assigned so far). The
   * escalation goes on as it was. Undefined when no page matches: a new one is to be opened.
   */
  private async join(request: PageRequest, dedupe: DedupePolicy): Promise<TriggeredPage | undefined> {
    if (dedupe.scope === 'off') return undefined;
    const config = this.deps.config();
    const match = {
      teamId: request.teamId,
      since: request.at - dedupe.windowSeconds * 1000,
      ...(dedupe.scope === 'option'
        ? { routeId: request.routeId, optionKey: request.optionKey ?? null }
        : {}),
    };
    const joined = await this.transactionally(async (tx) => {
      // Two daemons taking messages for one outage at the same instant: one opens the page, the
      // other joins it. SQLite's write transactions are serialized already.
      if (tx.dialect === 'postgres')
        await tx.get('SELECT pg_advisory_xact_lock(hashtext(?))', [`lcr-dedupe ${request.teamId}`]);
      const t = this.within(tx);
      const page = await t.pages.openFor(match);
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
      return { pageId: page.id, assignees: reached, joined: true, callers };
    });
    if (joined === undefined) return undefined;
    this.deps.logger.info('caller joined an open page', {
      pageId: joined.pageId,
      team: request.teamId,
      callers: joined.callers,
    });
    this.deps.onChange?.(joined.pageId, 'updated');
    return { pageId: joined.pageId, assignees: joined.assignees, joined: true };
  }

  /**
   * Triggers a page that nobody on the call waits for (a voicemail, an abandoned call): written
   * after the call rows it refers to, and tried again while the database refuses it.
   */
  triggerBehind(request: PageRequest): void {
    this.behind(async () => void (await this.trigger(request)));
  }

  /**
   * Runs `work` (page changes nobody on the call waits for, such as a connected call's page)
   * after the call log's pending writes, trying it again while the database is locked or
   * unreachable: `work` is one transaction, so it never happens twice nor half.
   */
  behind(work: (service: PagingService) => Promise<void>): void {
    // In order, each after the one before: a connected call's page is written before its
    // resolution at hang-up is.
    const attempt = this.behindTail.then(() =>
      retryTransient(async () => {
        await this.deps.writes?.flushed();
        await work(this);
      }, BEHIND_GIVE_UP_MS).catch((error: Error) =>
        this.deps.logger.error('a page change nobody waited for could not be written; it is lost', {
          error: error.message,
        }),
      ),
    );
    this.behindTail = attempt;
    this.inFlight.add(attempt);
    void attempt.finally(() => this.inFlight.delete(attempt));
  }

  /** Resolves when every page change made behind the calls has been written or given up. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  acknowledge(pageId: number, actor: Actor, note?: string): Promise<PageChange> {
    return this.change(pageId, 'acknowledged', actor, note);
  }

  resolve(pageId: number, actor: Actor, note?: string): Promise<PageChange> {
    return this.change(pageId, 'resolved', actor, note);
  }

  private async change(
    pageId: number,
    to: 'acknowledged' | 'resolved',
    actor: Actor,
    note?: string,
  ): Promise<PageChange> {
    const config = this.deps.config();
    const at = Date.now();
    const result = await this.transactionally((tx) =>
      this.changeIn(this.within(tx), config, pageId, to, actor, at, note),
    );
    if (result.ok) {
      this.deps.logger.info(`page ${to}`, { pageId, by: actor.id, via: actor.via });
      this.deps.onChange?.(pageId, to);
    }
    return result;
  }

  private async changeIn(
    t: InTransaction,
    config: Config,
    pageId: number,
    to: 'acknowledged' | 'resolved',
    actor: Actor,
    at: number,
    note?: string,
  ): Promise<PageChange> {
    const page = await t.pages.get(pageId);
    if (page === undefined) return { ok: false as const, reason: 'not-found' as const };
    const detail: Record<string, unknown> = note === undefined ? {} : { note };
    if (actor.responderId !== undefined) {
      // Anyone may act on a page; the timeline says whether they were meant to.
      detail['assigned'] = (await t.pages.assignments(pageId)).some(
        (a) => a.responder_id === actor.responderId,
      );
      detail['on_call'] =
        config.teams.has(page.team_id) &&
        resolveOnCall(config, page.team_id, at).levels.some((level) =>
          level.responders.some((r) => r.responder.id === actor.responderId),
        );
    }
    const change = await t.pages.change(pageId, to, actor.id, actor.via, at, detail);
    if (!change.ok) return change;
    await t.notifications.cancelForPage(pageId, `page ${to} by ${actor.id}`, at);
    await this.enqueueWebhooks(t, config, pageId, change.eventId, page.team_id, to, at);
    return change;
  }

  /**
   * Escalates up to `limit` pages whose deadline has passed, in one transaction (the engine's,
   * which may check its lease in it); returns how many moved. Safe to run twice.
   */
  async escalateDue(
    now: number,
    limit = 500,
    transactionally: Transactional = this.transactionally,
  ): Promise<number> {
    const config = this.deps.config();
    const moved: number[] = [];
    let exhausted: Array<{ pageId: number; detail: Record<string, unknown> }> = [];
    const due = await transactionally(async (tx) => {
      moved.length = 0; // a transaction tried again starts afresh
      const t = this.within(tx);
      const pages = await t.pages.due(now, limit);
      const step = await escalateMany(t, config, pages, now, SYSTEM, 'no acknowledgement in time');
      moved.push(...step.moved);
      exhausted = step.exhausted;
      return pages.length;
    });
    for (const { pageId, detail } of exhausted)
      this.deps.logger.warn('page escalation exhausted', { pageId, ...detail });
    if (due > 0) this.deps.logger.info('escalation tick', { due, moved: moved.length });
    // What the escalations put in the outbox is due now: the dispatcher may have looked at the
    // outbox while this transaction was still open, and must look again.
    for (const pageId of moved) this.deps.onChange?.(pageId, 'escalated');
    return moved.length;
  }

  /** "Escalate now", from a responder's phone or the API. */
  async escalateNow(pageId: number, actor: Actor): Promise<EscalateNowResult> {
    const config = this.deps.config();
    const result = await this.transactionally(async (tx): Promise<EscalateNowResult> => {
      const t = this.within(tx);
      const page = await t.pages.get(pageId);
      if (page === undefined) return { ok: false, reason: 'not-found' };
      if (page.status !== 'triggered') return { ok: false, reason: `already-${page.status}`, page };
      if (page.next_escalation_at === null) return { ok: false, reason: 'exhausted', page };
      const { exhausted } = await escalateMany(
        t,
        config,
        [page],
        Date.now(),
        actor,
        `requested by ${actor.id}`,
      );
      for (const { detail } of exhausted)
        this.deps.logger.warn('page escalation exhausted', { pageId, ...detail });
      return { ok: true, page: (await t.pages.get(pageId))! };
    });
    if (result.ok) {
      this.deps.logger.info('page escalated on request', { pageId, by: actor.id, via: actor.via });
      this.deps.onChange?.(pageId, 'escalated');
    }
    return result;
  }

  private async assignLevel(
    t: InTransaction,
    config: Config,
    pageId: number,
    responders: readonly Responder[],
    level: number,
    round: number,
    at: number,
    type: 'assigned',
    actor: Actor,
    extra: Record<string, unknown>,
    urgency: Urgency,
  ): Promise<void> {
    await t.pages.assign(
      pageId,
      responders.map((r) => r.id),
      level,
      at,
    );
    const eventId = await t.pages.appendEvent(
      pageId,
      at,
      type,
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

  private async enqueueWebhooks(
    t: InTransaction,
    config: Config,
    pageId: number,
    eventId: number,
    teamId: string,
    event: PageEventType,
    at: number,
  ): Promise<void> {
    await t.notifications.enqueueMany(
      webhookNotifications(config, teamId, event, at).map((planned) => ({ ...planned, pageId, eventId })),
      at,
    );
  }
}
