/**
 * The notification outbox. A notification is written in the same transaction as the page event
 * that calls for it, so a crash can delay it but never lose it; the dispatcher claims due rows,
 * and every attempt is kept with its result.
 */
import type { NotificationChannelName } from '../domain/enums';
import type { SqlSession } from './sql/driver';
import { chunksOf, valuesList } from './sql/batch';

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

/** An update notification of a page (its event is `updated`), for coalescing the next ones. */
export interface UpdateNotificationRow {
  channel: NotificationChannelName;
  responder_id: string | null;
  webhook_id: string | null;
  due_at: number;
  status: NotificationStatus;
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

const PENDING_LANES = `SELECT channel, webhook_id, MIN(due_at) AS due_at FROM notifications
   WHERE status = 'pending'`;

export class NotificationStore {
  constructor(private readonly db: SqlSession) {}

  /** The same store inside `tx`. */
  in(tx: SqlSession): NotificationStore {
    return new NotificationStore(tx);
  }

  async enqueue(notification: NewNotification, now: number): Promise<number> {
    const row = await this.db.get<{ id: number }>(
      `INSERT INTO notifications (page_id, event_id, channel, responder_id, webhook_id, level, status, due_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?) RETURNING id`,
      [
        notification.pageId,
        notification.eventId,
        notification.channel,
        notification.responderId ?? null,
        notification.webhookId ?? null,
        notification.level ?? null,
        notification.dueAt,
        now,
        now,
      ],
    );
    return row!.id;
  }

  /** enqueue() for many, in a few statements (an escalation tick that moves many pages). */
  async enqueueMany(notifications: ReadonlyArray<NewNotification>, now: number): Promise<void> {
    for (const chunk of chunksOf(notifications))
      await this.db.run(
        `INSERT INTO notifications (page_id, event_id, channel, responder_id, webhook_id, level, status, due_at, created_at, updated_at)
         VALUES ${valuesList(
           chunk.length,
           Array.from({ length: 10 }, () => undefined),
         )}`,
        chunk.flatMap((n) => [
          n.pageId,
          n.eventId,
          n.channel,
          n.responderId ?? null,
          n.webhookId ?? null,
          n.level ?? null,
          'pending',
          n.dueAt,
          now,
          now,
        ]),
      );
  }

  /** The lanes that have rows due at `now`. */
  dueLanes(now: number): Promise<OutboxLane[]> {
    return this.db.all<OutboxLane>(`${PENDING_LANES} AND due_at <= ? GROUP BY channel, webhook_id`, [now]);
  }

  /** Every lane with pending rows, and when its first is due. */
  pendingLanes(): Promise<OutboxLane[]> {
    return this.db.all<OutboxLane>(`${PENDING_LANES} GROUP BY channel, webhook_id`);
  }

  /** The due rows of one lane, most overdue first. */
  dueInLane(
    now: number,
    lane: Pick<OutboxLane, 'channel' | 'webhook_id'>,
    limit: number,
  ): Promise<NotificationRow[]> {
    // IS NOT DISTINCT FROM, not =: the phone and email lanes have no webhook id (NULL).
    return this.db.all<NotificationRow>(
      `SELECT * FROM notifications
       WHERE status = 'pending' AND due_at <= ? AND channel = ? AND webhook_id IS NOT DISTINCT FROM ?
       ORDER BY due_at, id LIMIT ?`,
      [now, lane.channel, lane.webhook_id, limit],
    );
  }

  async nextDue(): Promise<number | undefined> {
    const row = await this.db.get<{ due: number | null }>(
      `SELECT MIN(due_at) AS due FROM notifications WHERE status = 'pending'`,
    );
    return row?.due ?? undefined;
  }

  /**
   * Takes a pending notification for sending (by daemon `by`, with several); false when someone
   * else took or cancelled it.
   */
  async claim(id: number, now: number, by: string | null = null): Promise<boolean> {
    const claimed = await this.db.run(
      `UPDATE notifications SET status = 'sending', attempts = attempts + 1, updated_at = ?, claimed_by = ?
       WHERE id = ? AND status = 'pending'`,
      [now, by, id],
    );
    return claimed.changes === 1;
  }

  /**
   * Records one attempt and where the notification goes from here (false: it was no longer being
   * sent). Two statements: run it in a transaction.
   */
  async finish(id: number, outcome: AttemptOutcome): Promise<boolean> {
    await this.db.run(
      'INSERT INTO notification_attempts (notification_id, started_at, ended_at, ok, detail) VALUES (?, ?, ?, ?, ?)',
      [id, outcome.startedAt, outcome.endedAt, outcome.ok ? 1 : 0, outcome.detail],
    );
    const dueAt = outcome.next.status === 'pending' ? outcome.next.dueAt : outcome.endedAt;
    const finished = await this.db.run(
      `UPDATE notifications SET status = ?, due_at = ?, result = ?, updated_at = ? WHERE id = ? AND status = 'sending'`,
      [outcome.next.status, dueAt, outcome.detail, outcome.endedAt, id],
    );
    return finished.changes === 1;
  }

  /** The page's update notifications so far (coalesced: a few per target), oldest first. */
  updatesOf(pageId: number): Promise<UpdateNotificationRow[]> {
    return this.db.all<UpdateNotificationRow>(
      `SELECT n.channel, n.responder_id, n.webhook_id, n.due_at, n.status FROM notifications n
       JOIN page_events e ON e.id = n.event_id
       WHERE n.page_id = ? AND e.type = 'updated' ORDER BY n.id`,
      [pageId],
    );
  }

  /** The page was acknowledged or resolved: nobody needs to be called or mailed about it any more. */
  async cancelForPage(pageId: number, reason: string, now: number): Promise<number> {
    const cancelled = await this.db.run(
      `UPDATE notifications SET status = 'cancelled', result = ?, updated_at = ?
       WHERE page_id = ? AND status = 'pending' AND channel IN ('phone', 'email')`,
      [reason, now, pageId],
    );
    return cancelled.changes;
  }

  /**
   * At start-up: notifications a previous process was sending when it died go back to pending
   * (only one daemon runs against a database, so nobody else is sending them).
   */
  async releaseInterrupted(now: number): Promise<number> {
    const released = await this.db.run(
      `UPDATE notifications SET status = 'pending', updated_at = ? WHERE status = 'sending'`,
      [now],
    );
    return released.changes;
  }

  /**
   * With several daemons: notifications left 'sending' since before `claimedBefore` (their sender
   * died mid-send; no send lasts that long) go back to pending, to be sent again.
   */
  async releaseStale(claimedBefore: number, now: number): Promise<number> {
    const released = await this.db.run(
      `UPDATE notifications SET status = 'pending', updated_at = ? WHERE status = 'sending' AND updated_at < ?`,
      [now, claimedBefore],
    );
    return released.changes;
  }

  /** The emails and webhooks `by` has 'sending' now (its own claims, in flight or forgotten). */
  async claimsOf(by: string): Promise<number[]> {
    const rows = await this.db.all<{ id: number }>(
      `SELECT id FROM notifications WHERE status = 'sending' AND claimed_by = ? AND channel IN ('email', 'webhook')`,
      [by],
    );
    return rows.map((r) => Number(r.id));
  }

  /** The daemons that have notifications 'sending' now. */
  async senders(): Promise<string[]> {
    const rows = await this.db.all<{ by: string }>(
      `SELECT DISTINCT claimed_by AS by FROM notifications WHERE status = 'sending' AND claimed_by IS NOT NULL`,
    );
    return rows.map((r) => r.by);
  }

  /**
   * The emails and webhooks daemon `by` (gone: its database sessions ended) claimed before
   * `claimedBefore` go back to pending. Page calls are not: the daemon that takes over the dead
   * one's application hangs each up and releases it (reconcile/).
   */
  async releaseClaimedBy(by: string, claimedBefore: number, now: number): Promise<number> {
    const released = await this.db.run(
      `UPDATE notifications SET status = 'pending', updated_at = ?
       WHERE status = 'sending' AND claimed_by = ? AND updated_at < ? AND channel IN ('email', 'webhook')`,
      [now, by, claimedBefore],
    );
    return released.changes;
  }

  /** One notification whose sending was cut short (its page call was hung up) goes back to pending. */
  async release(id: number, now: number): Promise<boolean> {
    const released = await this.db.run(
      `UPDATE notifications SET status = 'pending', updated_at = ? WHERE id = ? AND status = 'sending'`,
      [now, id],
    );
    return released.changes === 1;
  }

  ofPage(pageId: number): Promise<NotificationRow[]> {
    return this.db.all<NotificationRow>('SELECT * FROM notifications WHERE page_id = ? ORDER BY id', [
      pageId,
    ]);
  }

  /** The page's notifications, each with every attempt made (for `lcr pages show` and the API). */
  async ofPageWithAttempts(
    pageId: number,
  ): Promise<Array<NotificationRow & { attempts_made: NotificationAttemptRow[] }>> {
    const notifications = await this.ofPage(pageId);
    const attempts = await this.db.all<NotificationAttemptRow>(
      `SELECT a.* FROM notification_attempts a JOIN notifications n ON n.id = a.notification_id
       WHERE n.page_id = ? ORDER BY a.id`,
      [pageId],
    );
    return notifications.map((n) => ({
      ...n,
      attempts_made: attempts.filter((a) => a.notification_id === n.id),
    }));
  }

  attempts(notificationId: number): Promise<NotificationAttemptRow[]> {
    return this.db.all<NotificationAttemptRow>(
      'SELECT * FROM notification_attempts WHERE notification_id = ? ORDER BY id',
      [notificationId],
    );
  }

  async failedAttemptsByChannel(): Promise<Record<NotificationChannelName, number>> {
    const counts: Record<NotificationChannelName, number> = { phone: 0, email: 0, webhook: 0 };
    for (const row of await this.db.all<{ channel: NotificationChannelName; count: number }>(
      `SELECT n.channel AS channel, COUNT(*) AS count FROM notification_attempts a
       JOIN notifications n ON n.id = a.notification_id WHERE a.ok = 0 GROUP BY n.channel`,
    ))
      counts[row.channel] = row.count;
    return counts;
  }
}
