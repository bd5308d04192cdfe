/**
 * Hands every ARI event to the session of the channel it concerns, starts a flow for each new
 * inbound channel, and tells responder legs (channels the daemon originated, marked in their
 * Stasis arguments) apart from callers from their very first event.
 */
import { randomUUID } from 'node:crypto';
import { eventChannel, eventMediaTarget, type AriChannel, type AriEvent, type AriPort } from '../ari/types';
import { forCall, type Logger } from '../log/logger';
import type { FlowContext } from './context';
import { runInboundCall } from './inbound';
import { isOriginatedByDaemon } from './marks';
import { CallSession } from './session';
import { CLEANUP_MAX_MS, FreezablePort, GOODBYE_MAX_MS, within } from './shutdown';

export interface RouterDependencies {
  ari: AriPort;
  logger: Logger;
  /** The context for a call that starts now (the configuration in force at this moment). */
  contextForNewCall: (logger: Logger) => FlowContext;
}

/** How long a channel whose session ended counts as followed (followedLately). */
const ENDED_KEPT_MS = 60_000;

export class CallRouter {
  private readonly sessions = new Map<string, CallSession>();
  /** Channels whose sessions ended lately, and when (oldest first), for followedLately(). */
  private readonly ended = new Map<string, number>();
  /**
   * Callers served without their StasisStart (serveUnannounced): should it come after all, it is
   * not a new call. Kept as long as `ended` keeps the channel.
   */
  private readonly unannounced = new Set<string>();
  /** Calls in progress, with their caller's session. */
  private readonly running = new Map<Promise<void>, CallSession>();
  /** Callers who arrived while stopping, being told to call again: the daemon waits for them before it exits. */
  private readonly turningAway = new Map<Promise<void>, CallSession>();
  /** False while shutting down: new calls are turned away (see turnAway in inbound.ts). */
  accepting = true;
  /** What every flow (calls, their legs, page calls) sends to Asterisk through: frozen when the daemon leaves its calls. */
  private readonly gate: FreezablePort;

  constructor(private readonly deps: RouterDependencies) {
    this.gate = new FreezablePort(deps.ari);
  }

  /** The ARI port of the call flows (see freeze). */
  get ari(): AriPort {
    return this.gate.port;
  }

  get activeCalls(): number {
    return this.running.size + this.turningAway.size;
  }

  /** Calls in progress, not counting callers being turned away. */
  get callsInProgress(): number {
    return this.running.size;
  }

  /** Channels the flows follow (callers, responder legs, page calls), callers being turned away aside. */
  get channelsFollowed(): number {
    return this.sessions.size - this.turningAway.size;
  }

  /** The channel id an event is about, whatever its kind. */
  private channelOf(event: AriEvent): string | undefined {
    const channel = eventChannel(event);
    if (channel !== undefined) return channel.id;
    const target = eventMediaTarget(event);
    if (target?.startsWith('channel:')) return target.slice('channel:'.length);
    return undefined;
  }

  /** Registers a session for a channel the daemon created (a responder leg) before its first event. */
  track(session: CallSession): void {
    this.sessions.set(session.channelId, session);
  }

  untrack(channelId: string): void {
    this.forget(channelId);
  }

  /** Whether a live session follows this channel (a reconciliation leaves those to it). */
  knows(channelId: string): boolean {
    return this.sessions.has(channelId);
  }

  /**
   * Whether a session of this process follows the channel or followed it lately (within
   * ENDED_KEPT_MS): its flow writes the call's ending itself, so a reconciliation that read the row
   * while that write was on its way must not close the call as lost.
   */
  followedLately(channelId: string): boolean {
    return this.sessions.has(channelId) || this.ended.has(channelId);
  }

  private forget(channelId: string, session?: CallSession): void {
    if (session !== undefined && this.sessions.get(channelId) !== session) return;
    this.sessions.delete(channelId);
    const now = Date.now();
    this.ended.delete(channelId);
    this.ended.set(channelId, now);
    // Oldest first: drop from the front what is past the window (amortized O(1) per session).
    for (const [id, at] of this.ended) {
      if (now - at <= ENDED_KEPT_MS) break;
      this.ended.delete(id);
      this.unannounced.delete(id);
    }
  }

  /**
   * Channels a reconciliation took back (reconcile/): their events reach these sessions, and the
   * work counts as a call in progress (drain, lcr_active_calls) until it ends.
   */
  adopt(sessions: readonly [CallSession, ...CallSession[]], work: () => Promise<void>): void {
    for (const session of sessions) this.sessions.set(session.channelId, session);
    const flow = work()
      .catch((error: Error) =>
        this.deps.logger.error('taken-back call crashed', { error: error.message, stack: error.stack }),
      )
      .finally(() => {
        for (const session of sessions) this.forget(session.channelId, session);
        this.running.delete(flow);
      });
    // The first session is the caller's: the one a drain's end tells and hangs up.
    this.running.set(flow, sessions[0]);
  }

  handle(event: AriEvent): void {
    // Left for the next start: what Asterisk says about these calls now is its business.
    if (this.gate.isFrozen) return;
    const channelId = this.channelOf(event);
    if (channelId === undefined) return;
    // Late, for a caller a reconciliation already serves (serveUnannounced): its flow has the channel.
    if (event.type === 'StasisStart' && this.unannounced.delete(channelId)) return;
    const existing = this.sessions.get(channelId);
    if (existing !== undefined) {
      existing.deliver(event);
      return;
    }
    if (event.type !== 'StasisStart') return;
    if (isOriginatedByDaemon(event.args)) {
      // A channel we originated that nobody follows any more (the daemon restarted): end it.
      this.deps.logger.warn('originated channel nobody follows any more; hanging it up', { channelId });
      void this.deps.ari.hangup(channelId).catch(() => undefined);
      return;
    }
    this.startInbound(event.channel, event.args);
  }

  /**
   * A caller a reconciliation found in the application's Stasis() with no session and no open
   * row (reconcile/plan.ts: unannounced-caller): Asterisk took the call into the application, but
   * its StasisStart reached no daemon (the application's WebSocket was dead and not yet closed)
   * and is not sent again. The call starts now, as on that StasisStart. False when a session
   * follows the channel, or did lately: its StasisStart came meanwhile, or its call is over.
   */
  serveUnannounced(channel: AriChannel, args: readonly string[]): boolean {
    if (this.gate.isFrozen || this.followedLately(channel.id)) return false;
    this.unannounced.add(channel.id);
    this.startInbound(channel, [...args]);
    return true;
  }

  private startInbound(channel: AriChannel, stasisArgs: string[]): void {
    const callId = randomUUID();
    const logger = forCall(this.deps.logger, callId);
    const session = new CallSession(channel.id, this.ari.forCall(channel.id), logger);
    this.sessions.set(channel.id, session);
    const ctx = this.deps.contextForNewCall(logger);
    const flow = runInboundCall(ctx, { session, channel, stasisArgs, callId })
      .catch((error: Error) => {
        logger.error('call flow crashed', { error: error.message, stack: error.stack });
        // The flow owns the channel until it hangs up: one that escaped must not strand the caller.
        return this.ari.hangup(channel.id).catch(() => undefined);
      })
      .finally(() => {
        this.forget(channel.id);
        this.running.delete(flow);
        this.turningAway.delete(flow);
      });
    // The context said whether the call is turned away (ctx.stopping); the router files it alike.
    if (ctx.stopping) this.turningAway.set(flow, session);
    else this.running.set(flow, session);
  }

  /**
   * After the WebSocket came back: events of the gap are lost, so ask Asterisk which of our
   * channels still exist and end the sessions of those that do not.
   */
  async resync(): Promise<void> {
    for (const [channelId, session] of this.sessions) {
      try {
        await this.deps.ari.getChannel(channelId);
        await session.resync();
      } catch (error) {
        if ((error as { notFound?: boolean }).notFound) {
          this.deps.logger.warn('channel ended while the ARI WebSocket was down', { channelId });
          session.markEnded();
        }
      }
    }
  }

  /** Resolves when every call in progress has finished. */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running.keys()]);
  }

  /** Resolves when every caller turned away so far has heard the prompt and been hung up. */
  async turnedAway(): Promise<void> {
    while (this.turningAway.size > 0) await Promise.allSettled([...this.turningAway.keys()]);
  }

  /**
   * Leaves every call where it is, in Asterisk and in the database, for the next start to adopt:
   * the flows send nothing more and react to nothing more (see shutdown.ts).
   */
  freeze(): void {
    this.gate.freeze();
    for (const session of this.sessions.values()) session.freeze();
  }

  /**
   * settings.shutdown.on_drain_timeout: hangup. Each caller still in a call hears `goodbye`, then
   * is hung up; the flows end the rest as when a caller hangs up (responder legs, bridges, the
   * message being left is kept and paged) and close the rows, marked with `detail`. Channels
   * still followed after that (a page call, a leg whose flow did not end in time) are hung up.
   */
  async endCallsInProgress(
    goodbye: (caller: CallSession) => Promise<unknown>,
    detail: string,
  ): Promise<void> {
    const callers = [...this.running.values()];
    await Promise.all(
      callers.map(async (caller) => {
        caller.endedBy = detail;
        if (!caller.gone)
          await within(
            goodbye(caller).catch(() => undefined),
            GOODBYE_MAX_MS,
          );
        await this.ari.hangup(caller.channelId, 'normal').catch(() => undefined);
      }),
    );
    await within(this.drain(), CLEANUP_MAX_MS);
    const turningAway = new Set(this.turningAway.values());
    const left = [...this.sessions.values()].filter((s) => !turningAway.has(s));
    await Promise.all(left.map((s) => this.ari.hangup(s.channelId, 'normal').catch(() => undefined)));
  }
}
