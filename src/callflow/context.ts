/** What a call's flow needs from the rest of the daemon, fixed for the life of the call. */
import type { Config, Route, Team, Urgency } from '../config/model';
import type { Logger } from '../log/logger';
import type { CallOutcome, CallStore } from '../store/calls';
import type { PagingService } from '../paging/service';
import type { KnownProblem } from '../paging/outageBoard';
import type { StatusMessageRow } from '../store/statusMessages';
import type { PromptRenderer, RenderedPrompt } from './prompts';
import type { CallSession } from './session';

/** Responder legs are channels the daemon creates; their events must reach their sessions. */
export interface LegTracker {
  track(session: CallSession): void;
  untrack(channelId: string): void;
}

export interface FlowContext {
  /** The configuration the call started under; a reload does not change it mid-call. */
  config: Config;
  calls: CallStore;
  paging: PagingService;
  prompts: PromptRenderer;
  /** Where voicemail audio is kept (the daemon's own disk, not Asterisk's). */
  voicemailDir: string;
  logger: Logger;
  now: () => number;
  legs: LegTracker;
  /** The daemon is shutting down: the call is turned away (settings.shutdown.new_calls). */
  stopping: boolean;
  /** [0, 1) numbers for the `random` ring strategy. */
  random: () => number;
  /** What callers are told during an outage; without it, nothing (a flow run outside the daemon). */
  outage?: OutageNotices;
}

/** The daemon's picture of open problems and status messages (paging/outageBoard.ts), read without waiting. */
export interface OutageNotices {
  problemFor(teamId: string, windowSeconds: number): KnownProblem | undefined;
  statusFor(target: { routeId: string } | { teamId: string }): StatusMessageRow | undefined;
  /**
   * A status message's audio: its text once spoken (undefined before, and with no speech engine),
   * or the recording a responder made, on the Asterisk that stores it.
   */
  audioOf(status: StatusMessageRow, language: string): RenderedPrompt | undefined;
}

/** What the flow learned about the call; written to its row as it goes. */
export interface CallFacts {
  callId: string;
  callerNumber: string;
  route?: Route;
  team?: Team;
  /** The menu key the caller chose (or the only option's): pages de-duplicate by it. */
  optionKey?: string;
  outcome?: CallOutcome;
  detail?: string;
  /** The urgency of the pages this call makes (routePlan.ts urgencyOf); high unless set. */
  urgency?: Urgency;
  /** An escalation policy rung instead of the team's (outside_hours action direct). */
  policyId?: string;
  /** Screening held the caller back from direct routing: told so, then a message. */
  heldBack?: boolean;
  /** The page a direct call opened as its phones started ringing (direct.page: on_call_start). */
  livePage?: { id?: number };
}

/** A call once its route and team are known: what a routing (voicemail, direct) works on. */
export interface RoutedCall {
  ctx: FlowContext;
  caller: CallSession;
  facts: CallFacts;
  route: Route;
  team: Team;
}
