/**
 * Time as the engine sees it. Injected so that the engine and the dispatcher can be tested with a
 * fake clock (test/helpers/fakeClock.ts) instead of waiting for real deadlines.
 */
export interface Clock {
  now(): number;
  /** Calls `fire` once after `ms` (at least 0); the returned function cancels it. */
  setTimer(ms: number, fire: () => void): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(ms, fire) {
    const timer = setTimeout(fire, Math.max(0, ms));
    // The ARI connection and the HTTP listener keep the daemon alive; an engine timer alone must not.
    timer.unref();
    return () => clearTimeout(timer);
  },
};
