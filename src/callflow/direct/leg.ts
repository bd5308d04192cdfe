/**
 * One responder leg: originate the responder's phone into the Stasis application, follow it
 * while it rings, and when it answers ask "press 1 to accept, 2 to decline". The outcome is what
 * the leg row records. Winning is decided by the call's Contest, so that two responders pressing
 * 1 within milliseconds can never both be connected.
 */
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import type { LegResult } from '../../store/calls';
import type { FlowContext } from '../context';
import { responderLeg } from '../marks';
import { ChannelGone, CallSession } from '../session';
import { classifyUnanswered, dial } from '../verbs/dial';
import { hangup } from '../verbs/hangup';
import { play } from '../verbs/play';
import type { RenderedPrompt } from '../prompts';
import type { DialTarget } from './plan';

/**
 * The race between a call's legs: the first to claim wins; the caller leaving, or a leg failing
 * in a way the call cannot survive, ends it for all.
 */
export class Contest extends EventEmitter {
  winner: string | undefined;
  callerGone = false;
  failed = false;

  get decided(): boolean {
    return this.winner !== undefined || this.callerGone || this.failed;
  }

  /** Why a leg that lost the race is cancelled. */
  get lostBecause(): string {
    return this.callerGone ? 'caller left' : this.failed ? 'the call failed' : 'answered elsewhere';
  }

  fail(): void {
    if (this.decided) return;
    this.failed = true;
    this.emit('decided');
  }

  claim(legId: string): boolean {
    if (this.decided) return false;
    this.winner = legId;
    this.emit('decided');
    return true;
  }

  callerLeft(): void {
    if (this.callerGone) return;
    this.callerGone = true;
    this.emit('decided');
  }
}

export interface LegOutcome {
  legId: string;
  result: LegResult;
  reason?: string;
  cause?: number;
  /** The responder's channel, alive, when the result is `accepted`. */
  session?: CallSession;
  responderId: string;
}

export interface LegSetup {
  ctx: FlowContext;
  caller: CallSession;
  callId: string;
  contest: Contest;
  level: number;
  round: number;
  ringTimeoutSeconds: number;
  callerId: string;
  confirm: RenderedPrompt;
  /** What an answered responder hears when the call is no longer theirs to take. */
  farewells: Record<'alreadyAnswered' | 'callerHungUp', RenderedPrompt>;
  confirmTimeoutSeconds: number;
}

export async function runLeg(
  setup: LegSetup,
  target: DialTarget & { dialString: string },
): Promise<LegOutcome> {
  const { ctx, contest } = setup;
  const legId = randomUUID();
  const channelId = responderLeg.channelId(legId);
  const logger = ctx.logger.child({ leg: legId, responder: target.responderId });
  const base = { legId, responderId: target.responderId };
  ctx.calls.insertLeg({
    id: legId,
    call_id: setup.callId,
    responder_id: target.responderId,
    phone: target.dialString,
    level: setup.level,
    round: setup.round,
    channel_id: channelId,
    result: 'ringing',
    reason: null,
    started_at: ctx.now(),
    ended_at: null,
  });
  const finish = (outcome: Omit<LegOutcome, 'legId' | 'responderId'>): LegOutcome => {
    ctx.calls.updateLeg(legId, {
      result: outcome.result,
      reason: outcome.reason ?? null,
      ...(outcome.cause === undefined ? {} : { hangup_cause: outcome.cause }),
      ...(outcome.result === 'accepted' ? {} : { ended_at: ctx.now() }),
    });
    logger.info('responder leg ended', { result: outcome.result, reason: outcome.reason ?? null });
    return { ...base, ...outcome };
  };
  if (contest.decided) return finish({ result: 'cancelled', reason: contest.lostBecause });

  const session = new CallSession(channelId, setup.caller.ari, logger);
  ctx.legs.track(session);
  let pickedUp = false;
  const unsubscribe = session.subscribe((event) => {
    if (event.type === 'StasisStart') pickedUp = true;
  });
  // Someone else won, or the caller left, while this phone rings: stop it ringing.
  // (A phone already picked up is told why instead, by the confirmation step.)
  const onDecided = (): void => {
    if (!pickedUp) void hangup(session);
  };
  contest.once('decided', onDecided);
  const dialing = dial(
    session,
    {
      endpoint: target.dialString,
      app: ctx.config.asterisk.app,
      appArgs: responderLeg.appArgs(setup.caller.channelId, legId),
      callerId: setup.callerId,
      timeout: setup.ringTimeoutSeconds,
      originator: setup.caller.channelId,
    },
    (dialstatus) => ctx.calls.updateLeg(legId, { dial_status: dialstatus }),
  );
  try {
    const dialed = await dialing.result;
    if (dialed.kind === 'refused') {
      ctx.legs.untrack(channelId);
      return finish({ result: 'failed', reason: dialed.reason });
    }
    if (dialed.kind === 'unanswered') {
      const cause = dialed.cause === undefined ? {} : { cause: dialed.cause };
      if (contest.decided) return finish({ result: 'cancelled', reason: contest.lostBecause, ...cause });
      return finish({ ...classifyUnanswered(dialed.cause, dialed.dialstatus), ...cause });
    }
    contest.off('decided', onDecided);
    ctx.calls.updateLeg(legId, { result: 'answered', answered_at: ctx.now() });
    return await confirm(setup, session, finish, logger);
  } catch (error) {
    // A failure of the daemon's own (a database write, a bug): the phone is not left up, the row
    // says so if it still can, and the error goes on to the call, which ends as an error.
    await hangup(session);
    try {
      ctx.calls.updateLeg(legId, {
        result: 'failed',
        reason: `internal error: ${(error as Error).message}`,
        ended_at: ctx.now(),
      });
    } catch (again) {
      logger.error('could not record the failed leg', { error: (again as Error).message });
    }
    throw error;
  } finally {
    contest.off('decided', onDecided);
    unsubscribe();
    void dialing.destroyed.then(() => ctx.legs.untrack(channelId));
  }
}

type Finish = (outcome: Omit<LegOutcome, 'legId' | 'responderId'>) => LegOutcome;

/** The responder answered: "press 1 to accept, 2 to decline", until the confirmation timeout. */
async function confirm(
  setup: LegSetup,
  session: CallSession,
  finish: Finish,
  logger: CallSession['logger'],
): Promise<LegOutcome> {
  const { ctx, contest } = setup;
  const tellAndHangUp = async (slot: 'alreadyAnswered' | 'callerHungUp'): Promise<void> => {
    await play(session, setup.farewells[slot]).catch(() => undefined);
    await hangup(session);
  };
  // A call that failed has nothing true to tell the responder: the phone is just hung up.
  const farewellFor = async (decided: Contest): Promise<void> =>
    decided.failed ? hangup(session) : tellAndHangUp(decided.callerGone ? 'callerHungUp' : 'alreadyAnswered');
  if (contest.decided) {
    await farewellFor(contest);
    return finish({ result: 'cancelled', reason: contest.lostBecause });
  }
  // While the prompt plays or we wait for a key, the contest may be decided elsewhere.
  const interrupted = new Promise<'decided'>((resolve) => contest.once('decided', () => resolve('decided')));
  const deadline = ctx.now() + setup.confirmTimeoutSeconds * 1000;
  try {
    await Promise.race([
      play(session, setup.confirm, { bargeIn: true, returnBeforeStopped: true }),
      interrupted,
    ]);
    for (;;) {
      if (contest.decided) {
        await farewellFor(contest);
        return finish({ result: 'cancelled', reason: contest.lostBecause });
      }
      let digit = session.takeDigit();
      if (digit === undefined) {
        const remaining = deadline - ctx.now();
        if (remaining <= 0) break;
        const got = await Promise.race([
          session.waitFor((e) => e.type === 'ChannelDtmfReceived', remaining),
          interrupted,
        ]);
        if (got === 'decided') continue;
        digit = session.takeDigit();
        if (digit === undefined) break;
      }
      if (digit === '1') {
        if (contest.claim(`${session.channelId}`)) return finish({ result: 'accepted', session });
        await session.pendingStop;
        await tellAndHangUp('alreadyAnswered');
        return finish({ result: 'cancelled', reason: 'answered elsewhere' });
      }
      await session.pendingStop;
      if (digit === '2') {
        await hangup(session);
        return finish({ result: 'declined', reason: 'pressed 2' });
      }
      logger.debug('responder pressed a key that means nothing here', { digit });
    }
    // Nobody pressed anything: most often the responder's own voicemail took the call.
    await hangup(session);
    return finish({ result: 'voicemail-pickup', reason: 'no key pressed' });
  } catch (error) {
    if (error instanceof ChannelGone)
      return finish({
        result: 'declined',
        reason: 'hung up without pressing a key',
        ...(session.hangupCause === undefined ? {} : { cause: session.hangupCause }),
      });
    throw error;
  }
}
