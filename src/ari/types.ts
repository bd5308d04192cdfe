/** The parts of ARI's JSON the daemon reads; Asterisk sends more. */
export interface AriChannel {
  id: string;
  name: string;
  state: string;
  caller: { name: string; number: string };
  connected: { name: string; number: string };
  dialplan: { context: string; exten: string; priority: number; app_name?: string; app_data?: string };
  creationtime: string;
  language: string;
}

export interface AriPlayback {
  id: string;
  media_uri: string;
  target_uri: string;
  state: string;
}

export interface AriLiveRecording {
  name: string;
  format: string;
  state: string;
  target_uri: string;
  duration?: number;
  talking_duration?: number;
  silence_duration?: number;
  cause?: string;
}

export interface AriBridge {
  id: string;
  channels: string[];
}

export interface AriEvent {
  type: string;
  timestamp?: string;
  application?: string;
  channel?: AriChannel;
  playback?: AriPlayback;
  recording?: AriLiveRecording;
  bridge?: AriBridge;
  peer?: AriChannel;
  args?: string[];
  digit?: string;
  cause?: number;
  soft?: boolean;
  dialstatus?: string;
  variable?: string;
  value?: string;
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
 * Everything the call flow asks of Asterisk. Implemented over ari-client in production; every
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
}
