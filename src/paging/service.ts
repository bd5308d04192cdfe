/**
 * Everything that changes a page goes through here: trigger, escalate, acknowledge, resolve. Each
 * change is one transaction that updates the page, appends its timeline event and writes the
 * notifications it calls for into the outbox, so the database alone says what happens next:
 * a daemon killed at any instant resumes from it (GoAlert's approach). The daemon, the CLI and the
 * HTTP API all use this one service.
 */
import type { Config, PageEventType } from '../config/model';
import type { Logger } from '../log/logger';
import { resolveOnCall } from '../oncall/escalation';
import { retryTransient, type SqlDatabase, type SqlSession } from '../store/sql/driver';
import type { WriteQueue } from '../store/writeQueue';
import type { NotificationStore } from '../store/notifications';
import type { PageChange, PageRow, PageStore } from '../store/pages';
import { escalateMany } from './escalateMany';
import {
  assignLevel,
  continueMissedLiveCall,
  createLivePage,
  enqueueWebhooks,
  firstLevel,
  joinOpenPage,
  type InTransaction,
} from './pageSteps';
import {
  SYSTEM,
  type Actor,
  type DedupePolicy,
  type MissedLiveCall,
  type PageRequest,
  type TriggeredPage,
} from './requests';

export { SYSTEM, type Actor, type DedupePolicy, type PageRequest, type TriggeredPage } from './requests';

export type EscalateNowResult = { ok: true; page: PageRow } | { ok: false; reason: string; page?: PageRow };

/**
 * Runs `work` in one transaction. The engine hands one that first proves its lease (a fencing
 * token) inside the same transaction; everyone else gets the database's own.
 */
export type Transactional = <T>(work: (tx: SqlSession) => Promise<T>) => Promise<T>;

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

/** A claim outlives the longest callback ring (and the responder's "press 1") by this much at most. */
export const CALL_BACK_CLAIM_MS = 3 * 60_000;

/**
 * Whether the caller `pageCallerId` needs no callback now: reached already, or being called by
 * someone whose claim is fresh and not yet settled. Pure, given the page's timeline.
 */
export function callBackTaken(
  events: ReadonlyArray<{ type: string; at: number; detail: string | null }>,
  pageCallerId: number,
  now: number,
): boolean {
  let claimedAt: number | undefined;
  for (const event of events) {
    if (event.detail === null || (event.type !== 'called_back' && event.type !== 'calling_back')) continue;
    const detail = JSON.parse(event.detail) as { page_caller_id?: number; result?: string };
    if (detail.page_caller_id !== pageCallerId) continue;
    if (event.type === 'calling_back') claimedAt = event.at;
    else if (detail.result === 'connected') return true;
    else claimedAt = undefined;
  }
  return claimedAt !== undefined && now - claimedAt < CALL_BACK_CLAIM_MS;
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
    const urgency = request.urgency ?? 'high';
    const { assignees, due } = firstLevel(config, request.teamId, request.routeId, urgency, request.at);
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
      await enqueueWebhooks(t, config, { pageId, eventId, teamId: request.teamId }, 'triggered', request.at);
      await assignLevel(
        t,
        config,
        pageId,
        assignees,
        { level: 0, round: 0, at: request.at, urgency },
        SYSTEM,
        due.detail,
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

  /** A caller joins an open page of its route's dedupe (pageSteps.ts joinOpenPage), if there is one. */
  private async join(request: PageRequest, dedupe: DedupePolicy): Promise<TriggeredPage | undefined> {
    if (dedupe.scope === 'off') return undefined;
    const config = this.deps.config();
    const joined = await this.transactionally((tx) => joinOpenPage(this.within(tx), config, request, dedupe));
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
   * The page of a direct call as its first responders ring (direct.page: on_call_start): on the
   * record and in the chat webhooks at once, but nobody is assigned or notified and it does not
   * escalate while the call rings: whoever takes the call takes the page (liveCallTaken); when
   * nobody does, it goes on as the voicemail page (liveCallMissed).
   */
  async openLiveCall(request: PageRequest): Promise<number> {
    const config = this.deps.config();
    const pageId = await this.transactionally((tx) => createLivePage(this.within(tx), config, request));
    this.deps.logger.info('page opened for a call in progress', { pageId, team: request.teamId });
    this.deps.onChange?.(pageId, 'triggered');
    return pageId;
  }

  /** A responder called a caller back about the page (or tried): on its timeline, nobody notified. */
  async noteCallBack(pageId: number, actor: Actor, detail: Record<string, unknown>): Promise<void> {
    await this.transactionally((tx) =>
      this.deps.pages.in(tx).appendEvent(pageId, Date.now(), 'called_back', actor.id, actor.via, detail),
    );
  }

  /**
   * A responder starts calling a caller back: claimed on the page's timeline ('calling_back'), so
   * that a second responder (another link, another phone, another daemon) does not call the same
   * person at the same time. False while another claim is fresh, or once the caller was reached.
   */
  async claimCallBack(pageId: number, pageCallerId: number, actor: Actor, callId: string): Promise<boolean> {
    return this.transactionally(async (tx) => {
      if (tx.dialect === 'postgres')
        await tx.get('SELECT pg_advisory_xact_lock(hashtext(?))', [`lcr-callback ${pageId}`]);
      const pages = this.deps.pages.in(tx);
      const now = Date.now();
      if (callBackTaken(await pages.events(pageId), pageCallerId, now)) return false;
      await pages.appendEvent(pageId, now, 'calling_back', actor.id, actor.via, {
        page_caller_id: pageCallerId,
        call_id: callId,
      });
      return true;
    });
  }

  /** Whether the call's message is on a page already (opened or joined). */
  messagePaged(callId: string): Promise<boolean> {
    return this.deps.pages.hasCaller(callId);
  }

  /** The live page a call opened (a call taken back after a restart finds its own again). */
  async livePageOf(callId: string): Promise<number | undefined> {
    const pages = await this.deps.pages.ofCall(callId);
    return pages.find(
      (p) => p.status === 'triggered' && p.next_escalation_at === null && p.voicemail_id === null,
    )?.id;
  }

  /** The responder who took a live call is assigned its page, which is acknowledged: nobody is notified. */
  async liveCallTaken(pageId: number, responderId: string, at: number): Promise<void> {
    const config = this.deps.config();
    const actor: Actor = { id: responderId, via: 'phone', responderId };
    const change = await this.transactionally(async (tx) => {
      const t = this.within(tx);
      await t.pages.assign(pageId, [responderId], 0, at);
      return this.changeIn(t, config, pageId, 'acknowledged', actor, at, 'took the call', { notify: false });
    });
    if (change.ok) this.deps.onChange?.(pageId, 'acknowledged');
  }

  /**
   * Nobody took the live call: its page goes on as a voicemail page would have started, with the
   * message if the caller left one: level 1 assigned and notified, the escalation running.
   */
  async liveCallMissed(pageId: number, missed: MissedLiveCall): Promise<void> {
    const config = this.deps.config();
    const moved = await this.transactionally((tx) =>
      continueMissedLiveCall(this.within(tx), config, pageId, missed),
    );
    if (moved) this.deps.onChange?.(pageId, 'escalated');
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
    options: { notify?: boolean } = {},
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
    if (options.notify !== false)
      await enqueueWebhooks(t, config, { pageId, eventId: change.eventId, teamId: page.team_id }, to, at);
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
}
