/**
 * Sends what the outbox says is due: claims each row, hands it to its channel, records the
 * attempt, and schedules a retry with exponential backoff when the channel asks for one and
 * attempts remain. Rows being sent when the process dies are released at the next start.
 */
import type { Config } from '../config/model';
import type { Logger } from '../log/logger';
import type { Notifier } from '../notifications/types';
import type { NotificationChannelName, NotificationRow, NotificationStore } from '../store/notifications';
import type { Transaction } from '../store/database';
import type { PageStore } from '../store/pages';
import type { Clock } from '../util/clock';

export interface RetryPolicy {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { baseMs: 30_000, maxMs: 3600_000 };

/** 30 s, 1 min, 2 min, ... capped at an hour (with the default policy). */
export function retryDelayMs(attempt: number, policy: RetryPolicy): number {
  return Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
}

export interface DispatcherDependencies {
  config: () => Config;
  notifications: NotificationStore;
  pages: PageStore;
  notifiers: Partial<Record<NotificationChannelName, Notifier>>;
  logger: Logger;
  retry: RetryPolicy;
  /** Most sends in flight at once (a page call lasts a minute; emails must not wait behind it). */
  concurrency: number;
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

  /** Set when the daemon stops: nothing new starts. */
  stopping = false;

  constructor(private readonly deps: DispatcherDependencies) {}

  get busy(): number {
    return this.inFlight.size;
  }

  /** How many more sends may start now. */
  get room(): number {
    return this.stopping ? 0 : Math.max(0, this.deps.concurrency - this.inFlight.size);
  }

  /**
   * Starts every due notification there is room for; returns how many started. Each claim, and
   * later the record of its attempt, runs in its own transaction given by `tx` (the engine's):
   * a send lasts up to a minute and must not hold a transaction open.
   */
  dispatchDue(now: number, tx: Transaction): number {
    const room = this.room;
    if (room <= 0) return 0;
    let started = 0;
    for (const row of this.deps.notifications.due(now, room)) {
      if (!tx(() => this.deps.notifications.claim(row.id, now))) continue;
      this.start({ ...row, attempts: row.attempts + 1, status: 'sending' }, tx);
      started++;
    }
    return started;
  }

  /** The page was handled: stop phones that ring about it. */
  abortForPage(pageId: number): void {
    for (const entry of this.inFlight.values()) if (entry.pageId === pageId) entry.abort.abort();
  }

  /** Resolves when every send in flight has finished. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.inFlight.values()].map((e) => e.done));
  }

  private start(row: NotificationRow, tx: Transaction): void {
    const abort = new AbortController();
    const done = this.send(row, abort.signal, tx)
      .catch((error: Error) =>
        // Most often the daemon stopped mid-send: the row stays 'sending' and is sent again at the next start.
        this.deps.logger.warn('notification attempt not recorded', {
          notification: row.id,
          error: error.message,
        }),
      )
      .finally(() => {
        this.inFlight.delete(row.id);
        if (!this.stopping) this.deps.onSettled();
      });
    this.inFlight.set(row.id, { pageId: row.page_id, abort, done });
  }

  private async send(row: NotificationRow, signal: AbortSignal, tx: Transaction): Promise<void> {
    const startedAt = this.deps.clock.now();
    const logger = this.deps.logger.child({
      notification: row.id,
      pageId: row.page_id,
      channel: row.channel,
    });
    const page = this.deps.pages.get(row.page_id)!;
    const event = row.event_id === null ? undefined : this.deps.pages.event(row.event_id);
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
    tx(() =>
      this.deps.notifications.finish(row.id, {
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
