/**
 * A clock the test moves by hand: timers fire in order as time passes, and the promise chains
 * they start are let settle before the next one fires, so the engine's asynchronous runs finish
 * without any real waiting.
 */
import type { Clock } from '../../src/util/clock';

interface Timer {
  at: number;
  seq: number;
  fire: () => void;
}

/** Lets every pending promise callback and I/O callback of the moment run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

export class FakeClock implements Clock {
  private timers: Timer[] = [];
  private seq = 0;

  constructor(public time = Date.parse('2026-12-01T09:00:00Z')) {}

  now(): number {
    return this.time;
  }

  setTimer(ms: number, fire: () => void): () => void {
    const timer = { at: this.time + Math.max(0, ms), seq: this.seq++, fire };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }

  /** When the pending timers fire, earliest first. */
  get pending(): number[] {
    return this.timers.map((t) => t.at).sort((a, b) => a - b);
  }

  /** Moves time on by `ms`, firing every timer due on the way, each at its own time. */
  async advance(ms: number): Promise<void> {
    const target = this.time + ms;
    for (;;) {
      await settle();
      const next = [...this.timers].sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (next === undefined || next.at > target) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.time = Math.max(this.time, next.at);
      next.fire();
    }
    this.time = target;
    await settle();
  }

  /** Moves time to `at` (see advance). */
  async advanceTo(at: number): Promise<void> {
    await this.advance(Math.max(0, at - this.time));
  }
}
