/**
 * The engine: a list of small modules (GoAlert's processinglock.Updatable), each doing one kind
 * of due work in idempotent steps (escalate due pages, send due notifications, retry voicemail
 * copies, prune used link tokens) or, once at start, recovering what the last process left
 * (interrupted notifications and calls). The state lives in the database, so a timer is only a
 * wake-up call: after a crash, the next start finds overdue work and does it at once, once.
 *
 * One loop runs them with an injected clock. Each module has its own schedule and runs apart
 * from the others, so a slow one (a voicemail copy waiting on Asterisk) never delays an
 * escalation; a module is never run twice at once. Modules write only through the transaction
 * they are handed, so a lease with a fencing token can later wrap each module (run by one daemon
 * of several) and check the token inside the transaction that changes a page.
 */
import type { Logger } from '../log/logger';
import { isTransient } from '../store/sql/driver';
import type { Transactional } from './service';
import type { Clock } from '../util/clock';

/** How soon a module that found the database locked runs again. */
const BUSY_RETRY_MS = 200;

/** What a module knows after a run. */
export interface ModuleRun {
  /** When it next has work it knows of (undefined: none; it waits for a wake-up or its poll). */
  next?: number;
}

export interface EngineModule {
  readonly name: string;
  /** Runs once when the engine starts, before the others, and never again: recovery from the last process. */
  readonly atStartOnly?: boolean;
  /**
   * Longest wait between two runs when it knows of no work, which picks up changes made by other
   * processes (`lcr pages ack`). Default: the engine's poll; Infinity: only when woken.
   */
  readonly pollMs?: number;
  /**
   * Does what is due at `now` (the engine clock's time). Every write goes through `tx`: a lease
   * wrapper (`leased(module, lease)`, for several daemons) will hand one that checks its fencing
   * token first, in the same transaction. Safe to repeat: a run cut short is simply done again.
   */
  runOnce(now: number, tx: Transactional): Promise<ModuleRun>;
}

export interface EngineDependencies {
  modules: readonly EngineModule[];
  clock: Clock;
  /** The transaction the modules write in. */
  tx: Transactional;
  logger: Logger;
  /** Default longest sleep of a module between two looks at the database. */
  pollMs: number;
}

interface Slot {
  module: EngineModule;
  dueAt: number;
  running: Promise<void> | undefined;
  /** Woken while running: run again as soon as this run ends. */
  again: boolean;
  /** Its last run found the database locked or out of reach (told once, not at every retry). */
  waiting: boolean;
}

export class PagingEngine {
  private readonly slots: Slot[];
  private cancelTimer: (() => void) | undefined;
  private timerAt = Infinity;
  private stopped = true;

  constructor(private readonly deps: EngineDependencies) {
    const names = new Set(deps.modules.map((m) => m.name));
    if (names.size !== deps.modules.length) throw new Error('engine modules need distinct names');
    this.slots = deps.modules.map((module) => ({
      module,
      dueAt: Infinity,
      running: undefined,
      again: false,
      waiting: false,
    }));
  }

  /** Runs the start-only modules in order, then schedules every other one at once. */
  async start(): Promise<void> {
    this.stopped = false;
    for (const slot of this.slots.filter((s) => s.module.atStartOnly === true)) {
      slot.running = this.run(slot);
      await slot.running;
      slot.running = undefined;
    }
    if (this.stopped) return;
    this.wake();
  }

  /** Runs the named modules (every periodic one, when none is named) as soon as possible. */
  wake(...names: string[]): void {
    if (this.stopped) return;
    const now = this.deps.clock.now();
    for (const slot of this.periodic()) {
      if (names.length > 0 && !names.includes(slot.module.name)) continue;
      if (slot.running !== undefined) slot.again = true;
      else slot.dueAt = Math.min(slot.dueAt, now);
    }
    this.schedule();
  }

  /** When each periodic module runs next (Infinity: when woken); for tests and diagnostics. */
  dueTimes(): Record<string, number> {
    return Object.fromEntries(this.periodic().map((s) => [s.module.name, s.dueAt]));
  }

  /** Resolves once no module is running. */
  async idle(): Promise<void> {
    for (;;) {
      const running = this.slots.flatMap((s) => (s.running === undefined ? [] : [s.running]));
      if (running.length === 0) return;
      await Promise.allSettled(running);
    }
  }

  /** Nothing new starts; resolves when the runs in progress have ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.timerAt = Infinity;
    await this.idle();
  }

  private periodic(): Slot[] {
    return this.slots.filter((s) => s.module.atStartOnly !== true);
  }

  /** One timer, for the earliest idle module; replaced whenever that changes. */
  private schedule(): void {
    if (this.stopped) return;
    const next = Math.min(...this.periodic().map((s) => (s.running === undefined ? s.dueAt : Infinity)));
    if (next === this.timerAt && this.cancelTimer !== undefined) return;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.timerAt = next;
    if (next === Infinity) return;
    this.cancelTimer = this.deps.clock.setTimer(next - this.deps.clock.now(), () => this.fire());
  }

  private fire(): void {
    this.cancelTimer = undefined;
    this.timerAt = Infinity;
    if (this.stopped) return;
    const now = this.deps.clock.now();
    for (const slot of this.periodic()) {
      if (slot.running !== undefined || slot.dueAt > now) continue;
      slot.running = this.run(slot).finally(() => {
        slot.running = undefined;
        if (slot.again) {
          slot.again = false;
          slot.dueAt = this.deps.clock.now();
        }
        this.schedule();
      });
    }
    this.schedule();
  }

  /** One run of one module; a failure is logged and the module tried again after the poll. */
  private async run(slot: Slot): Promise<void> {
    const { module } = slot;
    slot.dueAt = Infinity;
    try {
      const result = await module.runOnce(this.deps.clock.now(), this.deps.tx);
      if (slot.waiting)
        this.deps.logger.info('the database takes work again; engine module goes on', {
          module: module.name,
        });
      slot.waiting = false;
      const poll = module.pollMs ?? this.deps.pollMs;
      slot.dueAt = Math.min(result.next ?? Infinity, this.deps.clock.now() + poll);
    } catch (error) {
      if (isTransient(error)) {
        // Another process holds the database's write lock (a backup), or the database is out of
        // reach for now: not a fault of the module. It is looked at again soon, so that work due
        // meanwhile starts once the database is back.
        // Once per outage: the module looks again every fraction of a second.
        if (!slot.waiting)
          this.deps.logger.warn('database locked or unreachable; engine module waits', {
            module: module.name,
          });
        slot.waiting = true;
        slot.dueAt = this.deps.clock.now() + Math.min(this.deps.pollMs, BUSY_RETRY_MS);
        return;
      }
      this.deps.logger.error('engine module failed; trying again shortly', {
        module: module.name,
        error: (error as Error).message,
      });
      slot.dueAt = this.deps.clock.now() + this.deps.pollMs;
    }
  }
}
