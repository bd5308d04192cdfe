/**
 * Pages and their timeline: statements only. The paging service runs every state change (the
 * page, its event, its notifications) in one transaction, so the timeline and the page never
 * disagree, even after a crash.
 */
import type { Db } from './database';
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

export interface NewPage {
  teamId: string;
  routeId: string | null;
  callId: string | null;
  voicemailId: string | null;
  callerNumber: string | null;
  summary: string;
  /** Default high. */
  urgency?: Urgency;
  nextEscalationAt: number | null;
  now: number;
}

export class PageStore {
  private readonly insertPageStatement;
  private readonly insertAssignmentStatement;
  private readonly insertEventStatement;
  private readonly getPageStatement;
  private readonly listPagesStatement;
  private readonly listPagesByStatusStatement;
  private readonly assignmentsStatement;
  private readonly eventsStatement;
  private readonly eventStatement;
  private readonly acknowledgeStatement;
  private readonly resolveStatement;
  private readonly advanceStatement;
  private readonly dueStatement;
  private readonly nextDueStatement;
  private readonly countByStatusStatement;
  private readonly ofCallStatement;

  constructor(db: Db) {
    this.insertPageStatement = db.prepare(
      `INSERT INTO pages (team_id, route_id, call_id, voicemail_id, caller_number, summary, urgency, status,
         escalation_level, escalation_round, next_escalation_at, created_at, updated_at)
       VALUES (@team_id, @route_id, @call_id, @voicemail_id, @caller_number, @summary, @urgency, 'triggered',
         0, 0, @next_escalation_at, @now, @now)`,
    );
    this.insertAssignmentStatement = db.prepare(
      `INSERT OR IGNORE INTO page_assignments (page_id, responder_id, level, assigned_at)
       VALUES (?, ?, ?, ?)`,
    );
    this.insertEventStatement = db.prepare(
      'INSERT INTO page_events (page_id, at, type, actor, via, detail) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.getPageStatement = db.prepare('SELECT * FROM pages WHERE id = ?');
    this.ofCallStatement = db.prepare('SELECT * FROM pages WHERE call_id = ? ORDER BY id');
    this.listPagesStatement = db.prepare('SELECT * FROM pages ORDER BY id DESC LIMIT ?');
    this.listPagesByStatusStatement = db.prepare(
      'SELECT * FROM pages WHERE status = ? ORDER BY id DESC LIMIT ?',
    );
    this.assignmentsStatement = db.prepare(
      'SELECT * FROM page_assignments WHERE page_id = ? ORDER BY level, assigned_at, responder_id',
    );
    this.eventsStatement = db.prepare('SELECT * FROM page_events WHERE page_id = ? ORDER BY id');
    this.eventStatement = db.prepare('SELECT * FROM page_events WHERE id = ?');
    this.acknowledgeStatement = db.prepare(
      `UPDATE pages SET status = 'acknowledged', acknowledged_at = ?, acknowledged_by = ?, next_escalation_at = NULL, updated_at = ?
       WHERE id = ? AND status = 'triggered'`,
    );
    this.resolveStatement = db.prepare(
      `UPDATE pages SET status = 'resolved', resolved_at = ?, resolved_by = ?, next_escalation_at = NULL, updated_at = ?
       WHERE id = ? AND status != 'resolved'`,
    );
    this.advanceStatement = db.prepare(
      `UPDATE pages SET escalation_level = ?, escalation_round = ?, next_escalation_at = ?, updated_at = ?
       WHERE id = ? AND status = 'triggered' AND escalation_level = ? AND escalation_round = ?`,
    );
    this.dueStatement = db.prepare(
      `SELECT * FROM pages WHERE status = 'triggered' AND next_escalation_at <= ?
       ORDER BY next_escalation_at LIMIT ?`,
    );
    this.nextDueStatement = db
      .prepare(`SELECT MIN(next_escalation_at) FROM pages WHERE status = 'triggered'`)
      .pluck();
    this.countByStatusStatement = db.prepare('SELECT status, COUNT(*) AS count FROM pages GROUP BY status');
  }

  /**
   * triggered -> acknowledged, or triggered/acknowledged -> resolved. Returns the page as it now
   * is, or why nothing changed. Anyone may act (the event records who); a page already past the
   * requested state stays as it is. Several statements: run it in a transaction.
   */
  change(
    pageId: number,
    to: 'acknowledged' | 'resolved',
    by: string,
    via: EventVia,
    at: number,
    detail?: Record<string, unknown>,
  ): PageChange {
    const page = this.get(pageId);
    if (page === undefined) return { ok: false, reason: 'not-found' };
    const statement = to === 'acknowledged' ? this.acknowledgeStatement : this.resolveStatement;
    if (statement.run(at, by, at, pageId).changes === 0)
      return { ok: false, reason: `already-${page.status}` as PageChangeRefusal, page };
    const eventId = this.appendEvent(pageId, at, to, by, via, detail ?? null);
    return { ok: true, page: this.get(pageId)!, eventId };
  }

  /**
   * A new triggered page and its "triggered" event; assignments are added with assign(). Two
   * statements: run it in a transaction.
   */
  create(page: NewPage): { pageId: number; eventId: number } {
    const result = this.insertPageStatement.run({
      team_id: page.teamId,
      route_id: page.routeId,
      call_id: page.callId,
      voicemail_id: page.voicemailId,
      caller_number: page.callerNumber,
      summary: page.summary,
      urgency: page.urgency ?? 'high',
      next_escalation_at: page.nextEscalationAt,
      now: page.now,
    });
    const pageId = Number(result.lastInsertRowid);
    const eventId = this.appendEvent(pageId, page.now, 'triggered', 'system', 'automatic', {
      summary: page.summary,
      urgency: page.urgency ?? 'high',
    });
    return { pageId, eventId };
  }

  /** Adds responders to the page (those already assigned keep their first level). */
  assign(pageId: number, responderIds: readonly string[], level: number, at: number): void {
    for (const responderId of responderIds)
      this.insertAssignmentStatement.run(pageId, responderId, level, at);
  }

  appendEvent(
    pageId: number,
    at: number,
    type: string,
    actor: string,
    via: EventVia,
    detail: Record<string, unknown> | null,
  ): number {
    const result = this.insertEventStatement.run(
      pageId,
      at,
      type,
      actor,
      via,
      detail === null ? null : JSON.stringify(detail),
    );
    return Number(result.lastInsertRowid);
  }

  /**
   * Moves a triggered page to its next escalation level, only if it is still where the caller
   * saw it: a second tick, or a tick racing an acknowledgement, changes nothing (returns false).
   */
  advance(move: EscalationMove): boolean {
    return (
      this.advanceStatement.run(
        move.to.level,
        move.to.round,
        move.nextEscalationAt,
        move.at,
        move.pageId,
        move.from.level,
        move.from.round,
      ).changes === 1
    );
  }

  /** Triggered pages whose escalation is due at `now`, most overdue first. */
  due(now: number, limit: number): PageRow[] {
    return this.dueStatement.all(now, limit) as PageRow[];
  }

  /** When the next escalation of any page is due, or undefined when none is. */
  nextDue(): number | undefined {
    return (this.nextDueStatement.get() as number | null) ?? undefined;
  }

  countByStatus(): Record<PageStatus, number> {
    const counts: Record<PageStatus, number> = { triggered: 0, acknowledged: 0, resolved: 0 };
    for (const row of this.countByStatusStatement.all() as Array<{ status: PageStatus; count: number }>)
      counts[row.status] = row.count;
    return counts;
  }

  get(id: number): PageRow | undefined {
    return this.getPageStatement.get(id) as PageRow | undefined;
  }

  /** The pages a call raised (a connected call's, a message's), oldest first. */
  ofCall(callId: string): PageRow[] {
    return this.ofCallStatement.all(callId) as PageRow[];
  }

  list(limit: number, status?: PageStatus): PageRow[] {
    return (
      status === undefined
        ? this.listPagesStatement.all(limit)
        : this.listPagesByStatusStatement.all(status, limit)
    ) as PageRow[];
  }

  assignments(pageId: number): PageAssignmentRow[] {
    return this.assignmentsStatement.all(pageId) as PageAssignmentRow[];
  }

  event(eventId: number): PageEventRow | undefined {
    return this.eventStatement.get(eventId) as PageEventRow | undefined;
  }

  events(pageId: number): PageEventRow[] {
    return this.eventsStatement.all(pageId) as PageEventRow[];
  }
}
