/**
 * Write-behind for writes that no caller waits for (the call log a call writes as it goes). A
 * write is made at the end of the current turn of the event loop (setImmediate), in order with
 * the others: what a reaction asks of Asterisk (a prompt, a bridge join) leaves first, and the
 * rows follow within the same turn. A read of these rows first writes what is pending
 * (flushTurn), so a reader always sees its own writes; rows that other tables refer to are
 * written at once (runNow). When a write finds the database locked
 * (another process holds a write transaction), it and every later write are kept in order and
 * tried again on timers with back-off, so that the call goes on and the event loop never waits
 * for the lock (issue 17). Any other error (a full disk, a broken file) is given to `onError`
 * and the write is lost: the call it belongs to is served anyway, since routing needs the
 * configuration, not the store; `failing` tells the flow that the store takes no writes now.
 */
import { busyBackoffMs, isBusy } from './database';

export class WriteQueue {
  /** Writes issued during this turn of the event loop, made at its end. */
  private readonly turn: Array<() => unknown> = [];
  private turnScheduled = false;
  private flushing = false;
  /** Writes that found the database locked, and every write after them, in order. */
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

  /** Writes not made yet: this turn's, and those waiting for the lock to go. */
  get pending(): number {
    return this.turn.length + this.queued.length;
  }

  /**
   * Runs `write` now, after the writes before it: for rows that other tables refer to (a call, a
   * voicemail), which must exist when a page or a leg is written beside them.
   */
  runNow(write: () => unknown): void {
    this.turn.push(write);
    this.flushTurn();
  }

  /** Runs `write` at the end of this turn, after the writes before it. */
  run(write: () => unknown): void {
    this.turn.push(write);
    if (this.turnScheduled) return;
    this.turnScheduled = true;
    setImmediate(() => {
      this.turnScheduled = false;
      this.flushTurn();
    });
  }

  /**
   * Makes this turn's writes now (a read must see them): each at once, or after the writes
   * before it once the database takes writes again.
   */
  flushTurn(): void {
    // A read inside a write (an observer's) sees the rows as of that write; the writes it issues
    // follow the others of the turn, in order.
    if (this.flushing) return;
    this.flushing = true;
    try {
      this.makeTurn();
    } finally {
      this.flushing = false;
    }
  }

  private makeTurn(): void {
    // Writes issued by a write (an observer's) join the end of the list and are made in this loop.
    for (let i = 0; i < this.turn.length; i++) {
      const write = this.turn[i]!;
      if (this.queued.length === 0) {
        try {
          this.wrote(write());
          continue;
        } catch (error) {
          if (!isBusy(error)) {
            this.lost(error as Error);
            continue;
          }
        }
      }
      this.queued.push(write);
      this.schedule();
    }
    this.turn.length = 0;
  }

  /** Resolves when every write issued so far has been written (or given up as failed). */
  flushed(): Promise<void> {
    this.flushTurn();
    if (this.queued.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Tries every write once more now, synchronously (at stop, before the database closes). */
  drainNow(): void {
    this.flushTurn();
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
