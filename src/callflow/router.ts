/**
 * Hands every ARI event to the session of the channel it concerns, starts a flow for each new
 * inbound channel, and tells responder legs (channels the daemon originated, marked in their
 * Stasis arguments) apart from callers from their very first event.
 */
import { randomUUID } from 'node:crypto';
import { eventChannel, eventMediaTarget, type AriEvent, type AriEventOf, type AriPort } from '../ari/types';
import { forCall, type Logger } from '../log/logger';
import type { FlowContext } from './context';
import { runInboundCall } from './inbound';
import { isOriginatedByDaemon } from './marks';
import { CallSession } from './session';

export interface RouterDependencies {
  ari: AriPort;
  logger: Logger;
  /** The context for a call that starts now (the configuration in force at this moment). */
  contextForNewCall: (logger: Logger) => FlowContext;
}

export class CallRouter {
  private readonly sessions = new Map<string, CallSession>();
  private readonly running = new Set<Promise<void>>();
  /** False while shutting down: new calls are turned away (see turnAway in inbound.ts). */
  accepting = true;

  constructor(private readonly deps: RouterDependencies) {}

  get activeCalls(): number {
    return this.running.size;
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
    this.sessions.delete(channelId);
  }

  /** Whether a live session follows this channel (a reconciliation leaves those to it). */
  knows(channelId: string): boolean {
    return this.sessions.has(channelId);
  }

  /**
   * Channels a reconciliation took back (reconcile/): their events reach these sessions, and the
   * work counts as a call in progress (drain, lcr_active_calls) until it ends.
   */
  adopt(sessions: readonly CallSession[], work: () => Promise<void>): void {
    for (const session of sessions) this.sessions.set(session.channelId, session);
    const flow = work()
      .catch((error: Error) =>
        this.deps.logger.error('taken-back call crashed', { error: error.message, stack: error.stack }),
      )
      .finally(() => {
        for (const session of sessions)
          if (this.sessions.get(session.channelId) === session) this.sessions.delete(session.channelId);
        this.running.delete(flow);
      });
    this.running.add(flow);
  }

  handle(event: AriEvent): void {
    const channelId = this.channelOf(event);
    if (channelId === undefined) return;
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
    this.startInbound(event);
  }

  private startInbound(event: AriEventOf<'StasisStart'>): void {
    const channel = event.channel;
    const callId = randomUUID();
    const logger = forCall(this.deps.logger, callId);
    const session = new CallSession(channel.id, this.deps.ari, logger);
    this.sessions.set(channel.id, session);
    const ctx = this.deps.contextForNewCall(logger);
    const flow = runInboundCall(ctx, { session, channel, stasisArgs: event.args, callId })
      .catch((error: Error) =>
        logger.error('call flow crashed', { error: error.message, stack: error.stack }),
      )
      .finally(() => {
        this.sessions.delete(channel.id);
        this.running.delete(flow);
      });
    this.running.add(flow);
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
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }
}
