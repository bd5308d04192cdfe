/**
 * Sends what the outbox says is due: claims each row, hands it to its channel, records the
 * attempt, and schedules a retry with exponential backoff when the channel asks for one and
 * attempts remain. Rows being sent when the process dies are released at the next start.
 *
 * Each lane (phone, email, each webhook target) has its own limit of sends in flight, so a
 * peer that hangs fills only its own lane: a phone page never waits behind a stuck SMTP
 * server or a slow webhook receiver (issue 17). The notifiers bound how long a send may hold
 * a slot (SMTP and webhook timeouts).
 */
import type { Config } from '../config/model';
import type { Logger } from '../log/logger';
import type { Notifier } from '../notifications/types';
import type { NotificationChannelName, NotificationRow, NotificationStore } from '../store/notifications';
import { retryTransient } from '../store/sql/driver';
import type { PageStore } from '../store/pages';
import type { Clock } from '../util/clock';
import type { Transactional } from './service';

export interface RetryPolicy {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { baseMs: 30_000, maxMs: 3600_000 };

/** 30 s, 1 min, 2 min, ... capped at an hour (with the default policy). */
export function retryDelayMs(attempt: number, policy: RetryPolicy): number {
  return Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
}

/** Most sends in flight at once in each lane; each webhook target is a lane of its own. */
export interface LaneLimits {
  phone: number;
  email: number;
  webhook: number;
}

/**
 * A page call lasts up to a few minutes (ringing, the announcement, the message) and must start
 * within a second of being due, so phones get room for a burst of pages (the limit guards
 * Asterisk and its trunks, not the daemon, for which a call costs little); an SMTP server or a
 * webhook receiver rarely gains from more parallel requests.
 */
export const DEFAULT_LANE_LIMITS: LaneLimits = { phone: 100, email: 4, webhook: 4 };

/** The lane of a notification: its channel, and for webhooks the target. */
export function laneOf(row: Pick<NotificationRow, 'channel' | 'webhook_id'>): string {
  return row.channel === 'webhook' ? `webhook:${row.webhook_id ?? ''}` : row.channel;
}

export interface DispatcherDependencies {
  config: () => Config;
  notifications: NotificationStore;
  pages: PageStore;
  /**
   * The database's own transactions, for recording what a send did: a fact, kept even when the
   * engine's lease was lost meanwhile (the claim, in the engine's fenced transaction, was not).
   */
  transactional: Transactional;
  notifiers: Partial<Record<NotificationChannelName, Notifier>>;
  logger: Logger;
  retry: RetryPolicy;
  /** Most sends in flight at once per lane (a number: the same for every lane; default DEFAULT_LANE_LIMITS). */
  concurrency?: number | LaneLimits;
  /** This daemon's name, recorded on what it sends (several daemons: see releaseStaleNotifications). */
  claimant?: string;
  /** Told when a send finishes, so the engine looks again for due work. */
  onSettled: () => void;
  /** Times each attempt and its retry. */
  clock: Clock;
}

export class NotificationDispatcher {
  private readonly inFlight = new Map<
    number,
    { pageId: number; abort: AbortController; done: Promise<void> }
  >();
  private readonly perLane = new Map<string, number>();

  /** Set when the daemon stops: nothing new starts. */
  stopping = false;

  constructor(private readonly deps: DispatcherDependencies) {}

  get busy(): number {
    return this.inFlight.size;
  }

  /** How many more sends may start now in `lane` (see laneOf). */
  roomIn(lane: string): number {
    if (this.stopping) return 0;
    const limits = this.deps.concurrency ?? DEFAULT_LANE_LIMITS;
    const channel = lane.startsWith('webhook:') ? 'webhook' : (lane as 'phone' | 'email');
    const limit = typeof limits === 'number' ? limits : limits[channel];
    return Math.max(0, limit - (this.perLane.get(lane) ?? 0));
  }

  /**
   * Starts every due notification there is room for in its lane; returns how many started. Each
   * claim, and later the record of its attempt, runs in its own transaction given by `tx` (the
   * engine's): a send lasts up to a minute and must not hold a transaction open.
   */
  async dispatchDue(now: number, transactionally: Transactional): Promise<number> {
    if (this.stopping) return 0;
    await this.releaseForgottenClaims(now, transactionally);
    let started = 0;
    for (const lane of await this.deps.notifications.dueLanes(now)) {
      const room = this.roomIn(laneOf(lane));
      if (room <= 0) continue;
      for (const row of await this.deps.notifications.dueInLane(now, lane, room)) {
        if (this.stopping) return started;
        const claimed = await transactionally((tx) =>
          this.deps.notifications.in(tx).claim(row.id, now, this.deps.claimant ?? null),
        );
        if (!claimed) continue;
        this.start({ ...row, attempts: row.attempts + 1, status: 'sending' });
        started++;
      }
    }
    return started;
  }

  /**
   * A claim whose commit this daemon never heard of (the connection to PostgreSQL died with the
   * answer) is 'sending' under its name while nothing sends it: such an email or webhook goes back
   * to pending at once instead of after the stale-claim timeout. Page calls are left to the
   * reconciliation, which knows whether a phone still rings.
   */
  private async releaseForgottenClaims(now: number, transactionally: Transactional): Promise<void> {
    const claimant = this.deps.claimant;
    if (claimant === undefined || claimant === null) return;
    const forgotten = (await this.deps.notifications.claimsOf(claimant)).filter(
      (id) => !this.inFlight.has(id),
    );
    for (const id of forgotten) {
      if (await transactionally((tx) => this.deps.notifications.in(tx).release(id, now)))
        this.deps.logger.warn('a claim this daemon never heard committed goes back to pending', {
          notification: id,
        });
    }
  }

  /**
   * When the next pending notification of a lane with room is due (undefined: none). A full
   * lane's rows are left out: the lane wakes the engine when a send ends (onSettled), and
   * counting them would have the engine look again at once, over and over.
   */
  async nextDue(): Promise<number | undefined> {
    let next: number | undefined;
    for (const lane of await this.deps.notifications.pendingLanes())
      if (this.roomIn(laneOf(lane)) > 0 && (next === undefined || lane.due_at < next)) next = lane.due_at;
    return next;
  }

  /** The page was handled: stop phones that ring about it. */
  abortForPage(pageId: number): void {
    for (const entry of this.inFlight.values()) if (entry.pageId === pageId) entry.abort.abort();
  }

  /** Resolves when every send in flight has finished. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.inFlight.values()].map((e) => e.done));
  }

  private start(row: NotificationRow): void {
    const abort = new AbortController();
    const lane = laneOf(row);
    this.perLane.set(lane, (this.perLane.get(lane) ?? 0) + 1);
    const done = this.send(row, abort.signal)
      .catch((error: Error) =>
        // Most often the daemon stopped mid-send: the row stays 'sending' and is sent again at the next start.
        this.deps.logger.warn('notification attempt not recorded', {
          notification: row.id,
          error: error.message,
        }),
      )
      .finally(() => {
        this.inFlight.delete(row.id);
        const left = (this.perLane.get(lane) ?? 1) - 1;
        if (left > 0) this.perLane.set(lane, left);
        else this.perLane.delete(lane);
        if (!this.stopping) this.deps.onSettled();
      });
    this.inFlight.set(row.id, { pageId: row.page_id, abort, done });
  }

  private async send(row: NotificationRow, signal: AbortSignal): Promise<void> {
    const startedAt = this.deps.clock.now();
    const logger = this.deps.logger.child({
      notification: row.id,
      pageId: row.page_id,
      channel: row.channel,
    });
    // Claimed: from here the row is this daemon's to send, so a database out of reach for a
    // moment delays the send instead of leaving the claim behind unsent.
    const page = (await retryTransient(() => this.deps.pages.get(row.page_id)))!;
    const eventId = row.event_id;
    const event = eventId === null ? undefined : await retryTransient(() => this.deps.pages.event(eventId));
    const notifier = this.deps.notifiers[row.channel];
    let result;
    try {
      result =
        notifier === undefined
          ? { ok: false as const, retry: false, detail: `${row.channel} notifications are not configured` }
          : await notifier.send({ notification: row, page, event, signal });
    } catch (error) {
      result = { ok: false as const, retry: true, detail: `internal error: ${(error as Error).message}` };
    }
    const endedAt = this.deps.clock.now();
    const maxAttempts = this.maxAttempts(row);
    const retry = !result.ok && result.retry && row.attempts < maxAttempts;
    // A locked database must not lose the attempt nor stall the loop: the record is retried
    // with back-off on timers while the lock lasts (the row stays 'sending' meanwhile).
    await retryTransient(() =>
      this.deps.transactional((tx) =>
        this.deps.notifications.in(tx).finish(row.id, {
          startedAt,
          endedAt,
          ok: result.ok,
          detail: result.detail,
          next: result.ok
            ? { status: 'sent' }
            : retry
              ? { status: 'pending', dueAt: endedAt + retryDelayMs(row.attempts, this.deps.retry) }
              : { status: 'failed' },
        }),
      ),
    );
    if (result.ok) logger.info('notification sent', { detail: result.detail });
    else
      logger.warn(retry ? 'notification failed; will retry' : 'notification failed', {
        detail: result.detail,
        attempt: row.attempts,
        of: maxAttempts,
      });
  }

  private maxAttempts(row: NotificationRow): number {
    const notifications = this.deps.config().notifications;
    if (row.channel === 'email') return notifications.email?.maxAttempts ?? 1;
    if (row.channel === 'webhook')
      return notifications.webhooks.find((w) => w.id === row.webhook_id)?.maxAttempts ?? 1;
    return 1;
  }
}
