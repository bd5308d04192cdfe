/**
 * Write-behind for writes that no caller waits for (the call log a call writes as it goes): a
 * write runs at once when nothing is queued, as before; when it finds the database locked
 * (another process holds a write transaction), it and every later write are kept in order and
 * tried again on timers with back-off, so that the call goes on and the event loop never waits
 * for the lock (issue 17). Any other error (a full disk, a broken file) is given to `onError`
 * and the write is lost: the call it belongs to is served anyway, since routing needs the
 * configuration, not the store; `failing` tells the flow that the store takes no writes now.
 */
import { busyBackoffMs, isBusy } from './database';

export class WriteQueue {
  private readonly queued: Array<() => unknown> = [];
  private timer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private waiters: Array<() => void> = [];

  /** Writes lost to errors other than a lock, since start. */
  failures = 0;
  /** The last write failed with an error other than a lock (cleared by the next that works). */
  failing = false;

  constructor(
    private readonly onError: (error: Error) => void,
    /** Told when a write works again after writes were lost. */
    private readonly onRecovered: () => void = () => undefined,
  ) {}

  /** Writes waiting for the lock to go. */
  get pending(): number {
    return this.queued.length;
  }

  /** Runs `write` now, or after the writes before it once the database takes writes again. */
  run(write: () => unknown): void {
    if (this.queued.length === 0) {
      try {
        this.wrote(write());
        return;
      } catch (error) {
        if (!isBusy(error)) return this.lost(error as Error);
      }
    }
    this.queued.push(write);
    this.schedule();
  }

  /** Resolves when every queued write has been written (or given up as failed). */
  flushed(): Promise<void> {
    if (this.queued.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Tries the queued writes once more now, synchronously (at stop, before the database closes). */
  drainNow(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.drain();
  }

  private schedule(): void {
    if (this.timer !== undefined || this.queued.length === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.drain();
    }, busyBackoffMs(this.attempt++));
  }

  private drain(): void {
    while (this.queued.length > 0) {
      try {
        this.wrote(this.queued[0]!());
      } catch (error) {
        if (isBusy(error)) return this.schedule();
        this.lost(error as Error);
      }
      this.queued.shift();
    }
    this.attempt = 0;
    for (const resolve of this.waiters.splice(0)) resolve();
  }

  /**
   * Only a write that stored something shows the store takes writes again: an update of no row
   * needs no room and succeeds on a full disk too.
   */
  private wrote(result: unknown): void {
    const changes = (result as { changes?: number } | undefined)?.changes;
    if (changes === 0) return;
    if (this.failing) {
      this.failing = false;
      this.onRecovered();
    }
  }

  private lost(error: Error): void {
    this.failures++;
    this.failing = true;
    this.onError(error);
  }
}
