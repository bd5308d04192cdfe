/**
 * The AriPort operations as ARI REST requests, over whichever RestTransport carries them. Each
 * request names the channels and bridges it acts on (its lanes), so a transport whose requests
 * can overtake each other still delivers each channel's commands in the order they were issued.
 *
 * Why not ari-client's generated operations: they cost about a millisecond of CPU per request
 * (swagger-client builds each one through several layers), they hide the HTTP status behind a
 * message string, and they pass binary bodies through a UTF-8 string, which corrupts audio.
 */
import type { RestCall, RestTransport } from './transport';
import type {
  AriBridge,
  AriChannel,
  AriLiveRecording,
  AriPlayback,
  AriPort,
  OriginateRequest,
  RecordRequest,
} from './types';

const segment = encodeURIComponent;
const channel = (id: string): string => `channel:${id}`;
const bridge = (id: string): string => `bridge:${id}`;
const recording = (name: string): string => `recording:${name}`;

/** Playback ids the call flow makes carry their channel (session.ts nextId): its lane. */
export function playbackLanes(playbackId: string): string[] {
  const match = /^lcr-pb-(.+)-[^-]+$/.exec(playbackId);
  return match === null ? [`playback:${playbackId}`] : [channel(match[1]!), `playback:${playbackId}`];
}

export class AriRestPort implements AriPort {
  constructor(
    private readonly transport: RestTransport,
    private readonly affinity?: string,
  ) {}

  forCall(key: string): AriPort {
    return new AriRestPort(this.transport, key);
  }

  private call<T = void>(request: RestCall): Promise<T> {
    return this.transport.send<T>(
      this.affinity === undefined ? request : { ...request, affinity: this.affinity },
    );
  }

  private onChannel<T = void>(
    operation: string,
    method: RestCall['method'],
    channelId: string,
    suffix = '',
    query?: RestCall['query'],
  ): Promise<T> {
    return this.call<T>({
      operation,
      method,
      path: `/channels/${segment(channelId)}${suffix}`,
      ...(query === undefined ? {} : { query }),
      lanes: [channel(channelId)],
    });
  }

  answer(channelId: string): Promise<void> {
    return this.onChannel('answer', 'POST', channelId, '/answer');
  }
  continueInDialplan(channelId: string): Promise<void> {
    return this.onChannel('continue', 'POST', channelId, '/continue');
  }
  hangup(channelId: string, reason = 'normal'): Promise<void> {
    return this.onChannel('hangup', 'DELETE', channelId, '', { reason });
  }
  play(channelId: string, media: string[], playbackId: string, language?: string): Promise<void> {
    return this.onChannel('play', 'POST', channelId, `/play/${segment(playbackId)}`, {
      media: media.join(','),
      lang: language,
    });
  }
  stopPlayback(playbackId: string): Promise<void> {
    return this.call({
      operation: 'stopPlayback',
      method: 'DELETE',
      path: `/playbacks/${segment(playbackId)}`,
      lanes: playbackLanes(playbackId),
    });
  }
  record(channelId: string, request: RecordRequest): Promise<void> {
    return this.call({
      operation: 'record',
      method: 'POST',
      path: `/channels/${segment(channelId)}/record`,
      query: { ...request },
      lanes: [channel(channelId), recording(request.name)],
    });
  }
  stopRecording(name: string): Promise<void> {
    return this.call({
      operation: 'stopRecording',
      method: 'POST',
      path: `/recordings/live/${segment(name)}/stop`,
      lanes: [recording(name)],
    });
  }
  storedRecordingFile(name: string): Promise<Buffer> {
    return this.call({
      operation: 'storedRecordingFile',
      method: 'GET',
      path: `/recordings/stored/${segment(name)}/file`,
      binary: true,
      lanes: [recording(name)],
    });
  }
  deleteStoredRecording(name: string): Promise<void> {
    return this.call({
      operation: 'deleteStoredRecording',
      method: 'DELETE',
      path: `/recordings/stored/${segment(name)}`,
      lanes: [recording(name)],
    });
  }
  startRinging(channelId: string): Promise<void> {
    return this.onChannel('startRinging', 'POST', channelId, '/ring');
  }
  stopRinging(channelId: string): Promise<void> {
    return this.onChannel('stopRinging', 'DELETE', channelId, '/ring');
  }
  startMoh(channelId: string, mohClass: string): Promise<void> {
    return this.onChannel('startMoh', 'POST', channelId, '/moh', { mohClass });
  }
  stopMoh(channelId: string): Promise<void> {
    return this.onChannel('stopMoh', 'DELETE', channelId, '/moh');
  }
  originate(request: OriginateRequest): Promise<AriChannel> {
    const { variables, ...query } = request;
    return this.call({
      operation: 'originate',
      method: 'POST',
      path: '/channels',
      query: { ...query },
      ...(variables === undefined ? {} : { body: { variables } }),
      lanes: request.channelId === undefined ? [] : [channel(request.channelId)],
    });
  }
  createBridge(bridgeId: string, name: string): Promise<void> {
    return this.call({
      operation: 'createBridge',
      method: 'POST',
      path: `/bridges/${segment(bridgeId)}`,
      query: { type: 'mixing', name },
      lanes: [bridge(bridgeId)],
    });
  }
  addToBridge(bridgeId: string, channelIds: string[]): Promise<void> {
    return this.call({
      operation: 'addToBridge',
      method: 'POST',
      path: `/bridges/${segment(bridgeId)}/addChannel`,
      query: { channel: channelIds.join(',') },
      lanes: [bridge(bridgeId), ...channelIds.map(channel)],
    });
  }
  removeFromBridge(bridgeId: string, channelIds: string[]): Promise<void> {
    return this.call({
      operation: 'removeFromBridge',
      method: 'POST',
      path: `/bridges/${segment(bridgeId)}/removeChannel`,
      query: { channel: channelIds.join(',') },
      lanes: [bridge(bridgeId), ...channelIds.map(channel)],
    });
  }
  destroyBridge(bridgeId: string): Promise<void> {
    return this.call({
      operation: 'destroyBridge',
      method: 'DELETE',
      path: `/bridges/${segment(bridgeId)}`,
      lanes: [bridge(bridgeId)],
    });
  }
  getChannel(channelId: string): Promise<AriChannel> {
    return this.onChannel('getChannel', 'GET', channelId);
  }
  getPlayback(playbackId: string): Promise<AriPlayback> {
    return this.call({
      operation: 'getPlayback',
      method: 'GET',
      path: `/playbacks/${segment(playbackId)}`,
      lanes: playbackLanes(playbackId),
    });
  }
  getLiveRecording(name: string): Promise<AriLiveRecording> {
    return this.call({
      operation: 'getLiveRecording',
      method: 'GET',
      path: `/recordings/live/${segment(name)}`,
      lanes: [recording(name)],
    });
  }
  setVariable(channelId: string, variable: string, value: string): Promise<void> {
    return this.onChannel('setVariable', 'POST', channelId, '/variable', { variable, value });
  }
  async getVariable(channelId: string, variable: string): Promise<string> {
    const result = await this.onChannel<{ value: string }>('getVariable', 'GET', channelId, '/variable', {
      variable,
    });
    return result.value;
  }
  /** An Asterisk global variable; "" when it is not set (Asterisk answers so). */
  async getGlobalVariable(variable: string): Promise<string> {
    const result = await this.global<{ value: string }>('getGlobalVar', 'GET', '/asterisk/variable', {
      variable,
    });
    return result.value;
  }
  /** An empty value unsets it. */
  setGlobalVariable(variable: string, value: string): Promise<void> {
    return this.global('setGlobalVar', 'POST', '/asterisk/variable', { variable, value });
  }
  listEndpoints(): Promise<Array<{ technology: string; resource: string; state: string }>> {
    return this.global('listEndpoints', 'GET', '/endpoints');
  }
  async applicationChannels(app: string): Promise<string[]> {
    const result = await this.getApplication(app);
    return result.channel_ids;
  }
  getApplication(app: string): Promise<{ channel_ids: string[]; bridge_ids: string[] }> {
    return this.global('getApplication', 'GET', `/applications/${segment(app)}`);
  }
  listChannels(): Promise<AriChannel[]> {
    return this.global('listChannels', 'GET', '/channels');
  }
  listBridges(): Promise<AriBridge[]> {
    return this.global('listBridges', 'GET', '/bridges');
  }

  private global<T = void>(
    operation: string,
    method: RestCall['method'],
    path: string,
    query?: RestCall['query'],
  ): Promise<T> {
    return this.call<T>({ operation, method, path, ...(query === undefined ? {} : { query }), lanes: [] });
  }
}
