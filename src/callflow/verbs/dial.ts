/**
 * Ring a phone: originate it into the Stasis application on the session's channel id and wait
 * until it is picked up (StasisStart) or ends without being answered. The caller of this verb
 * tracks the session beforehand, so that no event of the new channel is missed. Aborting
 * `signal` while it rings hangs it up (the result is then `unanswered`); once picked up, the
 * conversation is the caller's to end.
 */
import { AriRequestError, type OriginateRequest } from '../../ari/types';
import type { LegResult } from '../../store/calls';
import type { CallSession, SessionEvent } from '../session';
import { whenAborted } from './abort';
import { hangup } from './hangup';

/** How a phone that never answered ended (a responder leg, a page call), from its hangup cause and the Dial event's status. */
export function classifyUnanswered(
  cause: number | undefined,
  dialstatus: string | undefined,
): { result: LegResult; reason: string } {
  if (cause === 17 || dialstatus === 'BUSY') return { result: 'busy', reason: 'busy' };
  if (cause === 21) return { result: 'declined', reason: 'rejected by the network' };
  if (cause === 34 || dialstatus === 'CONGESTION') return { result: 'failed', reason: 'congestion' };
  if (cause === 19 || cause === 18 || dialstatus === 'NOANSWER')
    return { result: 'no-answer', reason: 'no answer' };
  return { result: 'failed', reason: `hangup cause ${cause ?? 'unknown'}` };
}

export type DialResult =
  | { kind: 'answered' }
  /** Rang and ended unanswered: the hangup cause and Dial status say why. */
  | { kind: 'unanswered'; cause?: number; dialstatus?: string }
  /** Asterisk refused to place the call (unknown endpoint, not registered, ...). */
  | { kind: 'refused'; reason: string };

export interface Dialing {
  /** Resolves when the phone is picked up or the attempt is over. */
  result: Promise<DialResult>;
  /** Resolves when the channel is destroyed (after the whole conversation, if answered). */
  destroyed: Promise<unknown>;
}

export interface DialOptions {
  signal?: AbortSignal;
  /** Told each Dial status as it comes (the leg row keeps the last); its errors fail the dial. */
  onDialStatus?: (dialstatus: string) => void;
}

export function dial(
  session: CallSession,
  request: Omit<OriginateRequest, 'channelId'>,
  options: DialOptions = {},
): Dialing {
  let dialstatus: string | undefined;
  let pickedUp = false;
  // An error of the status listener happens inside event delivery: kept, and thrown by `result`.
  let listenerError: unknown;
  const unsubscribe = session.subscribe((event) => {
    if (event.type === 'StasisStart') pickedUp = true;
    if (event.type === 'Dial' && event.dialstatus !== '') {
      dialstatus = event.dialstatus;
      try {
        options.onDialStatus?.(event.dialstatus);
      } catch (error) {
        listenerError ??= error;
      }
    }
  });
  const answered = session.waitFor((e) => e.type === 'StasisStart', (request.timeout + 15) * 1000, {
    outlivesHangup: true,
  });
  const destroyed = session.waitFor((e) => e.type === 'ChannelDestroyed', (request.timeout + 3600) * 1000, {
    outlivesHangup: true,
  });
  const stop = whenAborted(options.signal);
  let originated = false;
  // Stop ringing; a phone already picked up is left to whoever follows the conversation.
  const stopRinging = (): Promise<void> => (pickedUp ? Promise.resolve() : hangup(session));
  const stopped = stop.aborted.then(() => (originated ? stopRinging() : undefined));
  const result = (async (): Promise<DialResult> => {
    try {
      await session.ari.originate({ ...request, channelId: session.channelId });
      originated = true;
      // Stopped while the originate was on its way: the hangup could not find the channel yet.
      if (options.signal?.aborted) await stopRinging();
    } catch (error) {
      session.close();
      const status = error instanceof AriRequestError ? error.status : undefined;
      return {
        kind: 'refused',
        reason: `Asterisk refused the call${status ? ` (${status})` : ''}: ${(error as Error).message}`,
      };
    }
    const first = await Promise.race([answered, destroyed]);
    if (listenerError !== undefined) throw listenerError as Error;
    if (first !== undefined && first.type === 'StasisStart') return { kind: 'answered' };
    const causeOf = (event: SessionEvent | undefined): number | undefined =>
      event?.type === 'ChannelDestroyed' ? event.cause : undefined;
    const cause = causeOf(first) ?? causeOf(await destroyed);
    if (listenerError !== undefined) throw listenerError as Error;
    return {
      kind: 'unanswered',
      ...(cause === undefined ? {} : { cause }),
      ...(dialstatus === undefined ? {} : { dialstatus }),
    };
  })().finally(async () => {
    unsubscribe();
    stop.off();
    // A hangup asked for by the signal is over before the result is: nothing is left ringing.
    if (options.signal?.aborted) await stopped;
  });
  return { result, destroyed };
}
