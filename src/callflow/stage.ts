/**
 * Where an inbound call's flow stands, written to its row as it moves on: a daemon that restarts,
 * or whose WebSocket comes back, reads it to take the caller back at that point (reconcile/).
 */
import type { CallStage } from '../store/calls';
import type { FlowContext } from './context';

export function enterStage(
  ctx: FlowContext,
  callId: string,
  stage: CallStage,
  step?: { level: number; round: number },
): void {
  ctx.calls.updateCall(
    callId,
    {
      stage,
      stage_at: ctx.now(),
      ...(step === undefined ? {} : { stage_level: step.level, stage_round: step.round }),
    },
    // Written before the request it announces (a recording, a ring) leaves: a process killed
    // right after it must leave the stage behind for the next one.
    { now: true },
  );
}
