/** State the simulated Asterisk keeps: channels, bridges, playbacks, recordings. */
import type { CallerIdJson } from './json';
import type { PhoneBehaviour, Step } from './script';

export type ChannelState = 'Down' | 'Ring' | 'Ringing' | 'Up' | 'Busy';

/** One thing the channel's control thread does; Asterisk runs them strictly one after another. */
export interface ChannelCommand {
  /** Starts the command; calls `done` when the channel may run the next one. */
  run(done: () => void): void;
  /** Called instead of `run` when the channel is gone before the command started. */
  cancel?(): void;
}

export interface SimPlayback {
  id: string;
  channelId: string;
  media: string[];
  index: number;
  /** The item at `index` has been fetched and is being heard (a caller reacts to what they hear). */
  audible?: boolean;
  language: string;
  state: 'queued' | 'playing' | 'done' | 'failed';
  finish?: (state: 'done' | 'failed') => void;
}

export interface SimRecording {
  name: string;
  format: string;
  channelId: string;
  state: 'queued' | 'recording' | 'done' | 'failed';
  startedAt: number;
  maxDurationMs: number;
  maxSilenceMs: number;
  terminateOn: string;
  /** Speech and silence as the caller produced them while recording. */
  segments: Array<{ speech: boolean; ms: number }>;
  segmentStart: number;
  /** The stored file was deleted while still recording: nothing is kept when it finishes. */
  discarded?: boolean;
  finish?: (state: 'done' | 'failed', trimTrailingSilence: boolean) => void;
}

export interface StoredRecording {
  name: string;
  format: string;
  data: Buffer;
}

export interface TranscriptEntry {
  /** Milliseconds since the channel was created, in simulated time. */
  at: number;
  /** Epoch milliseconds, to line the transcript up with the daemon's logs. */
  wallAt: number;
  kind:
    | 'answered'
    | 'played'
    | 'heard-failed'
    | 'continued'
    | 'moh'
    | 'ringing'
    | 'pressed'
    | 'spoke'
    | 'recorded'
    | 'bridged'
    | 'hangup'
    | 'ended';
  detail: string;
}

export interface SimChannel {
  id: string;
  name: string;
  state: ChannelState;
  protocolId: string;
  caller: CallerIdJson;
  connected: CallerIdJson;
  dialplan: { context: string; exten: string; priority: number; app_name: string; app_data: string };
  createdAt: number;
  language: string;
  /** The Stasis application the channel is in, if any. */
  app?: string;
  /** Originated by an application: it stays subscribed and gets ChannelDestroyed. */
  subscribedApp?: string;
  /**
   * An inbound call's failover dialplan: the Stasis() applications after the one it is in, and
   * the arguments each gets. A call handed back to the dialplan goes to the next active one.
   */
  dialplanNext?: { apps: string[]; args: string[] };
  dialstring?: string;
  variables: Map<string, string>;
  queue: ChannelCommand[];
  running: boolean;
  playback?: SimPlayback;
  recording?: SimRecording;
  bridgeId?: string;
  moh?: string;
  ringing: boolean;
  speaking: boolean;
  gone: boolean;
  timers: Set<NodeJS.Timeout>;
  transcript: TranscriptEntry[];
  /** What the simulated person at the other end does. */
  script?: Step[];
  behaviour?: PhoneBehaviour;
  /** Resolved when the channel is gone; carries the hangup cause. */
  ended: Promise<number>;
  resolveEnded: (cause: number) => void;
  /** Listeners that scripted steps use to wait for things to happen on the channel. */
  waiters: Set<() => void>;
}

export interface SimBridge {
  id: string;
  name: string;
  type: 'mixing' | 'holding';
  channels: string[];
  createdAt: number;
  app?: string;
}
