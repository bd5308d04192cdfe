/**
 * Pages and their timeline: statements only. The paging service runs every state change (the
 * page, its event, its notifications) in one transaction, so the timeline and the page never
 * disagree, even after a crash.
 */
import type { SqlSession } from './sql/driver';
import { chunksOf, valuesList } from './sql/batch';
import type { PageStatus, Urgency } from '../domain/enums';

export type { PageStatus } from '../domain/enums';
export type EventVia = 'phone' | 'cli' | 'http' | 'link' | 'web' | 'automatic';

export interface PageRow {
  id: number;
  team_id: string;
  route_id: string | null;
  call_id: string | null;
  voicemail_id: string | null;
  caller_number: string | null;
  summary: string;
  status: PageStatus;
  escalation_level: number;
  escalation_round: number;
  next_escalation_at: number | null;
  created_at: number;
  updated_at: number;
  acknowledged_at: number | null;
  acknowledged_by: string | null;
  resolved_at: number | null;
  resolved_by: string | null;
  /** high, or low: email and webhooks only, escalating only while its route is open (migration 5). */
  urgency: Urgency;
  /** The menu key the first caller chose (null for pages older than migration 11). */
  option_key: string | null;
  /** How many callers the page gathers (page_callers), 1 for a page nobody else called about. */
  caller_count: number;
  /** When its latest caller came: the dedupe window runs from here. */
  last_caller_at: number | null;
}

/** One caller about a page: its first, and every one de-duplicated into it since. */
export interface PageCallerRow {
  id: number;
  page_id: number;
  call_id: string | null;
  voicemail_id: string | null;
  caller_number: string | null;
  duration_seconds: number | null;
  /** The number the caller asked to be called back at, if they did. */
  callback_number: string | null;
  at: number;
}

export interface NewPageCaller {
  pageId: number;
  callId: string | null;
  voicemailId: string | null;
  callerNumber: string | null;
  durationSeconds?: number | null;
  callbackNumber?: string | null;
  at: number;
}

export interface OpenProblemRow {
  team_id: string;
  since: number;
  last_caller_at: number;
  /** 1 when one of the team's open pages is acknowledged. */
  acknowledged: number;
}

/** Which open page a new caller joins: the team's, or also the same route and option. */
export interface DedupeMatch {
  teamId: string;
  /** Set for scope option: only a page of this route and menu key. */
  routeId?: string | null;
  optionKey?: string | null;
  /** Only a page whose latest caller came at or after this instant. */
  since: number;
}

export interface PageAssignmentRow {
  page_id: number;
  responder_id: string;
  level: number;
  assigned_at: number;
}

export interface PageEventRow {
  id: number;
  page_id: number;
  at: number;
  type: string;
  actor: string;
  via: EventVia;
  detail: string | null;
}

export type PageChangeRefusal = 'not-found' | 'already-acknowledged' | 'already-resolved';

export type PageChange =
  { ok: true; page: PageRow; eventId: number } | { ok: false; reason: PageChangeRefusal; page?: PageRow };

/** Where an escalation found the page, and where it takes it. */
export interface EscalationMove {
  pageId: number;
  from: { level: number; round: number };
  to: { level: number; round: number };
  /** Null: the policy is exhausted and nothing more is due. */
  nextEscalationAt: number | null;
  at: number;
}

export interface NewAssignment {
  pageId: number;
  responderId: string;
  level: number;
  at: number;
}

export interface NewPageEvent {
  pageId: number;
  at: number;
  type: string;
  actor: string;
  via: EventVia;
  detail: Record<string, unknown> | null;
}

export interface NewPage {
  teamId: string;
  routeId: string | null;
  callId: string | null;
  voicemailId: string | null;
  callerNumber: string | null;
  summary: string;
  /** Default high. */
  urgency?: Urgency;
  optionKey?: string | null;
  /** The first caller's message length, for page_callers. */
  durationSeconds?: number | null;
  callbackNumber?: string | null;
  nextEscalationAt: number | null;
  now: number;
}

/**
 * Statements on one session: the database, or the transaction the paging service runs a change
 * in (`in(tx)`). Several of these are more than one statement: run them in a transaction.
 */
export class PageStore {
  constructor(private readonly db: SqlSession) {}

  /** The same store inside `tx`. */
  in(tx: SqlSession): PageStore {
    return new PageStore(tx);
  }

  /**
   * triggered -> acknowledged, or triggered/acknowledged -> resolved. Returns the page as it now
   * is, or why nothing changed. Anyone may act (the event records who); a page already past the
   * requested state stays as it is. Several statements: run it in a transaction.
   */
  async change(
    pageId: number,
    to: 'acknowledged' | 'resolved',
    by: string,
    via: EventVia,
    at: number,
    detail?: Record<string, unknown>,
  ): Promise<PageChange> {
    const page = await this.get(pageId);
    if (page === undefined) return { ok: false, reason: 'not-found' };
    const changed = await this.db.run(
      to === 'acknowledged'
        ? `UPDATE pages SET status = 'acknowledged', acknowledged_at = ?, acknowledged_by = ?, next_escalation_at = NULL, updated_at = ?
           WHERE id = ? AND status = 'triggered'`
        : `UPDATE pages SET status = 'resolved', resolved_at = ?, resolved_by = ?, next_escalation_at = NULL, updated_at = ?
           WHERE id = ? AND status != 'resolved'`,
      [at, by, at, pageId],
    );
    if (changed.changes === 0)
      return { ok: false, reason: `already-${page.status}` as PageChangeRefusal, page };
    const eventId = await this.appendEvent(pageId, at, to, by, via, detail ?? null);
    return { ok: true, page: (await this.get(pageId))!, eventId };
  }

  /**
   * A new triggered page and its "triggered" event; assignments are added with assign(). Two
   * statements: run it in a transaction.
   */
  async create(page: NewPage): Promise<{ pageId: number; eventId: number }> {
    const row = await this.db.get<{ id: number }>(
      `INSERT INTO pages (team_id, route_id, call_id, voicemail_id, caller_number, summary, urgency, status,
         escalation_level, escalation_round, next_escalation_at, created_at, updated_at, option_key,
         caller_count, last_caller_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, 'triggered', 0, 0, ?, ?, ?, ?, ?, ?) RETURNING id`,
      [
        page.teamId,
        page.routeId,
        page.callId,
        page.voicemailId,
        page.callerNumber,
        page.summary,
        page.urgency ?? 'high',
        page.nextEscalationAt,
        page.now,
        page.now,
        page.optionKey ?? null,
        page.callId === null ? 0 : 1,
        page.now,
      ],
    );
    const pageId = row!.id;
    if (page.callId !== null) await this.insertCaller({ ...page, pageId, at: page.now });
    const eventId = await this.appendEvent(pageId, page.now, 'triggered', 'system', 'automatic', {
      summary: page.summary,
      urgency: page.urgency ?? 'high',
    });
    return { pageId, eventId };
  }

  /**
   * The newest open page a new caller would join, if any: the team's (scope team) or the same
   * route's and option's (scope option), whose latest caller is within the window.
   */
  openFor(match: DedupeMatch): Promise<PageRow | undefined> {
    const byOption = match.routeId !== undefined;
    return this.db.get<PageRow>(
      `SELECT * FROM pages WHERE team_id = ? AND status != 'resolved' AND last_caller_at >= ?
       ${byOption ? 'AND route_id IS NOT DISTINCT FROM ? AND option_key IS NOT DISTINCT FROM ?' : ''}
       ORDER BY last_caller_at DESC, id DESC LIMIT 1`,
      byOption
        ? [match.teamId, match.since, match.routeId ?? null, match.optionKey ?? null]
        : [match.teamId, match.since],
    );
  }

  /** A live call's page becomes its voicemail page (service liveCallMissed): the message, and the escalation. */
  async continueLive(
    pageId: number,
    missed: {
      voicemailId: string | null;
      durationSeconds: number | null;
      callbackNumber?: string | null;
      summary: string;
      nextEscalationAt: number | null;
      at: number;
    },
  ): Promise<void> {
    await this.db.run(
      `UPDATE pages SET voicemail_id = ?, summary = ?, next_escalation_at = ?, updated_at = ? WHERE id = ?`,
      [missed.voicemailId, missed.summary, missed.nextEscalationAt, missed.at, pageId],
    );
    await this.db.run(
      `UPDATE page_callers SET voicemail_id = ?, duration_seconds = ?, callback_number = ?
       WHERE id = (SELECT MIN(id) FROM page_callers WHERE page_id = ?)`,
      [missed.voicemailId, missed.durationSeconds, missed.callbackNumber ?? null, pageId],
    );
  }

  /** One more caller about an open page: listed, counted, and the dedupe window runs on from now. */
  async addCaller(caller: NewPageCaller): Promise<number> {
    await this.insertCaller(caller);
    const row = await this.db.get<{ caller_count: number }>(
      `UPDATE pages SET caller_count = caller_count + 1, last_caller_at = ?, updated_at = ?
       WHERE id = ? RETURNING caller_count`,
      [caller.at, caller.at, caller.pageId],
    );
    return row?.caller_count ?? 0;
  }

  private async insertCaller(caller: NewPageCaller): Promise<void> {
    await this.db.run(
      `INSERT INTO page_callers (page_id, call_id, voicemail_id, caller_number, duration_seconds, callback_number, at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
      [
        caller.pageId,
        caller.callId,
        caller.voicemailId,
        caller.callerNumber,
        caller.durationSeconds ?? null,
        caller.callbackNumber ?? null,
        caller.at,
      ],
    );
  }

  /**
   * Per team with open pages whose latest caller came at or after `since`: when the oldest was
   * opened, when its latest caller came, and whether any is acknowledged. What callers are told.
   */
  openProblems(since: number): Promise<OpenProblemRow[]> {
    return this.db.all<OpenProblemRow>(
      `SELECT team_id, MIN(created_at) AS since, MAX(last_caller_at) AS last_caller_at,
         MAX(CASE WHEN status = 'acknowledged' THEN 1 ELSE 0 END) AS acknowledged
       FROM pages WHERE status != 'resolved' AND last_caller_at >= ? GROUP BY team_id`,
      [since],
    );
  }

  /** The callers of a page, first first. */
  callers(pageId: number): Promise<PageCallerRow[]> {
    return this.db.all<PageCallerRow>('SELECT * FROM page_callers WHERE page_id = ? ORDER BY id', [pageId]);
  }

  /** Adds responders to the page (those already assigned keep their first level). */
  assign(pageId: number, responderIds: readonly string[], level: number, at: number): Promise<void> {
    return this.assignMany(responderIds.map((responderId) => ({ pageId, responderId, level, at })));
  }

  /** assign() for many pages, in a few statements. */
  async assignMany(rows: ReadonlyArray<NewAssignment>): Promise<void> {
    for (const chunk of chunksOf(rows))
      await this.db.run(
        `INSERT INTO page_assignments (page_id, responder_id, level, assigned_at)
         VALUES ${valuesList(chunk.length, [undefined, undefined, undefined, undefined])}
         ON CONFLICT (page_id, responder_id) DO NOTHING`,
        chunk.flatMap((a) => [a.pageId, a.responderId, a.level, a.at]),
      );
  }

  async appendEvent(
    pageId: number,
    at: number,
    type: string,
    actor: string,
    via: EventVia,
    detail: Record<string, unknown> | null,
  ): Promise<number> {
    const row = await this.db.get<{ id: number }>(
      'INSERT INTO page_events (page_id, at, type, actor, via, detail) VALUES (?, ?, ?, ?, ?, ?) RETURNING id',
      [pageId, at, type, actor, via, detail === null ? null : JSON.stringify(detail)],
    );
    return row!.id;
  }

  /** One event for each of many pages, in a few statements: each page's event id, by page. */
  async appendEvents(events: ReadonlyArray<NewPageEvent>): Promise<Map<number, number>> {
    const ids = new Map<number, number>();
    for (const chunk of chunksOf(events)) {
      const rows = await this.db.all<{ id: number; page_id: number }>(
        `INSERT INTO page_events (page_id, at, type, actor, via, detail)
         VALUES ${valuesList(chunk.length, [undefined, undefined, undefined, undefined, undefined, undefined])}
         RETURNING id, page_id`,
        chunk.flatMap((e) => [
          e.pageId,
          e.at,
          e.type,
          e.actor,
          e.via,
          e.detail === null ? null : JSON.stringify(e.detail),
        ]),
      );
      for (const row of rows) ids.set(row.page_id, row.id);
    }
    return ids;
  }

  /**
   * Moves a triggered page to its next escalation level, only if it is still where the caller
   * saw it: a second tick, or a tick racing an acknowledgement, changes nothing (returns false).
   */
  async advance(move: EscalationMove): Promise<boolean> {
    return (await this.advanceMany([move])).has(move.pageId);
  }

  /** advance() for many pages, in a few statements: the pages that moved. */
  async advanceMany(moves: ReadonlyArray<EscalationMove>): Promise<Set<number>> {
    const moved = new Set<number>();
    for (const chunk of chunksOf(moves)) {
      const rows = await this.db.all<{ id: number }>(
        `WITH moves (id, from_level, from_round, to_level, to_round, next_at, at) AS (
           VALUES ${valuesList(chunk.length, ['BIGINT', 'BIGINT', 'BIGINT', 'BIGINT', 'BIGINT', 'BIGINT', 'BIGINT'])})
         UPDATE pages SET escalation_level = moves.to_level, escalation_round = moves.to_round,
           next_escalation_at = moves.next_at, updated_at = moves.at
         FROM moves
         WHERE pages.id = moves.id AND pages.status = 'triggered'
           AND pages.escalation_level = moves.from_level AND pages.escalation_round = moves.from_round
         RETURNING pages.id`,
        chunk.flatMap((m) => [
          m.pageId,
          m.from.level,
          m.from.round,
          m.to.level,
          m.to.round,
          m.nextEscalationAt,
          m.at,
        ]),
      );
      for (const row of rows) moved.add(row.id);
    }
    return moved;
  }

  /** Triggered pages whose escalation is due at `now`, most overdue first. */
  due(now: number, limit: number): Promise<PageRow[]> {
    return this.db.all<PageRow>(
      `SELECT * FROM pages WHERE status = 'triggered' AND next_escalation_at <= ?
       ORDER BY next_escalation_at LIMIT ?`,
      [now, limit],
    );
  }

  /** When the next escalation of any page is due, or undefined when none is. */
  async nextDue(): Promise<number | undefined> {
    const row = await this.db.get<{ due: number | null }>(
      `SELECT MIN(next_escalation_at) AS due FROM pages WHERE status = 'triggered'`,
    );
    return row?.due ?? undefined;
  }

  async countByStatus(): Promise<Record<PageStatus, number>> {
    const counts: Record<PageStatus, number> = { triggered: 0, acknowledged: 0, resolved: 0 };
    for (const row of await this.db.all<{ status: PageStatus; count: number }>(
      'SELECT status, COUNT(*) AS count FROM pages GROUP BY status',
    ))
      counts[row.status] = row.count;
    return counts;
  }

  get(id: number): Promise<PageRow | undefined> {
    return this.db.get<PageRow>('SELECT * FROM pages WHERE id = ?', [id]);
  }

  /** Whether the call's message is on a page: one it opened, or one it joined as a caller. */
  async hasCaller(callId: string): Promise<boolean> {
    const row = await this.db.get<{ n: number }>(
      'SELECT (SELECT COUNT(*) FROM pages WHERE call_id = ?) + (SELECT COUNT(*) FROM page_callers WHERE call_id = ?) AS n',
      [callId, callId],
    );
    return Number(row?.n ?? 0) > 0;
  }

  /** The pages a call raised (a connected call's, a message's), oldest first. */
  ofCall(callId: string): Promise<PageRow[]> {
    return this.db.all<PageRow>('SELECT * FROM pages WHERE call_id = ? ORDER BY id', [callId]);
  }

  list(limit: number, status?: PageStatus): Promise<PageRow[]> {
    return status === undefined
      ? this.db.all<PageRow>('SELECT * FROM pages ORDER BY id DESC LIMIT ?', [limit])
      : this.db.all<PageRow>('SELECT * FROM pages WHERE status = ? ORDER BY id DESC LIMIT ?', [
          status,
          limit,
        ]);
  }

  assignments(pageId: number): Promise<PageAssignmentRow[]> {
    return this.db.all<PageAssignmentRow>(
      'SELECT * FROM page_assignments WHERE page_id = ? ORDER BY level, assigned_at, responder_id',
      [pageId],
    );
  }

  event(eventId: number): Promise<PageEventRow | undefined> {
    return this.db.get<PageEventRow>('SELECT * FROM page_events WHERE id = ?', [eventId]);
  }

  events(pageId: number): Promise<PageEventRow[]> {
    return this.db.all<PageEventRow>('SELECT * FROM page_events WHERE page_id = ? ORDER BY id', [pageId]);
  }
}
