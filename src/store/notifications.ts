/**
 * The notification outbox. A notification is written in the same transaction as the page event
 * that calls for it, so a crash can delay it but never lose it; the dispatcher claims due rows,
 * and every attempt is kept with its result.
 */
import type { NotificationChannelName } from '../domain/enums';
import type { Db } from './database';

export type { NotificationChannelName };
export type NotificationStatus = 'pending' | 'sending' | 'sent' | 'failed' | 'cancelled';

export interface NotificationRow {
  id: number;
  page_id: number;
  event_id: number | null;
  channel: NotificationChannelName;
  responder_id: string | null;
  webhook_id: string | null;
  level: number | null;
  status: NotificationStatus;
  attempts: number;
  due_at: number;
  result: string | null;
  created_at: number;
  updated_at: number;
}

export interface NotificationAttemptRow {
  id: number;
  notification_id: number;
  started_at: number;
  ended_at: number;
  ok: number;
  detail: string;
}

export interface NewNotification {
  pageId: number;
  eventId: number | null;
  channel: NotificationChannelName;
  responderId?: string;
  webhookId?: string;
  level?: number;
  dueAt: number;
}

export interface AttemptOutcome {
  startedAt: number;
  endedAt: number;
  ok: boolean;
  detail: string;
  /** Final status, or a retry time when the channel wants another attempt. */
  next: { status: 'sent' | 'failed' } | { status: 'pending'; dueAt: number };
}

/** A lane of the outbox: a channel, and for webhooks the target (see paging/dispatcher laneOf). */
export interface OutboxLane {
  channel: NotificationChannelName;
  webhook_id: string | null;
  /** The earliest pending row's due time. */
  due_at: number;
}

export class NotificationStore {
  private readonly insertStatement;
  private readonly dueLanesStatement;
  private readonly pendingLanesStatement;
  private readonly dueInLaneStatement;
  private readonly nextDueStatement;
  private readonly claimStatement;
  private readonly finishStatement;
  private readonly attemptStatement;
  private readonly cancelStatement;
  private readonly releaseStatement;
  private readonly ofPageStatement;
  private readonly attemptsStatement;
  private readonly failuresStatement;

  constructor(db: Db) {
    this.insertStatement = db.prepare(
      `INSERT INTO notifications (page_id, event_id, channel, responder_id, webhook_id, level, status, due_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)`,
    );
    const lanes = `SELECT channel, webhook_id, MIN(due_at) AS due_at FROM notifications
       WHERE status = 'pending'`;
    this.dueLanesStatement = db.prepare(`${lanes} AND due_at <= ? GROUP BY channel, webhook_id`);
    this.pendingLanesStatement = db.prepare(`${lanes} GROUP BY channel, webhook_id`);
    // IS, not =: the phone and email lanes have no webhook id (NULL).
    this.dueInLaneStatement = db.prepare(
      `SELECT * FROM notifications WHERE status = 'pending' AND due_at <= ? AND channel = ? AND webhook_id IS ?
       ORDER BY due_at, id LIMIT ?`,
    );
    this.nextDueStatement = db
      .prepare(`SELECT MIN(due_at) FROM notifications WHERE status = 'pending'`)
      .pluck();
    this.claimStatement = db.prepare(
      `UPDATE notifications SET status = 'sending', attempts = attempts + 1, updated_at = ?
       WHERE id = ? AND status = 'pending'`,
    );
    this.finishStatement = db.prepare(
      `UPDATE notifications SET status = ?, due_at = ?, result = ?, updated_at = ? WHERE id = ? AND status = 'sending'`,
    );
    this.attemptStatement = db.prepare(
      `INSERT INTO notification_attempts (notification_id, started_at, ended_at, ok, detail) VALUES (?, ?, ?, ?, ?)`,
    );
    this.cancelStatement = db.prepare(
      `UPDATE notifications SET status = 'cancelled', result = ?, updated_at = ?
       WHERE page_id = ? AND status = 'pending' AND channel IN ('phone', 'email')`,
    );
    this.releaseStatement = db.prepare(
      `UPDATE notifications SET status = 'pending', updated_at = ? WHERE status = 'sending'`,
    );
    this.ofPageStatement = db.prepare('SELECT * FROM notifications WHERE page_id = ? ORDER BY id');
    this.attemptsStatement = db.prepare(
      'SELECT * FROM notification_attempts WHERE notification_id = ? ORDER BY id',
    );
    this.failuresStatement = db.prepare(
      `SELECT n.channel AS channel, COUNT(*) AS count FROM notification_attempts a
       JOIN notifications n ON n.id = a.notification_id WHERE a.ok = 0 GROUP BY n.channel`,
    );
  }

  enqueue(notification: NewNotification, now: number): number {
    return Number(
      this.insertStatement.run(
        notification.pageId,
        notification.eventId,
        notification.channel,
        notification.responderId ?? null,
        notification.webhookId ?? null,
        notification.level ?? null,
        notification.dueAt,
        now,
        now,
      ).lastInsertRowid,
    );
  }

  /** The lanes that have rows due at `now`. */
  dueLanes(now: number): OutboxLane[] {
    return this.dueLanesStatement.all(now) as OutboxLane[];
  }

  /** Every lane with pending rows, and when its first is due. */
  pendingLanes(): OutboxLane[] {
    return this.pendingLanesStatement.all() as OutboxLane[];
  }

  /** The due rows of one lane, most overdue first. */
  dueInLane(now: number, lane: Pick<OutboxLane, 'channel' | 'webhook_id'>, limit: number): NotificationRow[] {
    return this.dueInLaneStatement.all(now, lane.channel, lane.webhook_id, limit) as NotificationRow[];
  }

  nextDue(): number | undefined {
    return (this.nextDueStatement.get() as number | null) ?? undefined;
  }

  /** Takes a pending notification for sending; false when someone else took or cancelled it. */
  claim(id: number, now: number): boolean {
    return this.claimStatement.run(now, id).changes === 1;
  }

  /**
   * Records one attempt and where the notification goes from here (false: it was no longer being
   * sent). Two statements: run it in a transaction.
   */
  finish(id: number, outcome: AttemptOutcome): boolean {
    this.attemptStatement.run(id, outcome.startedAt, outcome.endedAt, outcome.ok ? 1 : 0, outcome.detail);
    const dueAt = outcome.next.status === 'pending' ? outcome.next.dueAt : outcome.endedAt;
    return (
      this.finishStatement.run(outcome.next.status, dueAt, outcome.detail, outcome.endedAt, id).changes === 1
    );
  }

  /** The page was acknowledged or resolved: nobody needs to be called or mailed about it any more. */
  cancelForPage(pageId: number, reason: string, now: number): number {
    return this.cancelStatement.run(reason, now, pageId).changes;
  }

  /**
   * At start-up: notifications a previous process was sending when it died go back to pending
   * (only one daemon runs against a database, so nobody else is sending them).
   */
  releaseInterrupted(now: number): number {
    return this.releaseStatement.run(now).changes;
  }

  ofPage(pageId: number): NotificationRow[] {
    return this.ofPageStatement.all(pageId) as NotificationRow[];
  }

  /** The page's notifications, each with every attempt made (for `lcr pages show` and the API). */
  ofPageWithAttempts(pageId: number): Array<NotificationRow & { attempts_made: NotificationAttemptRow[] }> {
    return this.ofPage(pageId).map((n) => ({ ...n, attempts_made: this.attempts(n.id) }));
  }

  attempts(notificationId: number): NotificationAttemptRow[] {
    return this.attemptsStatement.all(notificationId) as NotificationAttemptRow[];
  }

  failedAttemptsByChannel(): Record<NotificationChannelName, number> {
    const counts: Record<NotificationChannelName, number> = { phone: 0, email: 0, webhook: 0 };
    for (const row of this.failuresStatement.all() as Array<{
      channel: NotificationChannelName;
      count: number;
    }>)
      counts[row.channel] = row.count;
    return counts;
  }
}
