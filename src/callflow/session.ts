/**
 * One channel under the daemon's control: its events, the digits its person pressed, and whether
 * it is still there. Verbs (verbs/*.ts) are small functions over a session; the session itself
 * only delivers events and keeps this state.
 */
import { randomBytes } from 'node:crypto';
import { eventChannel, eventMediaTarget, type AriEvent, type AriPort } from '../ari/types';

/**
 * What a session's waiters see: Asterisk's events, and what the daemon learnt by asking Asterisk
 * after a WebSocket gap when the event itself was lost (never dressed up as an Asterisk event).
 */
export type SessionEvent =
  | AriEvent
  | { type: 'lcr:ChannelEnded' }
  | { type: 'lcr:PlaybackGone'; playbackId: string }
  | { type: 'lcr:RecordingGone'; name: string };
import type { Logger } from '../log/logger';

/** The person on this channel hung up (or the channel vanished); the flow stops where it is. */
export class ChannelGone extends Error {
  constructor(readonly channelId: string) {
    super(`channel ${channelId} is gone`);
    this.name = 'ChannelGone';
  }
}

interface Waiter {
  match: (event: SessionEvent) => boolean;
  resolve: (event: SessionEvent | undefined) => void;
  reject: (error: Error) => void;
  /** Keeps waiting after the hangup: events that follow it (RecordingFinished) still matter. */
  outlivesHangup: boolean;
  timer?: NodeJS.Timeout;
}

let sequence = 0;
/**
 * Tells this process's ids from a previous one's: Asterisk keeps a stopped daemon's playbacks and
 * recordings, and a restarted daemon taking its calls back must not reuse their ids (409).
 */
const PROCESS_TAG = randomBytes(3).toString('hex');

export class CallSession {
  /** Digits pressed and not consumed yet, oldest first. */
  readonly digits: string[] = [];
  /** Set by ChannelHangupRequest or StasisEnd: no request to this channel can succeed any more. */
  gone = false;
  /** Set by StasisEnd: Asterisk will send nothing more about this channel. */
  ended = false;
  hangupCause: number | undefined;
  /** Set when the daemon itself ends the call (stopping): why, for the call's row. */
  endedBy: string | undefined;
  private readonly waiters = new Set<Waiter>();
  private frozen = false;
  private readonly goneListeners = new Set<() => void>();
  private readonly listeners = new Set<(event: SessionEvent) => void>();
  /** Checks that re-learn, after an ARI WebSocket gap, what the lost events would have said. */
  readonly resyncChecks = new Set<() => Promise<void>>();

  constructor(
    readonly channelId: string,
    readonly ari: AriPort,
    readonly logger: Logger,
  ) {}

  /** A unique id for a playback, recording or leg of this session. */
  nextId(prefix: string): string {
    sequence += 1;
    return `lcr-${prefix}-${this.channelId}-${PROCESS_TAG}${sequence}`;
  }

  deliver(event: SessionEvent): void {
    if (this.frozen) return;
    for (const listener of this.listeners) listener(event);
    if (event.type === 'ChannelDtmfReceived') this.digits.push(event.digit);
    if (
      event.type === 'ChannelHangupRequest' ||
      event.type === 'StasisEnd' ||
      event.type === 'ChannelDestroyed' ||
      event.type === 'lcr:ChannelEnded'
    ) {
      if (event.type === 'ChannelHangupRequest' && this.hangupCause === undefined)
        this.hangupCause = event.cause;
      if (event.type !== 'ChannelHangupRequest') this.ended = true;
      this.markGone();
    }
    for (const waiter of [...this.waiters]) {
      if (waiter.match(event)) this.settle(waiter, event);
    }
    if (this.ended) {
      for (const waiter of [...this.waiters]) {
        // Nothing more will come; a waiter that outlived the hangup gets a short grace for late events.
        if (waiter.outlivesHangup) {
          if (waiter.timer) clearTimeout(waiter.timer);
          waiter.timer = setTimeout(() => this.settle(waiter, undefined), 2000).unref();
        } else this.fail(waiter);
      }
    }
  }

  /** The channel is known to be gone without its events (found missing after a reconnect). */
  markGone(): void {
    if (!this.gone) {
      this.gone = true;
      for (const listener of this.goneListeners) listener();
      for (const waiter of [...this.waiters]) if (!waiter.outlivesHangup) this.fail(waiter);
    }
  }

  /** Asterisk no longer has the channel (learnt by asking, after a WebSocket gap). */
  markEnded(): void {
    this.deliver({ type: 'lcr:ChannelEnded' });
  }

  /** Every event of this channel, as it arrives. */
  subscribe(listener: (event: SessionEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onGone(listener: () => void): () => void {
    this.goneListeners.add(listener);
    return () => this.goneListeners.delete(listener);
  }

  private settle(waiter: Waiter, event: SessionEvent | undefined): void {
    if (!this.waiters.delete(waiter)) return;
    if (waiter.timer) clearTimeout(waiter.timer);
    waiter.resolve(event);
  }

  private fail(waiter: Waiter): void {
    if (!this.waiters.delete(waiter)) return;
    if (waiter.timer) clearTimeout(waiter.timer);
    waiter.reject(new ChannelGone(this.channelId));
  }

  /**
   * Waits for the first event that matches, or undefined after `timeoutMs` or once `signal`
   * aborts. Register the wait before sending the request that causes the event, so that a fast
   * answer is never missed. Rejects with ChannelGone when the person hangs up, unless `outlivesHangup`.
   */
  waitFor(
    match: (event: SessionEvent) => boolean,
    timeoutMs: number,
    options: { outlivesHangup?: boolean; signal?: AbortSignal } = {},
  ): Promise<SessionEvent | undefined> {
    if (this.frozen) return new Promise<never>(() => undefined);
    const outlivesHangup = options.outlivesHangup === true;
    const { signal } = options;
    const promise = new Promise<SessionEvent | undefined>((resolve, reject) => {
      if (this.gone && !outlivesHangup) return reject(new ChannelGone(this.channelId));
      if (signal?.aborted) return resolve(undefined);
      const stop = (): void => this.settle(waiter, undefined);
      const waiter: Waiter = {
        match,
        resolve: (event) => {
          signal?.removeEventListener('abort', stop);
          resolve(event);
        },
        reject: (error) => {
          signal?.removeEventListener('abort', stop);
          reject(error);
        },
        outlivesHangup,
      };
      signal?.addEventListener('abort', stop, { once: true });
      // A wait alone never keeps the process alive: the ARI connection does that while it runs.
      waiter.timer = setTimeout(stop, timeoutMs).unref();
      this.waiters.add(waiter);
    });
    // The caller may hang up before the flow gets to awaiting this; that is not an unhandled error.
    promise.catch(() => undefined);
    return promise;
  }

  /**
   * The daemon leaves this channel to its next start (settings.shutdown.on_drain_timeout: leave):
   * every wait is dropped unsettled and no new wait settles, so the flow stops where it is
   * instead of acting on a timeout (a menu retry, a call closed as failed).
   */
  freeze(): void {
    this.frozen = true;
    for (const waiter of this.waiters) if (waiter.timer) clearTimeout(waiter.timer);
    this.waiters.clear();
  }

  /** Ends every wait (with no event): the channel will never exist, or is no longer ours. */
  close(): void {
    for (const waiter of [...this.waiters]) this.settle(waiter, undefined);
  }

  /** Throws ChannelGone if the person hung up: call between steps of a flow. */
  ensurePresent(): void {
    if (this.gone) throw new ChannelGone(this.channelId);
  }

  async resync(): Promise<void> {
    for (const check of [...this.resyncChecks]) await check().catch(() => undefined);
  }

  takeDigit(): string | undefined {
    return this.digits.shift();
  }

  clearDigits(): void {
    this.digits.length = 0;
  }
}

export const targetsChannel = (event: AriEvent, channelId: string): boolean =>
  eventChannel(event)?.id === channelId || eventMediaTarget(event) === `channel:${channelId}`;
