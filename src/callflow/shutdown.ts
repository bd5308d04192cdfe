/**
 * What the call flow does when the daemon stops and the drain time is over (settings.shutdown):
 * the calls still in progress are either left running in Asterisk for the next start to adopt
 * (`leave`), or told and hung up (`hangup`). Either way the flows of those calls must then stop
 * acting: a flow that saw its requests fail once the connection closed would hang up its
 * channels and close its rows, which is exactly what `leave` must not do.
 */
import type { AriPort } from '../ari/types';

/** Never settles: a frozen flow waits here forever instead of acting on a call it no longer owns. */
const NEVER = new Promise<never>(() => undefined);

/**
 * The ARI port the flows use, with a switch: once frozen, every request (new, or one whose answer
 * comes later) goes nowhere and never settles, so a flow stops exactly where it is and neither
 * Asterisk nor the database learns anything from it any more.
 */
export class FreezablePort {
  private frozen = false;
  readonly port: AriPort;

  constructor(inner: AriPort) {
    this.port = this.gated(inner);
  }

  private gated(inner: AriPort): AriPort {
    return new Proxy({} as AriPort, {
      get: (_target, property: string) => {
        // A call's view of the port (its requests in one order) is gated the same way.
        if (property === 'forCall') return (key: string): AriPort => this.gated(inner.forCall(key));
        return (...args: unknown[]): Promise<unknown> => {
          if (this.frozen) return NEVER;
          const method = (inner as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[
            property
          ]!;
          const result = method.apply(inner, args);
          // An answer that arrives after the freeze is not handed to the flow either.
          return result.then(
            (value) => (this.frozen ? NEVER : value),
            (error: unknown) => (this.frozen ? NEVER : Promise.reject(error)),
          );
        };
      },
    });
  }

  get isFrozen(): boolean {
    return this.frozen;
  }

  freeze(): void {
    this.frozen = true;
  }
}

/** Resolves after `ms`; the timer never keeps the process alive by itself. */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** Waits for `work`, at most `ms`; true when it settled in time (a failure ends the wait too: a stop must go on). */
export async function within(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
    timer.unref();
  });
  try {
    return await Promise.race([
      work.then(
        () => true,
        () => true,
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** How the daemon ends the calls still in progress (on_drain_timeout: hangup). */
export const HANGUP_DETAIL =
  'cut short: lcr stopped after its drain time (settings.shutdown.on_drain_timeout)';
/** Longest a caller waits for the goodbye prompt before the line is closed anyway. */
export const GOODBYE_MAX_MS = 8000;
/** Longest the flows get to end their legs, bridges and rows once their caller is hung up. */
export const CLEANUP_MAX_MS = 10_000;
/** Longest a caller turned away while stopping is waited for (the "call again" prompt, then hangup). */
export const TURN_AWAY_MAX_MS = 15_000;
