/**
 * The core of the simulated Asterisk: channels with their one-at-a-time command queue, events in
 * Asterisk's order, hangups with real causes, and simulated time.
 *
 * Media (playbacks, recordings), bridges, originated legs and scripted people live in their own
 * modules and act on this state.
 */
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import type { AnyEvent } from '../ari/model/types.gen';
import {
  asteriskTimestamp,
  CAUSE_TEXT,
  type ChannelEventType,
  type ChannelJson,
  type EventFields,
} from './json';
import type {
  ChannelCommand,
  ChannelState,
  SimBridge,
  SimChannel,
  SimPlayback,
  StoredRecording,
  TranscriptEntry,
} from './model';
import type { PhoneBehaviour } from './script';
import { StasisApps } from './apps';

export interface EngineOptions {
  /** Simulated durations (prompts, rings, scripted waits) are multiplied by this; 1 is real time. */
  timeScale?: number;
  asteriskId?: string;
}

export type AriEvent = Record<string, unknown> & { type: string };

/** Errors a REST operation answers with, as Asterisk does: status and a JSON body. */
export class RestError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(String(body['message'] ?? body['error'] ?? status));
  }
}

let channelSequence = 0;

export class SimAsterisk extends EventEmitter {
  readonly timeScale: number;
  readonly asteriskId: string;
  readonly channels = new Map<string, SimChannel>();
  readonly bridges = new Map<string, SimBridge>();
  readonly playbacks = new Map<string, SimPlayback>();
  readonly storedRecordings = new Map<string, StoredRecording>();
  readonly liveRecordings = new Map<string, import('./model').SimRecording>();
  /** Phones the daemon may ring, by endpoint ("PJSIP/alice", "PJSIP/+15551230001@trunk"). */
  readonly phones = new Map<string, PhoneBehaviour>();
  /** Stasis applications: registered, and active while a WebSocket is their handler. */
  readonly apps = new StasisApps(
    (app) => this.appChannelIds(app).length > 0 || this.appBridgeIds(app).length > 0,
    (app) => this.logged(this.stamp('ApplicationReplaced', app, {}), true),
  );
  /**
   * Every event published, with the moment (performance.now()) it was written to the app's
   * WebSocket, or dropped (for latency measurements and replay tests); `delivered` is false for
   * those lost because the app had no WebSocket then.
   */
  readonly eventLog: Array<{ at: number; event: AriEvent; delivered: boolean }> = [];
  keepEventLog = true;
  private stopped = false;

  constructor(options: EngineOptions = {}) {
    super();
    this.setMaxListeners(0);
    this.timeScale = options.timeScale ?? 1;
    this.asteriskId = options.asteriskId ?? '02:fc:00:00:00:01';
  }

  // ---- time

  /** Runs `fn` after `ms` simulated milliseconds; cancelled if the channel goes away first. */
  after(channel: SimChannel | undefined, ms: number, fn: () => void): NodeJS.Timeout {
    const timer = setTimeout(
      () => {
        channel?.timers.delete(timer);
        if (!this.stopped) fn();
      },
      Math.max(0, ms * this.timeScale),
    );
    channel?.timers.add(timer);
    return timer;
  }

  /** Simulated milliseconds since the channel was created. */
  elapsed(channel: SimChannel): number {
    return Math.round((Date.now() - channel.createdAt) / this.timeScale);
  }

  note(channel: SimChannel, kind: TranscriptEntry['kind'], detail = ''): void {
    channel.transcript.push({ at: this.elapsed(channel), wallAt: Date.now(), kind, detail });
  }

  // ---- events

  /** Applications in Asterisk's registry now, active or not (what `GET /applications` lists). */
  get registeredApps(): ReadonlySet<string> {
    return new Set(this.apps.names());
  }

  /** An event WebSocket registers `app`; returns what its close does (deactivation). */
  attachSink(app: string, sink: (event: AriEvent) => void): () => void {
    return this.apps.register(app, sink);
  }

  hasListener(app: string): boolean {
    return this.apps.isActive(app);
  }

  /**
   * What `GET /applications/{app}` lists as channel_ids (res/stasis/app.c:app_to_json, its
   * forwards): channels in its Stasis() and the channels it originated, subscribed until destroyed.
   */
  appChannelIds(app: string): string[] {
    return [...this.channels.values()]
      .filter((c) => !c.gone && (c.app === app || c.subscribedApp === app))
      .map((c) => c.id);
  }

  /**
   * Bridges it is subscribed to: res_stasis.c:stasis_app_exec subscribes the app to a bridge when
   * one of its channels enters it and unsubscribes it when that channel leaves.
   */
  appBridgeIds(app: string): string[] {
    return [...this.bridges.values()]
      .filter((b) => b.channels.some((id) => this.channels.get(id)?.app === app))
      .map((b) => b.id);
  }

  private stamp(type: string, app: string, fields: object): AriEvent {
    const event: AriEvent = {
      type,
      timestamp: asteriskTimestamp(),
      ...fields,
      asterisk_id: this.asteriskId,
      application: app,
    };
    this.emit('event', event);
    return event;
  }

  private logged(event: AriEvent, delivered: boolean): AriEvent {
    if (this.keepEventLog) this.eventLog.push({ at: performance.now(), event, delivered });
    return event;
  }

  /** Sends an event to the app's WebSocket; while it has none the event is lost, as in Asterisk. */
  publish<T extends AnyEvent['type']>(app: string | undefined, type: T, fields: EventFields<T>): void {
    if (app === undefined) return;
    const event = this.stamp(type, app, fields);
    const delivered = this.apps.isActive(app);
    this.apps.send(app, event);
    // Logged once written (ws.send writes to the socket at once), so `at` is when it went out.
    this.logged(event, delivered);
  }

  channelEvent<T extends ChannelEventType>(
    channel: SimChannel,
    type: T,
    fields: Omit<EventFields<T>, 'channel'>,
  ): void {
    this.publish(channel.app ?? channel.subscribedApp, type, {
      ...fields,
      channel: this.channelJson(channel),
    } as unknown as EventFields<T>);
  }

  // ---- channels

  channelJson(channel: SimChannel): ChannelJson {
    return {
      id: channel.id,
      name: channel.name,
      state: channel.state,
      protocol_id: channel.protocolId,
      caller: { ...channel.caller },
      connected: { ...channel.connected },
      accountcode: '',
      dialplan: { ...channel.dialplan },
      creationtime: asteriskTimestamp(channel.createdAt),
      language: channel.language,
    };
  }

  newChannelId(): string {
    channelSequence += 1;
    return `${Math.floor(Date.now() / 1000)}.${channelSequence}`;
  }

  createChannel(
    init: Pick<SimChannel, 'id' | 'name' | 'state' | 'caller' | 'connected' | 'dialplan'> &
      Partial<SimChannel>,
  ): SimChannel {
    let resolveEnded: (cause: number) => void = () => undefined;
    const ended = new Promise<number>((resolve) => (resolveEnded = resolve));
    const channel: SimChannel = {
      protocolId: randomUUID(),
      createdAt: Date.now(),
      language: 'en',
      variables: new Map(),
      queue: [],
      running: false,
      ringing: false,
      speaking: false,
      gone: false,
      timers: new Set(),
      transcript: [],
      waiters: new Set(),
      ...init,
      ended,
      resolveEnded,
    };
    this.channels.set(channel.id, channel);
    return channel;
  }

  liveChannel(id: string): SimChannel {
    const channel = this.channels.get(id);
    if (channel === undefined || channel.gone) throw new RestError(404, { message: 'Channel not found' });
    return channel;
  }

  stasisChannel(id: string): SimChannel {
    const channel = this.liveChannel(id);
    if (channel.app === undefined) throw new RestError(409, { message: 'Channel not in Stasis application' });
    return channel;
  }

  setState(channel: SimChannel, state: ChannelState): void {
    if (channel.state === state) return;
    channel.state = state;
    this.channelEvent(channel, 'ChannelStateChange', {});
    this.wake(channel);
  }

  /** Lets scripted steps that wait for something on this channel look again. */
  wake(channel: SimChannel): void {
    for (const waiter of [...channel.waiters]) waiter();
  }

  /** Queues a command on the channel's control thread. Resolves when the command has run. */
  enqueue(channel: SimChannel, command: ChannelCommand): void {
    channel.queue.push(command);
    this.pump(channel);
  }

  /** A command that completes at once; the REST answer waits for its turn, as Asterisk's do. */
  runSync(channel: SimChannel, action: () => void): Promise<void> {
    return new Promise((resolve, reject) => {
      this.enqueue(channel, {
        run: (done) => {
          action();
          done();
          resolve();
        },
        cancel: () => reject(new RestError(404, { message: 'Channel not found' })),
      });
    });
  }

  private pump(channel: SimChannel): void {
    if (channel.running || channel.gone) return;
    const next = channel.queue.shift();
    if (next === undefined) {
      this.wake(channel);
      return;
    }
    channel.running = true;
    let finished = false;
    next.run(() => {
      if (finished) return;
      finished = true;
      channel.running = false;
      setImmediate(() => this.pump(channel));
    });
  }

  answer(channel: SimChannel): void {
    if (channel.state === 'Up') return;
    this.setState(channel, 'Up');
    this.note(channel, 'answered');
  }

  continueInDialplan(channel: SimChannel): void {
    channel.playback?.finish?.('done');
    this.channelEvent(channel, 'StasisEnd', {});
    channel.app = undefined;
    this.note(channel, 'continued', 'back to the dialplan');
    if (this.enterNextStasis(channel)) this.note(channel, 'continued', `Stasis(${channel.app!})`);
    else this.after(channel, 50, () => this.hangup(channel, 16, false));
  }

  /**
   * An inbound call's next Stasis() lines (its failover dialplan), in turn: each whose
   * application is not active fails at once (STASISSTATUS=FAILED, noted in the transcript), and
   * the first active one takes the channel (StasisStart). False when none did: the dialplan
   * goes on to its Hangup().
   */
  enterNextStasis(channel: SimChannel): boolean {
    const next = channel.dialplanNext;
    while (next !== undefined && next.apps.length > 0) {
      const app = next.apps.shift()!;
      channel.dialplan = {
        ...channel.dialplan,
        priority: channel.dialplan.priority + 1,
        app_data: [app, ...next.args].join(','),
      };
      if (this.apps.isActive(app)) {
        channel.app = app;
        this.channelEvent(channel, 'StasisStart', { args: next.args });
        return true;
      }
      const why = this.apps.isRegistered(app) ? 'not active' : 'not registered';
      channel.variables.set('STASISSTATUS', 'FAILED');
      const then = next.apps.length > 0 ? '; the dialplan tries the next' : '';
      this.note(channel, 'continued', `Stasis(${app}) failed: app ${why}, STASISSTATUS=FAILED${then}`);
    }
    return false;
  }

  /**
   * Ends a channel. `requestedByApp` is a `DELETE /channels/{id}` (reported as cause 32, soft);
   * otherwise the far end hung up with `cause`. Event order follows the recorded traces:
   * hangup request, media finishing, leaving the bridge, StasisEnd, then ChannelDestroyed for
   * channels the application originated.
   */
  hangup(channel: SimChannel, cause: number, requestedByApp: boolean): void {
    if (channel.gone) return;
    channel.gone = true;
    for (const timer of channel.timers) clearTimeout(timer);
    channel.timers.clear();
    if (channel.name.startsWith('PJSIP/') && channel.state === 'Up') this.rtpQualityVariables(channel);
    this.channelEvent(
      channel,
      'ChannelHangupRequest',
      requestedByApp ? { cause: 32, soft: true } : { cause },
    );
    const wasRinging = channel.state !== 'Up' && channel.dialstring !== undefined;
    if (wasRinging) {
      this.publish(channel.subscribedApp, 'Dial', {
        dialstatus: 'NOANSWER',
        forward: '',
        dialstring: channel.dialstring,
        peer: this.channelJson(channel),
      });
    }
    channel.playback?.finish?.('failed');
    channel.recording?.finish?.('done', false);
    for (const command of channel.queue.splice(0)) command.cancel?.();
    if (channel.bridgeId !== undefined) this.emit('channel-leaving-bridge', channel);
    if (channel.app !== undefined) {
      this.channelEvent(channel, 'StasisEnd', {});
      channel.app = undefined;
    }
    const finalCause = requestedByApp ? (cause === 32 ? 16 : cause) : cause;
    if (channel.subscribedApp !== undefined) {
      this.channelEvent(channel, 'ChannelDestroyed', {
        cause: finalCause,
        cause_txt: CAUSE_TEXT[finalCause] ?? 'Unknown',
      });
    }
    this.note(channel, 'ended', `cause ${finalCause}`);
    this.forget(channel, finalCause);
  }

  /** The channel no longer exists; a deactivated app that held nothing else leaves the registry. */
  forget(channel: SimChannel, cause: number): void {
    this.channels.delete(channel.id);
    channel.resolveEnded(cause);
    this.wake(channel);
    this.emit('channel-gone', channel);
    // res_stasis.c:stasis_app_exec ends with cleanup() once a channel leaves the application.
    this.apps.cleanup();
  }

  /** What real PJSIP channels set as they hang up; clients see these ChannelVarset events. */
  private rtpQualityVariables(channel: SimChannel): void {
    for (const variable of [
      'RTPAUDIOQOS',
      'RTPAUDIOQOSJITTER',
      'RTPAUDIOQOSLOSS',
      'RTPAUDIOQOSRTT',
      'RTPAUDIOQOSMES',
    ]) {
      this.channelEvent(channel, 'ChannelVarset', { variable, value: '' });
    }
  }

  /** Stops every timer and ends every channel without events: the simulator is shutting down. */
  stop(): void {
    this.stopped = true;
    for (const channel of this.channels.values()) {
      for (const timer of channel.timers) clearTimeout(timer);
      channel.gone = true;
      channel.resolveEnded(16);
    }
    this.channels.clear();
  }
}
