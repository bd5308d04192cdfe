/**
 * Keeps pages moving: escalates the ones whose deadline passed and sends the notifications that
 * are due, then sleeps until the next deadline. Deadlines live in the database, so the timer is
 * only a wake-up call: after a crash, the next start finds overdue work and does it at once,
 * once. A short poll also picks up changes made by other processes (`lcr pages ack`).
 */
import type { Logger } from '../log/logger';
import type { NotificationStore } from '../store/notifications';
import type { PageStore } from '../store/pages';
import type { NotificationDispatcher } from './dispatcher';
import type { PagingService } from './service';

export interface EngineDependencies {
  service: PagingService;
  dispatcher: NotificationDispatcher;
  pages: PageStore;
  notifications: NotificationStore;
  logger: Logger;
  /** Longest sleep between two looks at the database. */
  pollMs: number;
}

const BATCH = 500;

export class PagingEngine {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private stopped = true;

  constructor(private readonly deps: EngineDependencies) {}

  start(): void {
    this.stopped = false;
    const released = this.deps.notifications.releaseInterrupted(Date.now());
    if (released > 0)
      this.deps.logger.warn('notifications interrupted by the last stop will be sent again', { released });
    this.wake();
  }

  /** Look at the database now (something became due, or a send finished). */
  wake(): void {
    if (this.stopped) return;
    this.schedule(0);
  }

  /** One pass: escalate what is due, send what is due. Returns how many pages moved. */
  tick(now = Date.now()): number {
    let moved = 0;
    for (;;) {
      const batch = this.deps.service.escalateDue(now, BATCH);
      moved += batch;
      if (batch < BATCH) break;
    }
    this.deps.dispatcher.dispatchDue(now);
    return moved;
  }

  private schedule(delayMs: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.run(), Math.max(0, delayMs));
    // The ARI connection and the HTTP listener keep the daemon alive; this timer alone must not.
    this.timer.unref();
  }

  private run(): void {
    this.timer = undefined;
    if (this.stopped || this.running) return;
    this.running = true;
    try {
      const now = Date.now();
      this.tick(now);
      const next = Math.min(
        this.deps.pages.nextDue() ?? Infinity,
        this.deps.dispatcher.busy > 0 ? Infinity : (this.deps.notifications.nextDue() ?? Infinity),
        now + this.deps.pollMs,
      );
      this.schedule(next - Date.now());
    } catch (error) {
      this.deps.logger.error('paging engine pass failed; trying again shortly', {
        error: (error as Error).message,
      });
      this.schedule(this.deps.pollMs);
    } finally {
      this.running = false;
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
