/**
 * Ring a phone: originate it into the Stasis application on the session's channel id and wait
 * until it is picked up (StasisStart) or ends without being answered. The caller of this verb
 * tracks the session beforehand, so that no event of the new channel is missed, and may hang it
 * up at any time to stop the ringing.
 */
import { AriRequestError, type OriginateRequest } from '../../ari/types';
import type { LegResult } from '../../store/calls';
import type { CallSession, SessionEvent } from '../session';

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

export function dial(
  session: CallSession,
  request: Omit<OriginateRequest, 'channelId'>,
  onDialStatus?: (dialstatus: string) => void,
): Dialing {
  let dialstatus: string | undefined;
  const unsubscribe = session.subscribe((event) => {
    if (event.type === 'Dial' && event.dialstatus !== '') {
      dialstatus = event.dialstatus;
      onDialStatus?.(event.dialstatus);
    }
  });
  const answered = session.waitFor((e) => e.type === 'StasisStart', (request.timeout + 15) * 1000, true);
  const destroyed = session.waitFor(
    (e) => e.type === 'ChannelDestroyed',
    (request.timeout + 3600) * 1000,
    true,
  );
  const result = (async (): Promise<DialResult> => {
    try {
      await session.ari.originate({ ...request, channelId: session.channelId });
    } catch (error) {
      session.close();
      const status = error instanceof AriRequestError ? error.status : undefined;
      return {
        kind: 'refused',
        reason: `Asterisk refused the call${status ? ` (${status})` : ''}: ${(error as Error).message}`,
      };
    }
    const first = await Promise.race([answered, destroyed]);
    if (first !== undefined && first.type === 'StasisStart') return { kind: 'answered' };
    const causeOf = (event: SessionEvent | undefined): number | undefined =>
      event?.type === 'ChannelDestroyed' ? event.cause : undefined;
    const cause = causeOf(first) ?? causeOf(await destroyed);
    return {
      kind: 'unanswered',
      ...(cause === undefined ? {} : { cause }),
      ...(dialstatus === undefined ? {} : { dialstatus }),
    };
  })().finally(unsubscribe);
  return { result, destroyed };
}
