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

/**
 * One transaction around a turn's writes: a commit per write was most of what a write cost
 * (better-sqlite3, WAL: about 15 µs an update alone, 2 µs in tens), and the most expensive line
 * of the daemon's profile at 1,000 direct calls.
 */
export interface TurnTransaction {
  /** Takes the write lock now (BEGIN IMMEDIATE); throws SQLITE_BUSY while another process holds it. */
  begin(): void;
  commit(): void;
  rollback(): void;
  /** False once an error has rolled the transaction back (a full disk, an I/O error). */
  readonly active: boolean;
}

/** The transaction of a better-sqlite3 connection. */
export function turnTransactionOf(db: {
  prepare(sql: string): { run(): unknown };
  readonly inTransaction: boolean;
}): TurnTransaction {
  const begin = db.prepare('BEGIN IMMEDIATE');
  const commit = db.prepare('COMMIT');
  const rollback = db.prepare('ROLLBACK');
  return {
    begin: () => begin.run(),
    commit: () => commit.run(),
    rollback: () => rollback.run(),
    get active() {
      return db.inTransaction;
    },
  };
}

/**
 * A write to make. `again` is true when it is made a second time, after a rollback took the first
 * with it: what it tells others (observers) has been told already.
 */
export type Write = (again: boolean) => unknown;

export class WriteQueue {
  /** Writes issued during this turn of the event loop, made at its end. */
  private readonly turn: Write[] = [];
  private turnScheduled = false;
  private flushing = false;
  /** Writes that found the database locked, and every write after them, in order. */
  private readonly queued: Write[] = [];
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
    /** Wraps a turn of several writes in one transaction; without it each write commits alone. */
    private readonly transaction?: TurnTransaction,
  ) {}

  /** Writes not made yet: this turn's, and those waiting for the lock to go. */
  get pending(): number {
    return this.turn.length + this.queued.length;
  }

  /**
   * Runs `write` now, after the writes before it: for rows that other tables refer to (a call, a
   * voicemail), which must exist when a page or a leg is written beside them.
   */
  runNow(write: Write): void {
    this.turn.push(write);
    this.flushTurn();
  }

  /** Runs `write` at the end of this turn, after the writes before it. */
  run(write: Write): void {
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
    // The writes made inside the turn's transaction so far, should it be rolled back.
    let batch: Write[] | undefined = this.beginBatch() ? [] : undefined;
    // Writes issued by a write (an observer's) join the end of the list and are made in this loop.
    for (let i = 0; i < this.turn.length; i++) {
      const write = this.turn[i]!;
      if (this.queued.length === 0) {
        try {
          this.wrote(write(false));
          batch?.push(write);
          continue;
        } catch (error) {
          if (!isBusy(error)) {
            this.lost(error as Error);
            if (batch !== undefined && !this.transaction!.active) {
              this.makeAgain(batch);
              batch = undefined;
            }
            continue;
          }
        }
      }
      this.queued.push(write);
      this.schedule();
    }
    this.turn.length = 0;
    if (batch !== undefined) this.commitBatch(batch);
  }

  /** Opens the turn's transaction when there are several writes to make and the lock is free. */
  private beginBatch(): boolean {
    if (this.transaction === undefined || this.turn.length < 2 || this.queued.length > 0) return false;
    if (this.transaction.active) return false; // inside someone else's transaction: theirs holds
    try {
      this.transaction.begin();
      return true;
    } catch {
      // Locked (or failing): each write finds out for itself, and waits in order if locked.
      return false;
    }
  }

  private commitBatch(batch: Write[]): void {
    if (!this.transaction!.active) return;
    try {
      this.transaction!.commit();
    } catch (error) {
      if (this.transaction!.active) this.transaction!.rollback();
      this.onError(error as Error);
      this.makeAgain(batch);
    }
  }

  /**
   * An error that rolls a transaction back (a full disk: SQLITE_FULL) takes the writes before it
   * with it, though each alone may fit: they are made again one by one, told it is a second time.
   */
  private makeAgain(batch: Write[]): void {
    for (const write of batch) {
      try {
        this.wrote(write(true));
      } catch (error) {
        if (isBusy(error)) {
          this.queued.push(write);
          this.schedule();
        } else this.lost(error as Error);
      }
    }
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
        this.wrote(this.queued[0]!(false));
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
