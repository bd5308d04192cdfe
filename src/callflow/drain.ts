/**
 * The call flow's part of a stop (SIGTERM): no new calls, calls in progress may finish within the
 * drain time, callers arriving meanwhile are turned away, and once the drain time is over the
 * calls still in progress are left to the next start or ended (settings.shutdown.on_drain_timeout).
 */
import type { Logger } from '../log/logger';
import type { CallRouter } from './router';
import type { CallSession } from './session';
import { HANGUP_DETAIL, TURN_AWAY_MAX_MS, within } from './shutdown';

export interface DrainOptions {
  drainMs: number;
  onDrainTimeout: 'leave' | 'hangup';
  /** What a caller hears when the daemon ends the call (hangup). */
  goodbye: (caller: CallSession) => Promise<unknown>;
  logger: Logger;
}

/** How many calls were left running in Asterisk for the next start to adopt. */
export async function drainCalls(
  /** One per Asterisk the daemon is connected to (and per application it took over). */
  routers: readonly CallRouter[],
  /** Other work the drain lets finish (notifications being sent). */
  others: () => Promise<unknown>,
  options: DrainOptions,
): Promise<{ left: number }> {
  const { logger } = options;
  for (const router of routers) router.accepting = false;
  const sum = (count: (router: CallRouter) => number): number =>
    routers.reduce((total, router) => total + count(router), 0);
  // Nothing in progress: no wait at all (the drain timer would hold the stop, or a test's process).
  if (options.drainMs > 0)
    await within(Promise.all([...routers.map((router) => router.drain()), others()]), options.drainMs);
  if (sum((router) => router.channelsFollowed) > 0 && options.onDrainTimeout === 'hangup') {
    logger.warn('drain time over: ending the calls still in progress', {
      calls: sum((router) => router.callsInProgress),
      channels: sum((router) => router.channelsFollowed),
      onDrainTimeout: 'hangup',
    });
    await Promise.all(routers.map((router) => router.endCallsInProgress(options.goodbye, HANGUP_DETAIL)));
  }
  // A caller turned away while stopping hears the whole "call again" prompt and is hung up before
  // the daemon lets go of Asterisk, even with no drain time.
  await within(Promise.all(routers.map((router) => router.turnedAway())), TURN_AWAY_MAX_MS);
  const left = sum((router) => router.callsInProgress);
  if (left > 0) {
    logger.warn('drain time over: calls still in progress stay up in Asterisk for the next start to adopt', {
      calls: left,
      onDrainTimeout: 'leave',
    });
  }
  for (const router of routers) router.freeze();
  return { left };
}
