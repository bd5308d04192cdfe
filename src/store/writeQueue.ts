/**
 * Write-behind for writes that no caller waits for (the call log a call writes as it goes). A
 * write is made at the end of the current turn of the event loop (setImmediate), in order with
 * the others: what a reaction asks of Asterisk (a prompt, a bridge join) leaves first, and the
 * rows follow. The writes of one turn share one transaction (a commit per write was the most
 * expensive line of the daemon's profile at 1,000 direct calls). Rows that other rows refer to
 * are written at once (runNow); a read of these rows first waits for the writes under way
 * (settled), so a reader sees its own writes.
 *
 * When the database refuses writes for now (another process holds SQLite's write lock, the
 * PostgreSQL connection is lost), the writes wait in order and are tried again on timers with
 * back-off, so the call goes on and the event loop never waits (issue 17). Any other error (a
 * full disk, a broken reference) costs only the write that meets it: it is given to `onError`
 * and lost, and the call it belongs to is served anyway, since routing needs the configuration,
 * not the store; `failing` tells the flow that the store takes no writes now.
 *
 * On SQLite, whose driver runs each statement when it is asked, a turn's writes still land
 * within that turn, and a lone write outside a transaction lands at once.
 */
import { isTransient, transientBackoffMs, type SqlDatabase, type SqlSession } from './sql/driver';

/**
 * A write to make, in `tx`. `again` is true when it is made a second time, after a rollback took
 * the first with it: what it tells others (observers) has been told already.
 */
export type Write = (tx: SqlSession, again: boolean) => Promise<unknown>;

interface Entry {
  write: Write;
  /** It ran to the end once (its observers were told), whatever became of its transaction. */
  told: boolean;
}

/** The error of one write, to tell apart from the error of the transaction around several. */
class WriteFailed extends Error {
  constructor(
    readonly index: number,
    override readonly cause: unknown,
  ) {
    super('write failed');
  }
}

export class WriteQueue {
  /** Writes not made yet, in order. */
  private readonly queue: Entry[] = [];
  private turnScheduled = false;
  /** How many of the first writes of `queue` are due now (a runNow, the turn's end, a read); the rest wait for the end of the turn. */
  private due = 0;
  /** The flush under way, if any: one at a time, so writes keep their order. */
  private flushing: Promise<void> | undefined;
  /** Set while the database refuses writes: the next try waits for it. */
  private timer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private inFlight = 0;
  private waiters: Array<() => void> = [];

  /** Writes lost to errors other than a refusal for now, since start. */
  failures = 0;
  /** The last write failed with such an error (cleared by the next that stores something). */
  failing = false;

  constructor(
    private readonly sql: SqlDatabase,
    private readonly onError: (error: Error) => void,
    /** Told when a write works again after writes were lost. */
    private readonly onRecovered: () => void = () => undefined,
  ) {}

  /** Writes not made yet: this turn's, those under way, and those waiting for the database. */
  get pending(): number {
    return this.queue.length + this.inFlight;
  }

  /**
   * Runs `write` now, after the writes before it: for rows that other tables refer to (a call, a
   * voicemail), which must exist when a page or a leg is written beside them.
   */
  runNow(write: Write): void {
    this.queue.push({ write, told: false });
    this.due = this.queue.length;
    this.kick();
  }

  /** Runs `write` at the end of this turn, after the writes before it. */
  run(write: Write): void {
    this.queue.push({ write, told: false });
    if (this.turnScheduled) return;
    this.turnScheduled = true;
    setImmediate(() => {
      this.turnScheduled = false;
      this.due = this.queue.length;
      this.kick();
    });
  }

  /**
   * Resolves once the writes issued so far have been tried (a read must see them): at once when
   * the database refuses writes for now, since those wait for it and the read must not.
   */
  async settled(): Promise<void> {
    this.due = this.queue.length;
    this.kick();
    while (this.flushing !== undefined) await this.flushing;
  }

  /** Resolves when every write issued so far has been written (or given up as failed). */
  flushed(): Promise<void> {
    this.due = this.queue.length;
    this.kick();
    if (this.pending === 0 && this.flushing === undefined) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Tries every write once more now, whatever the back-off (at stop, before the database closes). */
  async drainNow(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.settled();
    if (this.queue.length === 0) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.settled();
  }

  private kick(): void {
    if (this.flushing !== undefined || this.timer !== undefined) return;
    if (this.due === 0) return this.wakeWaiters();
    this.flushing = this.flush().finally(() => {
      this.flushing = undefined;
      // Writes issued while this flush ran (an observer's, the next turn's) follow at once.
      if (this.timer === undefined && this.due > 0) this.kick();
      else this.wakeWaiters();
    });
  }

  private wakeWaiters(): void {
    if (this.pending > 0 || this.flushing !== undefined) return;
    for (const resolve of this.waiters.splice(0)) resolve();
  }

  private async flush(): Promise<void> {
    const batch = this.queue.splice(0, this.due);
    this.due = 0;
    this.inFlight = batch.length;
    try {
      if (batch.length === 1) await this.alone(batch[0]!, 0, batch);
      else await this.together(batch);
    } finally {
      this.inFlight = 0;
    }
  }

  /** Several writes in one transaction; should it be lost, each is made again on its own. */
  private async together(batch: Entry[]): Promise<void> {
    const lostAlone = new Set<number>();
    try {
      await this.sql.transaction(async (tx) => {
        for (let i = 0; i < batch.length; i++) {
          try {
            this.wrote(await batch[i]!.write(tx, batch[i]!.told));
            batch[i]!.told = true;
          } catch (error) {
            // SQLite undoes only the statement that failed (a broken reference): the write is
            // lost alone and the turn goes on. Otherwise the transaction is gone.
            if (!tx.stillOpen() || isTransient(error)) throw new WriteFailed(i, error);
            lostAlone.add(i);
            this.lost(error as Error);
          }
        }
      });
    } catch (error) {
      const cause = error instanceof WriteFailed ? error.cause : error;
      if (isTransient(cause)) return this.waitForDatabase(batch);
      this.onError(cause as Error);
      // A full disk (SQLITE_FULL) rolls the whole transaction back, though each write alone
      // may fit: every write is made again on its own, those already made told it is again.
      for (let i = 0; i < batch.length; i++) {
        if (lostAlone.has(i)) continue;
        if (!(await this.alone(batch[i]!, i, batch))) return;
      }
    }
  }

  /** One write in its own transaction; false when the database refuses it for now (it and the rest wait). */
  private async alone(entry: Entry, index: number, batch: Entry[]): Promise<boolean> {
    try {
      this.wrote(await entry.write(this.sql, entry.told));
      entry.told = true;
      return true;
    } catch (error) {
      if (isTransient(error)) {
        this.waitForDatabase(batch.slice(index));
        return false;
      }
      this.lost(error as Error);
      return true;
    }
  }

  /** The database refuses writes for now: `entries` go back to the front, tried again after a back-off. */
  private waitForDatabase(entries: Entry[]): void {
    this.queue.unshift(...entries);
    this.due += entries.length;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.kick();
    }, transientBackoffMs(this.attempt++));
  }

  /**
   * Only a write that stored something shows the store takes writes again: an update of no row
   * needs no room and succeeds on a full disk too.
   */
  private wrote(result: unknown): void {
    this.attempt = 0;
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
