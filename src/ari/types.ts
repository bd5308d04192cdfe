/**
 * ARI's JSON as the generated model declares it (src/ari/model/types.gen.ts, made by
 * `npm run ari:model` from Asterisk 22's declarations): the daemon and the simulator share these
 * shapes, so neither can misspell a field.
 */
import type { AnyEvent, Bridge, Channel, LiveRecording, Playback } from './model/types.gen';

export type AriChannel = Channel;
export type AriPlayback = Playback;
export type AriLiveRecording = LiveRecording;
export type AriBridge = Bridge;
/** Every event Asterisk 22 declares, discriminated by `type`. */
export type AriEvent = AnyEvent;
export type AriEventOf<T extends AriEvent['type']> = Extract<AriEvent, { type: T }>;

/** The channel an event is about, when it names one (as `channel`, or a Dial's `peer`). */
export function eventChannel(event: AriEvent): Channel | undefined {
  if ('channel' in event && event.channel !== undefined) return event.channel;
  if (event.type === 'Dial') return event.peer;
  return undefined;
}

/** The `channel:<id>` a playback or recording event targets. */
export function eventMediaTarget(event: AriEvent): string | undefined {
  if ('playback' in event) return event.playback.target_uri;
  if ('recording' in event) return event.recording.target_uri;
  return undefined;
}

/** A REST request Asterisk refused or never answered. `status` is known when Asterisk answered. */
export class AriRequestError extends Error {
  constructor(
    readonly operation: string,
    message: string,
    readonly status: number | undefined,
    readonly timedOut = false,
  ) {
    super(`${operation}: ${message}`);
    this.name = 'AriRequestError';
  }

  /** The channel, playback, bridge or recording no longer exists (the caller hung up, most often). */
  get notFound(): boolean {
    return this.status === 404 || /not found/i.test(this.message);
  }
}

export interface OriginateRequest {
  endpoint: string;
  app: string;
  appArgs: string;
  callerId?: string;
  timeout: number;
  channelId: string;
  originator?: string;
  variables?: Record<string, string>;
}

export interface RecordRequest {
  name: string;
  format: string;
  maxDurationSeconds: number;
  maxSilenceSeconds: number;
  beep: boolean;
  terminateOn: string;
  ifExists: 'fail' | 'overwrite' | 'append';
}

/**
 * Everything the call flow asks of Asterisk. Implemented by AriHttpPort over REST; every
 * method rejects with AriRequestError, after the configured timeout at the latest.
 */
export interface AriPort {
  answer(channelId: string): Promise<void>;
  /** Leaves the application: Asterisk runs the dialplan after the Stasis() line. */
  continueInDialplan(channelId: string): Promise<void>;
  hangup(
    channelId: string,
    reason?: 'normal' | 'busy' | 'no_answer' | 'rejected' | 'answered_elsewhere',
  ): Promise<void>;
  play(channelId: string, media: string[], playbackId: string, language?: string): Promise<void>;
  stopPlayback(playbackId: string): Promise<void>;
  record(channelId: string, request: RecordRequest): Promise<void>;
  stopRecording(name: string): Promise<void>;
  storedRecordingFile(name: string): Promise<Buffer>;
  deleteStoredRecording(name: string): Promise<void>;
  startRinging(channelId: string): Promise<void>;
  stopRinging(channelId: string): Promise<void>;
  startMoh(channelId: string, mohClass: string): Promise<void>;
  stopMoh(channelId: string): Promise<void>;
  originate(request: OriginateRequest): Promise<AriChannel>;
  createBridge(bridgeId: string, name: string): Promise<void>;
  addToBridge(bridgeId: string, channelIds: string[]): Promise<void>;
  removeFromBridge(bridgeId: string, channelIds: string[]): Promise<void>;
  destroyBridge(bridgeId: string): Promise<void>;
  getChannel(channelId: string): Promise<AriChannel>;
  getPlayback(playbackId: string): Promise<AriPlayback>;
  getLiveRecording(name: string): Promise<AriLiveRecording>;
  setVariable(channelId: string, variable: string, value: string): Promise<void>;
  getVariable(channelId: string, variable: string): Promise<string>;
  listEndpoints(): Promise<Array<{ technology: string; resource: string; state: string }>>;
  applicationChannels(app: string): Promise<string[]>;
  /** What the application holds: the channels in it and the bridges it made. */
  getApplication(app: string): Promise<{ channel_ids: string[]; bridge_ids: string[] }>;
  listChannels(): Promise<AriChannel[]>;
  listBridges(): Promise<AriBridge[]>;
  /**
   * The same port for one call (its key: the caller's channel id): every request made through it
   * reaches Asterisk in the order it was made, on whichever connection carries the call.
   */
  forCall(key: string): AriPort;
}
