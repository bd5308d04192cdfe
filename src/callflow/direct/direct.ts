/**
 * Direct routing: walk the team's escalation policy level by level, ringing responders until
 * one accepts with a key press, then bridge them with the caller. When nobody does, the route
 * decides: take a message (the page goes to level 1, as with voicemail routing) or say so and
 * end the call.
 */
import type { Route, Team } from '../../config/model';
import { resolveOnCall } from '../../oncall/escalation';
import { routingsOf } from '../routePlan';
import type { FlowContext, RoutedCall } from '../context';
import type { CallSession } from '../session';
import { declared, promptRequest, render, teamsOf, type PromptDeclaration } from '../prompts';
import { callBridgeId } from '../marks';
import { hangup } from '../verbs/hangup';
import { play } from '../verbs/play';
import { enterStage } from '../stage';
import { takeVoicemail } from '../voicemail';
import { hotlineCallerId } from '../../config/dialString';
import {
  closeUnansweredLivePage,
  openLivePage,
  pageCallbackRequest,
  pageTheConnection,
  resolveAtHangup,
} from './connectedPage';
import { offerCallback } from '../callback/offer';
import { holdAudio } from './hold';
import { Contest, runLeg, type LegOutcome, type LegSetup } from './leg';
import { anyoneToDial, planDialing, type DialStep, type DialTarget } from './plan';

const varsOf = (route: Route, team: Team): Record<string, string> => ({ route: route.name, team: team.name });

/** What the caller and the responders of a direct call can hear (hold.ts has the reminder). */
const says = {
  confirm: (route: Route, team: Team) =>
    promptRequest('confirm', route.direct.confirmPrompt, varsOf(route, team), route),
  alreadyAnswered: (route: Route) => promptRequest('alreadyAnswered', undefined, {}, route),
  callerHungUp: (route: Route) => promptRequest('callerHungUp', undefined, {}, route),
  noAnswer: (route: Route, team: Team) =>
    promptRequest('noAnswer', route.direct.noAnswerPrompt, varsOf(route, team), route),
};

export const directPrompts: PromptDeclaration = (config) =>
  config.routes
    .filter((route) => route.active && routingsOf(route).has('direct'))
    .flatMap((route) =>
      [
        says.alreadyAnswered(route),
        says.callerHungUp(route),
        ...teamsOf(config, route).flatMap((team) => [says.confirm(route, team), says.noAnswer(route, team)]),
      ].map((request) => declared(`route ${route.id}`, request)),
    );

function callerIdFor(route: Route, callerNumber: string): string {
  if (route.direct.callerId === 'caller' && callerNumber !== '') return `"${callerNumber}" <${callerNumber}>`;
  return hotlineCallerId(route);
}

/** Rings one level; resolves with the accepted leg, or undefined when every leg has ended. */
async function ringLevel(
  setup: Omit<LegSetup, 'level' | 'round' | 'ringTimeoutSeconds'>,
  step: DialStep,
): Promise<LegOutcome | undefined> {
  const legSetup: LegSetup = {
    ...setup,
    level: step.levelIndex,
    round: step.round,
    ringTimeoutSeconds: step.ringTimeoutSeconds,
  };
  const dialable = step.targets.filter(
    (t): t is DialTarget & { dialString: string } => t.dialString !== undefined,
  );
  if (step.strategy === 'simultaneous') {
    return new Promise((resolve, reject) => {
      let pending = dialable.length;
      let failure: unknown;
      if (pending === 0) resolve(undefined);
      const settled = (): void => {
        pending -= 1;
        if (pending > 0) return;
        if (failure === undefined) resolve(undefined);
        else reject(failure as Error);
      };
      for (const target of dialable) {
        // Every leg's promise is owned here: a leg that fails stops the others (through the
        // contest) and, once they have all ended, fails the call. A failure after someone
        // accepted cannot change the call any more: it is logged.
        runLeg(legSetup, target).then(
          (outcome) => {
            if (outcome.result === 'accepted') resolve(outcome);
            settled();
          },
          (error: Error) => {
            setup.ctx.logger.error('responder leg failed', {
              responder: target.responderId,
              error: error.message,
              stack: error.stack,
            });
            failure ??= error;
            setup.contest.fail();
            settled();
          },
        );
      }
    });
  }
  for (const target of dialable) {
    if (setup.contest.decided) return undefined;
    const outcome = await runLeg(legSetup, target);
    if (outcome.result === 'accepted') return outcome;
  }
  return undefined;
}

function recordSkipped(ctx: FlowContext, callId: string, step: DialStep): void {
  for (const target of step.targets) {
    if (target.skip === undefined) continue;
    const now = ctx.now();
    ctx.calls.insertLeg({
      id: `${callId}-skip-${step.round}-${step.levelIndex}-${target.responderId}`,
      call_id: callId,
      responder_id: target.responderId,
      phone: null,
      level: step.levelIndex,
      round: step.round,
      channel_id: null,
      result: 'skipped',
      reason: target.skip,
      started_at: now,
      ended_at: now,
    });
  }
}

/** A direct call being routed: the call, and how to stop the hold audio once it is over. */
interface DirectCall extends RoutedCall {
  /** Stops the caller's hold audio (the stop is issued at once); resolves once hold is over. */
  stopHold: () => Promise<void>;
  /**
   * Stops the hold audio and joins caller and responder in the call's bridge, once: the first
   * call issues both requests at once (the responder's prompt stop went out inside its abort,
   * before the key was claimed), later calls get the same join.
   */
  join: (responder: CallSession) => Promise<void>;
}

/** Caller and responder in one mixing bridge until either hangs up; then the other is hung up too. */
async function connect(call: DirectCall, winner: LegOutcome): Promise<void> {
  const responder = winner.session!;
  try {
    await bridgeAndWait(call, winner, responder);
  } catch (error) {
    // Something failed on the way: the responder's phone is not left up (the caller's is hung up
    // by inbound.ts, after the error prompt).
    await hangup(responder);
    throw error;
  }
}

async function bridgeAndWait(call: DirectCall, winner: LegOutcome, responder: CallSession): Promise<void> {
  const { ctx, caller, facts, route } = call;
  try {
    // Asterisk would queue the join behind a prompt still playing (direct-accept-and-bridge trace):
    // the stops of the responder's prompt and of the caller's hold audio go out first. The accept
    // issued all three back to back (onAccept) unless the bridge was not ready yet.
    await call.join(responder);
  } catch (error) {
    ctx.logger.error('bridging failed', { error: (error as Error).message });
  }
  const connectedAt = ctx.now();
  facts.outcome = 'connected';
  facts.detail = `connected to ${winner.responderId}`;
  ctx.calls.updateCall(facts.callId, {
    connected_responder_id: winner.responderId,
    connected_at: connectedAt,
    outcome: 'connected',
  });
  enterStage(ctx, facts.callId, 'connected');
  ctx.logger.info('caller connected', { responder: winner.responderId });
  const page = pageTheConnection(call, winner.responderId);

  await new Promise<void>((resolve) => {
    if (caller.gone || responder.gone) return resolve();
    const offCaller = caller.onGone(() => done());
    const offResponder = responder.onGone(() => done());
    function done(): void {
      offCaller();
      offResponder();
      resolve();
    }
  });
  ctx.calls.updateLeg(winner.legId, { ended_at: ctx.now() });
  await Promise.all([hangup(caller), hangup(responder)]);
  resolveAtHangup(ctx, route, page, winner.responderId);
}

/**
 * `from`: a caller taken back after an interruption (reconcile/) goes on at the escalation step
 * the database says was ringing; the steps before it are not rung again.
 */
export async function routeDirect(
  routed: RoutedCall,
  from?: { level: number; round: number },
): Promise<void> {
  const { ctx, caller, facts, route, team } = routed;
  const onCall = resolveOnCall(ctx.config, team.id, ctx.now(), facts.policyId);
  const plan = planDialing(onCall.levels, {
    repeat: onCall.policy.repeat,
    routeStrategy: route.direct.strategy,
    skipAlreadyDialed: route.direct.skipAlreadyDialed,
    random: ctx.random,
  }).filter(
    (step) =>
      from === undefined ||
      step.round > from.round ||
      (step.round === from.round && step.levelIndex >= from.level),
  );
  const contest = new Contest();
  const offGone = caller.onGone(() => contest.callerLeft());
  let bridgeReady: Promise<boolean> = Promise.resolve(false);
  let bridgeCreated = false;
  const bridgeId = callBridgeId(ctx.config.asterisk.app, facts.callId);
  const holdStop = new AbortController();
  let holding: Promise<void> = Promise.resolve();
  let joining: Promise<void> | undefined;
  const call: DirectCall = {
    ...routed,
    stopHold: () => {
      holdStop.abort();
      return holding;
    },
    join: (responder) => {
      if (joining !== undefined) return joining;
      void call.stopHold();
      joining = caller.ari.addToBridge(bridgeId, [caller.channelId, responder.channelId]);
      // Awaited by bridgeAndWait; until then a failure must not go unhandled.
      joining.catch(() => undefined);
      return joining;
    },
  };
  try {
    if (anyoneToDial(plan)) {
      openLivePage(routed, from !== undefined);
      holding = holdAudio(ctx, caller, route, holdStop.signal);
      // The bridge is ready before anyone answers, so accepting costs no extra round trip.
      bridgeReady = caller.ari.createBridge(bridgeId, `lcr-call-${facts.callId}`).then(
        () => (bridgeCreated = true),
        (error: Error) => {
          ctx.logger.error('could not create the bridge', { error: error.message });
          return false;
        },
      );
      const setup = {
        ctx,
        caller,
        callId: facts.callId,
        contest,
        callerId: callerIdFor(route, facts.callerNumber),
        confirm: render(ctx.prompts, says.confirm(route, team)),
        farewells: {
          alreadyAnswered: render(ctx.prompts, says.alreadyAnswered(route)),
          callerHungUp: render(ctx.prompts, says.callerHungUp(route)),
        },
        confirmTimeoutSeconds: route.direct.confirmTimeoutSeconds,
        onAccept: (responder: CallSession) => {
          if (bridgeCreated && !caller.gone) void call.join(responder);
        },
      };
      for (const step of plan) {
        caller.ensurePresent();
        enterStage(ctx, facts.callId, 'ringing', { level: step.levelIndex, round: step.round });
        recordSkipped(ctx, facts.callId, step);
        ctx.logger.info('ringing level', {
          level: step.levelIndex + 1,
          round: step.round + 1,
          strategy: step.strategy,
          targets: step.targets.map((t) => t.responderId),
        });
        const winner = await ringLevel(setup, step);
        if (winner !== undefined) {
          await bridgeReady;
          return await connect(call, winner);
        }
      }
      await call.stopHold();
    } else {
      for (const step of plan) recordSkipped(ctx, facts.callId, step);
      ctx.logger.warn('no responder of the policy has a phone to ring', { team: team.id });
    }
    caller.ensurePresent();
    await noOneAvailable(call);
  } finally {
    offGone();
    closeUnansweredLivePage(ctx, facts, route);
    // A call that fails mid-way tells the caller so (inbound.ts): the hold audio ends first.
    await call.stopHold();
    // Whatever happened (connected and over, nobody answered, the caller left), no bridge is left behind.
    if (await bridgeReady) await caller.ari.destroyBridge(bridgeId).catch(() => undefined);
  }
}

async function noOneAvailable(call: RoutedCall): Promise<void> {
  const { ctx, caller, facts, route, team } = call;
  await play(caller, render(ctx.prompts, says.noAnswer(route, team)));
  if (route.direct.onNoAnswer === 'voicemail') {
    await takeVoicemail(call);
    return;
  }
  facts.outcome = 'no-answer';
  facts.detail = 'nobody accepted; the route hangs up';
  // No message on this route, but the caller may ask to be called back: that is paged.
  const number = await offerCallback(call);
  if (number !== undefined) {
    facts.detail = `nobody accepted; callback requested`;
    pageCallbackRequest(call, number);
  }
}
