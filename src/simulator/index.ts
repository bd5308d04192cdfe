/**
 * A simulated Asterisk 22 that speaks ARI over real HTTP and WebSocket on loopback. Tests, the
 * benchmark and `lcr demo` drive the daemon against it:
 *
 *   const sim = await AsteriskSimulator.start({ timeScale: 0.1 });
 *   sim.phone('PJSIP/alice', { kind: 'answer', ringMs: 3000, then: [{ waitFor: 'playback' }, { press: '1' }] });
 *   const call = sim.call({ to: '+15550100', from: '+15551230001', steps: [{ waitFor: 'playback' }, { press: '2' }] });
 *   await call.ended;
 */
import { placeInboundCall, pressDigit, runSteps, type InboundCall } from './actors';
import { Bridges, bridgeJson } from './bridges';
import { SimAsterisk } from './engine';
import { DefaultCatalog, failingRecordings } from './media';
import type { SimChannel, TranscriptEntry } from './model';
import { restHandlers } from './rest';
import type { PhoneBehaviour, Step } from './script';
import { AriHttpServer } from './server';
import { AriSpec, defaultAriModel, withoutRestOverWebSocket } from './spec';
import { modelFromDeclarations, readDeclarations } from '../ari/model/fromDeclarations';

export type { PhoneBehaviour, Step } from './script';
export type { TranscriptEntry } from './model';

export interface SimulatorOptions {
  username?: string;
  password?: string;
  port?: number;
  timeScale?: number;
  /** A folder of another Asterisk's ARI declarations to serve and enforce instead of the model. */
  docsDir?: string;
  /**
   * How long Asterisk takes to put one channel into a bridge, in simulated ms (scaled by
   * timeScale like every other duration); the channel's command queue is busy meanwhile. Default 2.
   */
  joinMs?: number;
  /**
   * false: an Asterisk older than 20.14 / 21.9 / 22.4, without REST over the event WebSocket (its
   * events.json declares no RESTRequest, and it reads and ignores what a client sends there).
   */
  restOverWebSocket?: boolean;
}

export interface CallHandle {
  channelId: string;
  /** Resolves with the hangup cause when the caller's channel is gone. */
  ended: Promise<number>;
  transcript: TranscriptEntry[];
}

let defaultSpec: AriSpec | undefined;

export class AsteriskSimulator {
  readonly engine: SimAsterisk;
  readonly catalog: DefaultCatalog;
  private readonly server: AriHttpServer;
  private readonly bridges: Bridges;
  /** The modelled time for one channel to join a bridge, in simulated ms (see SimulatorOptions). */
  readonly joinMs: number;
  /** Every channel that ever existed, for transcripts after the fact. */
  private readonly history = new Map<string, SimChannel>();

  private constructor(
    options: SimulatorOptions,
    readonly username: string,
    readonly password: string,
  ) {
    const restOverWebSocket = options.restOverWebSocket ?? true;
    const spec =
      options.docsDir !== undefined
        ? new AriSpec(modelFromDeclarations(readDeclarations(options.docsDir)))
        : restOverWebSocket
          ? (defaultSpec ??= new AriSpec())
          : new AriSpec(withoutRestOverWebSocket(defaultAriModel()));
    this.engine = new SimAsterisk({ timeScale: options.timeScale ?? 1 });
    this.catalog = new DefaultCatalog(this.engine);
    this.joinMs = options.joinMs ?? 2;
    const bridges = new Bridges(this.engine, this.joinMs);
    this.bridges = bridges;
    this.server = new AriHttpServer(this.engine, spec, restHandlers(this.engine, bridges, this.catalog), {
      username,
      password,
      restOverWebSocket,
      ...(options.port === undefined ? {} : { port: options.port }),
    });
    this.engine.on('channel-gone', (channel: SimChannel) => this.history.set(channel.id, channel));
    // Every event must be one the model declares, field for field: what a real Asterisk would send.
    this.engine.on('event', (event: Record<string, unknown>) => {
      for (const problem of spec.checkEvent(event)) this.server.violations.push(`event ${problem}`);
    });
  }

  url = '';

  static async start(options: SimulatorOptions = {}): Promise<AsteriskSimulator> {
    const sim = new AsteriskSimulator(options, options.username ?? 'lcr', options.password ?? 'lcr-secret');
    sim.url = await sim.server.listen();
    return sim;
  }

  async stop(): Promise<void> {
    this.engine.stop();
    await this.server.close();
  }

  /** Registers how a phone behaves when the daemon rings it. */
  phone(endpoint: string, behaviour: PhoneBehaviour): void {
    this.engine.phones.set(endpoint, behaviour);
  }

  /**
   * A caller dials `to` from `from`; their steps run once the call is answered. With no active
   * WebSocket for the app, Stasis() fails and the dialplan hangs the call up (see its transcript).
   */
  call(call: InboundCall): CallHandle {
    const channel = placeInboundCall(this.engine, call);
    return { channelId: channel.id, ended: channel.ended, transcript: channel.transcript };
  }

  /** Makes the person on a live channel do more (press keys, hang up...). */
  act(channelId: string, steps: Step[]): Promise<void> {
    const channel = this.engine.channels.get(channelId);
    return channel === undefined ? Promise.resolve() : runSteps(this.engine, channel, steps);
  }

  press(channelId: string, digits: string): void {
    const channel = this.engine.channels.get(channelId);
    if (channel) for (const digit of digits) pressDigit(this.engine, channel, digit);
  }

  /** The next recording started on this channel fails on Asterisk's side (RecordingFailed). */
  failNextRecording(channelId: string): void {
    const channel = this.engine.channels.get(channelId);
    if (channel) failingRecordings.add(channel);
  }

  /** Makes an operation ("channels.answer") answer only after `ms`, or normally again with undefined. */
  stall(operation: string, ms: number | undefined): void {
    if (ms === undefined) this.server.pipeline.stalls.delete(operation);
    else this.server.pipeline.stalls.set(operation, ms);
  }

  /**
   * Delays every request read on a TCP connection (numbered 1.. in accept order, as in
   * `requests[].connection`) by the returned ms before it is checked and handled, while other
   * connections go on: requests sent in one order can then reach Asterisk in another. Applies to
   * RESTRequests on a WebSocket too (its connection's number). Return 0 for no delay.
   */
  delayConnections(delay: (connectionNumber: number) => number): void {
    this.server.pipeline.connectionDelay = delay;
  }

  /**
   * Every bridge join that reached its channel's queue while a playback or recording was playing
   * or queued there, with how long (real ms) it waited for its turn.
   */
  get joinsBehindMedia(): ReadonlyArray<{ channelId: string; bridgeId: string; waitedMs: number }> {
    return this.bridges.joinsBehindMedia;
  }

  /** Requests still held by stall() (an unstall does not release them early). */
  get stalledRequests(): number {
    return this.server.pipeline.stalled;
  }

  /**
   * Cuts every event WebSocket (TCP reset, no close frame), as a network cut or a killed daemon
   * does, and refuses new ones for `refuseForMs`. The application is only deactivated: its
   * channels, bridges, playbacks and recordings stay, their events are lost until it reconnects.
   */
  dropWebSockets(refuseForMs = 0): void {
    this.server.dropWebSockets(refuseForMs);
  }

  /** Closes every event WebSocket cleanly (close frame 1001), as a daemon exiting would; reconnecting is allowed at once. */
  closeWebSockets(): void {
    this.server.closeWebSockets();
  }

  /** Refuses new event WebSockets (503) for `ms` without touching the open ones. */
  refuseWebSockets(ms: number): void {
    this.server.refuseWebSocketsUntil = Date.now() + ms;
  }

  /** The Stasis application as Asterisk holds it: registered, active (a WebSocket is its handler), and what it holds. */
  application(name = 'lcr'): {
    registered: boolean;
    active: boolean;
    channelIds: string[];
    bridgeIds: string[];
  } {
    return {
      registered: this.engine.apps.isRegistered(name),
      active: this.engine.apps.isActive(name),
      channelIds: this.engine.appChannelIds(name),
      bridgeIds: this.engine.appBridgeIds(name),
    };
  }

  /** Open event WebSockets, whatever their applications (a daemon opens extra ones for REST). */
  get connectedWebSockets(): number {
    return this.server.connectedSockets;
  }

  /** Cuts the event WebSockets subscribed to `app` only (one of a daemon's REST sockets). */
  dropWebSocketsOf(app: string): void {
    this.server.dropWebSocketsOf(app);
  }

  /** Open event WebSockets subscribed to `app`. */
  webSocketsOf(app: string): number {
    return this.server.socketsOf(app);
  }

  transcript(channelId: string): TranscriptEntry[] {
    return (this.engine.channels.get(channelId) ?? this.history.get(channelId))?.transcript ?? [];
  }

  /** Channels the daemon originated (responder legs), live or ended, by their dial string. */
  legs(): Array<{ channelId: string; dialstring: string; callerId: string; transcript: TranscriptEntry[] }> {
    return [...this.history.values(), ...this.engine.channels.values()]
      .filter((c) => c.subscribedApp !== undefined)
      .map((c) => ({
        channelId: c.id,
        dialstring: c.dialstring ?? '',
        callerId: `${c.caller.name} <${c.caller.number}>`,
        transcript: c.transcript,
      }));
  }

  /** What is still alive in Asterisk: after a test, both lists must be empty. */
  leftovers(): { channels: string[]; bridges: string[] } {
    return {
      channels: [...this.engine.channels.values()].map((c) => `${c.id} ${c.name} ${c.state}`),
      bridges: [...this.engine.bridges.values()].map((b) => JSON.stringify(bridgeJson(b))),
    };
  }

  get requests() {
    return this.server.requests;
  }

  get violations(): string[] {
    return this.server.violations;
  }

  get events() {
    return this.engine.eventLog;
  }

  /** Turns off the request and event logs, for long benchmark runs. */
  set logging(enabled: boolean) {
    this.server.pipeline.keepRequestLog = enabled;
    this.engine.keepEventLog = enabled;
  }
}
