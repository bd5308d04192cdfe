/**
 * Reconciliation, on every connection to Asterisk (first start, the WebSocket back after a gap,
 * a restart after a crash): what Asterisk holds for the application is matched with the database
 * (plan.ts) and each channel, bridge and open call no live session follows is taken back or
 * cleaned up. Each is logged once, counted (lcr_reconciled_total{kind}) and written in its rows.
 */
import { pageKeptMessage } from '../voicemail';
import { AriRequestError, type AriChannel, type AriPort } from '../../ari/types';
import type { PageStatus } from '../../domain/enums';
import { forCall, type Logger } from '../../log/logger';
import type { CallRow, CallStore, LegRow } from '../../store/calls';
import type { PageRow } from '../../store/pages';
import type { FlowContext } from '../context';
import { runInboundCall } from '../inbound';
import { CallSession } from '../session';
import { TAKEN_BACK, watchConnectedCall } from './adopt';
import { planReconciliation, type Step, type StepKind } from './plan';
import { stasisArgsOf, survey } from './survey';
import { isOwnPageCallChannel, pageCallNotificationId, pageCallPageId } from '../marks';

export interface ReconcilerDependencies {
  ari: AriPort;
  app: string;
  /** Which Asterisk `ari` reaches: only its open calls are this reconciliation's. */
  asterisk: { asterisk: string; first: boolean };
  logger: Logger;
  calls: CallStore;
  pageStatus: (pageId: number) => Promise<PageStatus | undefined>;
  pagesOfCall: (callId: string) => Promise<PageRow[]>;
  /**
   * Several daemons: the notification a page call nobody drives was placing goes back to be sent
   * again (alone on its database, a daemon releases them all at start instead).
   */
  releaseNotification?: (notificationId: number) => Promise<void>;
  /** The call router's side: who follows what, and following taken-back channels. */
  router: {
    knows(channelId: string): boolean;
    followedLately(channelId: string): boolean;
    adopt(sessions: readonly CallSession[], work: () => Promise<void>): void;
    /** Starts the call of a caller whose StasisStart never came; false if it is followed already. */
    serveUnannounced(channel: AriChannel, args: readonly string[]): boolean;
  };
  contextFor: (logger: Logger) => FlowContext;
  count: (kind: StepKind) => void;
  now: () => number;
}

/** What the last process wrote when its calls' channels were found gone (as before reconciliation). */
export const STOPPED_DURING_CALL = 'the daemon stopped during the call';
export const RECONCILED_LEG = 'not accepted when the daemon lost the call (reconciled)';

export class Reconciler {
  private running: Promise<void> | undefined;
  private again = false;
  /** Reconciliations finished (for diagnostics and tests). */
  runs = 0;

  constructor(private readonly deps: ReconcilerDependencies) {}

  /** Runs one reconciliation; asked again while one runs, another follows it (never two at once). */
  run(): Promise<void> {
    if (this.running !== undefined) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          await this.once();
          this.runs++;
        } catch (error) {
          // Asterisk went away again mid-way: the next connection reconciles again.
          this.deps.logger.warn('reconciliation did not finish', { error: (error as Error).message });
        }
      } while (this.again);
    })().finally(() => (this.running = undefined));
    return this.running;
  }

  private async once(): Promise<void> {
    const { deps } = this;
    const surveyedAt = deps.now();
    const holdings = await survey(deps.ari, deps.app);
    // The plan is pure: the statuses of the pages that page calls are about are looked up first.
    const statuses = new Map<number, PageStatus | undefined>();
    for (const channel of holdings.channels) {
      const pageId = isOwnPageCallChannel(deps.app, channel.id)
        ? pageCallPageId(deps.app, channel.id)
        : undefined;
      if (pageId !== undefined) statuses.set(pageId, await deps.pageStatus(pageId));
    }
    // The plan is pure: the open calls and their legs are read first.
    // A call that came in after the survey began is not in it, and is a live session's (or its
    // StasisStart is on its way): never a call the daemon lost, even if it has ended meanwhile.
    const openCalls = (await deps.calls.unfinishedCalls(deps.app, deps.asterisk)).filter(
      (c) => c.started_at < surveyedAt,
    );
    const legsOf = new Map(
      await Promise.all(openCalls.map(async (c) => [c.id, await deps.calls.legsOfCall(c.id)] as const)),
    );
    // Callers in the application's Stasis() that no open row names: a row that says their call is
    // over (its process died before the hangup, or it is on its way) makes them strays.
    const openChannels = new Set(openCalls.map((c) => c.channel_id));
    const over = new Set<string>();
    for (const channel of holdings.channels) {
      const unnamed =
        holdings.inApplication?.has(channel.id) === true &&
        !openChannels.has(channel.id) &&
        !deps.router.followedLately(channel.id) &&
        stasisArgsOf(channel, deps.app) !== undefined;
      if (!unnamed) continue;
      const last = await deps.calls.callOfChannel(channel.id);
      if (last !== undefined && last.ended_at !== null) over.add(channel.id);
    }
    const steps = planReconciliation({
      holdings,
      openCalls,
      legsOf: (callId) => legsOf.get(callId) ?? [],
      pageStatus: (pageId) => statuses.get(pageId),
      known: (channelId) => deps.router.knows(channelId),
      followedLately: (channelId) => deps.router.followedLately(channelId),
      callOver: (channelId) => over.has(channelId),
      app: deps.app,
    });
    for (const step of steps) {
      try {
        await this.apply(step);
      } catch (error) {
        if (error instanceof AriRequestError && error.status === undefined) throw error;
        deps.logger.error('reconciling failed', { kind: step.kind, error: (error as Error).message });
      }
    }
    if (steps.length > 0) {
      const kinds: Partial<Record<StepKind, number>> = {};
      for (const step of steps) kinds[step.kind] = (kinds[step.kind] ?? 0) + 1;
      deps.logger.info('reconciled with Asterisk', kinds);
    }
  }

  /** A responder leg nobody accepted before the daemon lost the call. */
  private closeUnaccepted(leg: LegRow): void {
    this.deps.calls.updateLeg(leg.id, {
      result: 'cancelled',
      reason: RECONCILED_LEG,
      ended_at: this.deps.now(),
    });
  }

  private note(step: Step, detail: Record<string, unknown>): void {
    this.deps.count(step.kind);
    this.deps.logger.warn('reconciled', { kind: step.kind, ...detail });
  }

  private async apply(step: Step): Promise<void> {
    const { ari, calls, now } = this.deps;
    switch (step.kind) {
      case 'gone-call': {
        const at = now();
        for (const leg of step.openLegs)
          calls.updateLeg(leg.id, {
            result: leg.result === 'accepted' ? 'accepted' : 'cancelled',
            reason: leg.result === 'accepted' ? STOPPED_DURING_CALL : `${STOPPED_DURING_CALL} (reconciled)`,
            ended_at: at,
          });
        // A message kept but not yet paged (the caller hung up during the callback offer).
        if (step.call.stage === 'ending') pageKeptMessage(this.deps.contextFor(this.deps.logger), step.call);
        calls.updateCall(step.call.id, {
          outcome: step.call.outcome ?? 'error',
          outcome_detail: step.call.outcome_detail ?? STOPPED_DURING_CALL,
          stage: null,
          ended_at: at,
        });
        this.note(step, { callId: step.call.id, channelId: step.call.channel_id });
        return;
      }
      case 'responder-leg':
        // Hung up before the leg row says so: the row tells why, not the hangup's cause.
        if (step.leg !== undefined) this.closeUnaccepted(step.leg);
        await this.hangup(step.channel.id);
        this.note(step, { channelId: step.channel.id, legId: step.leg?.id ?? null });
        return;
      case 'page-call': {
        await this.hangup(step.channel.id);
        const notificationId = pageCallNotificationId(this.deps.app, step.channel.id);
        if (notificationId !== undefined && !step.handled)
          await this.deps.releaseNotification?.(notificationId);
        this.note(step, { channelId: step.channel.id, pageId: step.pageId ?? null, handled: step.handled });
        return;
      }
      case 'stray-channel':
        await this.hangup(step.channel.id);
        this.note(step, { channelId: step.channel.id });
        return;
      case 'stray-bridge':
        await ari.destroyBridge(step.bridgeId).catch(notFoundIsFine);
        this.note(step, { bridgeId: step.bridgeId });
        return;
      case 'connected-call':
        this.takeBackConnected(step);
        return;
      case 'caller':
        for (const leg of step.goneLegs) this.closeUnaccepted(leg);
        this.takeBackCaller(step.call, step.channel, step);
        return;
      case 'unannounced-caller':
        // Its StasisStart may have reached the router since the survey: then it is a live call.
        if (this.deps.router.serveUnannounced(step.channel, step.args))
          this.note(step, { channelId: step.channel.id, caller: step.channel.caller.number });
        return;
    }
  }

  private async hangup(channelId: string): Promise<void> {
    await this.deps.ari.hangup(channelId, 'normal').catch(notFoundIsFine);
  }

  private takeBackConnected(step: Extract<Step, { kind: 'connected-call' }>): void {
    const { deps } = this;
    const logger = forCall(deps.logger, step.call.id);
    const ctx = deps.contextFor(logger);
    const ari = deps.ari.forCall(step.caller.id);
    const caller = new CallSession(step.caller.id, ari, logger);
    const responder =
      step.responder === undefined ? undefined : new CallSession(step.responder.id, ari, logger);
    const sessions = responder === undefined ? [caller] : [caller, responder];
    deps.calls.updateLeg(step.leg.id, { reason: TAKEN_BACK });
    // Joined in Asterisk before the old process could write it: the row says so now.
    if (step.call.connected_at === null)
      deps.calls.updateCall(step.call.id, {
        connected_responder_id: step.leg.responder_id,
        connected_at: ctx.now(),
        outcome: 'connected',
        stage: 'connected',
      });
    deps.router.adopt(sessions, async () => {
      await Promise.all(sessions.map((s) => confirmPresent(s)));
      await watchConnectedCall(ctx, step.call, step.leg, caller, responder, deps.pagesOfCall);
    });
    this.note(step, { callId: step.call.id, channelId: step.caller.id, responder: step.leg.responder_id });
  }

  private takeBackCaller(row: CallRow, channel: AriChannel, step: Step): void {
    const { deps } = this;
    const callId = row.id;
    const logger = forCall(deps.logger, callId);
    const session = new CallSession(channel.id, deps.ari.forCall(channel.id), logger);
    deps.router.adopt([session], async () => {
      await confirmPresent(session);
      await runInboundCall(deps.contextFor(logger), {
        session,
        channel,
        stasisArgs: stasisArgsOf(channel, deps.app) ?? [],
        callId,
        resumed: row,
      });
    });
    this.note(step, { callId, channelId: channel.id, stage: row.stage });
  }
}

const notFoundIsFine = (error: unknown): void => {
  if (!(error instanceof AriRequestError && error.notFound)) throw error;
};

/**
 * Events of a channel that left between the listing and its session's registration were not
 * delivered to anyone: asking Asterisk once more closes that window.
 */
async function confirmPresent(session: CallSession): Promise<void> {
  try {
    await session.ari.getChannel(session.channelId);
  } catch (error) {
    if (error instanceof AriRequestError && error.notFound) session.markEnded();
  }
}
