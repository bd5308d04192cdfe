/**
 * One responder leg: originate the responder's phone into the Stasis application, follow it
 * while it rings, and when it answers ask "press 1 to accept, 2 to decline". The outcome is what
 * the leg row records. Winning is decided by the call's Contest, so that two responders pressing
 * 1 within milliseconds can never both be connected.
 */
import { randomUUID } from 'node:crypto';
import type { LegResult } from '../../store/calls';
import type { FlowContext } from '../context';
import { responderLeg } from '../marks';
import { ChannelGone, CallSession } from '../session';
import { classifyUnanswered, dial } from '../verbs/dial';
import { hangup } from '../verbs/hangup';
import { whenAborted } from '../verbs/abort';
import { play } from '../verbs/play';
import type { RenderedPrompt } from '../prompts';
import type { DialTarget } from './plan';

/**
 * The race between a call's legs: the first to claim wins; the caller leaving, or a leg failing
 * in a way the call cannot survive, ends it for all. Every leg stops through `signal`: a phone
 * still ringing is hung up, a confirmation prompt is stopped.
 */
export class Contest {
  winner: string | undefined;
  callerGone = false;
  failed = false;
  private readonly controller = new AbortController();
  private settled = false;
  /** Aborted once the race is decided, whichever way (for a win, one turn of the event loop later). */
  readonly signal = this.controller.signal;

  get decided(): boolean {
    return this.settled;
  }

  /** Why a leg that lost the race is cancelled. */
  get lostBecause(): string {
    return this.callerGone ? 'caller left' : this.failed ? 'the call failed' : 'answered elsewhere';
  }

  claim(legId: string): boolean {
    if (this.decided) return false;
    this.settled = true;
    this.winner = legId;
    // The losers' phones are hung up after the winner's accept sequence (stop the prompt and the
    // hold audio, join the bridge) has left: on the one ordered connection, requests issued first
    // are served first, and the caller should not wait behind the other phones' hangups.
    setImmediate(() => this.controller.abort());
    return true;
  }

  callerLeft(): void {
    if (this.decided) return;
    this.settled = true;
    this.callerGone = true;
    this.controller.abort();
  }

  fail(): void {
    if (this.decided) return;
    this.settled = true;
    this.failed = true;
    this.controller.abort();
  }
}

/** Longest the confirmation prompt is waited on for a key (its own end comes much sooner). */
const PROMPT_KEY_GUARD_MS = 10 * 60_000;

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
  /**
   * Runs the moment a responder wins, before anything is written or logged: the caller's side of
   * the accept sequence (stop the hold audio, join the bridge) then leaves right behind the stop
   * of the responder's prompt, on the same ordered connection.
   */
  onAccept?: (responder: CallSession) => void;
}

export async function runLeg(
  setup: LegSetup,
  target: DialTarget & { dialString: string },
): Promise<LegOutcome> {
  const { ctx, contest } = setup;
  const legId = randomUUID();
  const channelId = responderLeg.channelId(ctx.config.asterisk.app, legId);
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
    // The winner is written at once: a daemon killed right after the bridge join must find it.
    ctx.calls.updateLeg(
      legId,
      {
        result: outcome.result,
        reason: outcome.reason ?? null,
        ...(outcome.cause === undefined ? {} : { hangup_cause: outcome.cause }),
        ...(outcome.result === 'accepted' ? {} : { ended_at: ctx.now() }),
      },
      { now: outcome.result === 'accepted' },
    );
    logger.info('responder leg ended', { result: outcome.result, reason: outcome.reason ?? null });
    return { ...base, ...outcome };
  };
  if (contest.decided) return finish({ result: 'cancelled', reason: contest.lostBecause });
  // The leg's row should be in the database before its phone rings, so that a daemon taking the
  // call over after a crash finds it; on SQLite it is at once, on PostgreSQL a round trip. A
  // slow database delays the ringing by LEG_ROW_WAIT_MS at most, never more.
  await landedOrLate(ctx.calls.writes.settled());
  if (contest.decided) return finish({ result: 'cancelled', reason: contest.lostBecause });

  const session = new CallSession(channelId, setup.caller.ari, logger);
  ctx.legs.track(session);
  // Someone else won, or the caller left, while this phone rings: the contest's signal stops it
  // ringing. (A phone already picked up is told why instead, by the confirmation step.)
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
    {
      signal: contest.signal,
      onDialStatus: (dialstatus) => ctx.calls.updateLeg(legId, { dial_status: dialstatus }),
    },
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
    void dialing.destroyed.then(() => ctx.legs.untrack(channelId));
  }
}

type Finish = (outcome: Omit<LegOutcome, 'legId' | 'responderId'>) => LegOutcome;

/**
 * The responder answered: "press 1 to accept, 2 to decline", until the confirmation timeout.
 * The prompt stops at the first key or when the contest is decided; `prompt` settles once it is
 * stopped, and every next request on this channel (a farewell, the hangup, the bridge) waits for it.
 */
async function confirm(
  setup: LegSetup,
  session: CallSession,
  finish: Finish,
  logger: CallSession['logger'],
): Promise<LegOutcome> {
  const { ctx, contest } = setup;
  const farewell = async (): Promise<LegOutcome> => {
    // A call that failed has nothing true to tell the responder: the phone is just hung up.
    if (!contest.failed) {
      const slot = contest.callerGone ? 'callerHungUp' : 'alreadyAnswered';
      await play(session, setup.farewells[slot]).catch(() => undefined);
    }
    await hangup(session);
    return finish({ result: 'cancelled', reason: contest.lostBecause });
  };
  if (contest.decided) return farewell();
  const deadline = ctx.now() + setup.confirmTimeoutSeconds * 1000;
  const stopPrompt = new AbortController();
  const decided = whenAborted(contest.signal);
  try {
    const prompt: Promise<unknown> =
      session.digits.length > 0
        ? Promise.resolve()
        : play(session, setup.confirm, { signal: stopPrompt.signal });
    // Until the prompt ends, a key is pressed or the race is decided elsewhere; then it stops.
    await Promise.race([
      prompt,
      session.waitFor((e) => e.type === 'ChannelDtmfReceived', PROMPT_KEY_GUARD_MS, {
        signal: stopPrompt.signal,
      }),
      decided.aborted,
    ]);
    stopPrompt.abort();
    for (;;) {
      if (contest.decided) {
        await prompt;
        return await farewell();
      }
      let digit = session.takeDigit();
      if (digit === undefined) {
        const remaining = deadline - ctx.now();
        if (remaining <= 0) break;
        await session.waitFor((e) => e.type === 'ChannelDtmfReceived', remaining, { signal: contest.signal });
        if (contest.decided) continue;
        digit = session.takeDigit();
        if (digit === undefined) break;
      }
      if (digit === '1' && contest.claim(session.channelId)) {
        setup.onAccept?.(session);
        return finish({ result: 'accepted', session });
      }
      await prompt;
      if (digit === '1') return await farewell();
      if (digit === '2') {
        await hangup(session);
        return finish({ result: 'declined', reason: 'pressed 2' });
      }
      logger.debug('responder pressed a key that means nothing here', { digit });
    }
    // Nobody pressed anything: most often the responder's own voicemail took the call.
    await prompt;
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
  } finally {
    decided.off();
  }
}

/** Longest a responder's phone waits for its leg's row to land (see runLeg). */
const LEG_ROW_WAIT_MS = 250;

async function landedOrLate(landing: Promise<void>): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, LEG_ROW_WAIT_MS);
  });
  try {
    await Promise.race([landing.catch(() => undefined), late]);
  } finally {
    clearTimeout(timer);
  }
}
