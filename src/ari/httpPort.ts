/**
 * AriPort over plain HTTP with a keep-alive agent: ARI's REST side, request by request.
 *
 * Why not ari-client's generated operations: they cost about a millisecond of CPU per request
 * (swagger-client builds each one through several layers), they hide the HTTP status behind a
 * message string, and they pass binary bodies through a UTF-8 string, which corrupts audio.
 * ari-client still does what it is good at: API discovery, the event WebSocket, reconnection
 * (see connection.ts). Every request here times out; failures are AriRequestError with status.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type {
  AriBridge,
  AriChannel,
  AriLiveRecording,
  AriPlayback,
  AriPort,
  OriginateRequest,
  RecordRequest,
} from './types';
import { AriRequestError } from './types';

export interface HttpPortOptions {
  baseUrl: string;
  username: string;
  password: string;
  timeoutMs: number;
}

type Query = Record<string, string | number | boolean | undefined>;

const segment = encodeURIComponent;

export class AriHttpPort implements AriPort {
  private readonly base: URL;
  private readonly client: typeof http | typeof https;
  private readonly agent: http.Agent;
  private readonly authorization: string;

  constructor(private readonly options: HttpPortOptions) {
    this.base = new URL(options.baseUrl);
    this.client = this.base.protocol === 'https:' ? https : http;
    this.agent = new this.client.Agent({ keepAlive: true, maxSockets: 64 });
    this.authorization = `Basic ${Buffer.from(`${options.username}:${options.password}`).toString('base64')}`;
  }

  close(): void {
    this.agent.destroy();
  }

  private request<T>(
    operation: string,
    method: string,
    path: string,
    query: Query = {},
    body?: unknown,
    binary = false,
  ): Promise<T> {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined) search.set(key, String(value));
    const text = body === undefined ? undefined : JSON.stringify(body);
    const headers: http.OutgoingHttpHeaders = { Authorization: this.authorization };
    if (text !== undefined)
      Object.assign(headers, {
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(text),
      });
    return new Promise<T>((resolve, reject) => {
      const request = this.client.request(
        {
          protocol: this.base.protocol,
          hostname: this.base.hostname,
          port: this.base.port,
          method,
          path: `${this.base.pathname.replace(/\/$/, '')}/ari${path}${search.size > 0 ? `?${search}` : ''}`,
          headers,
          agent: this.agent,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            clearTimeout(timer);
            const data = Buffer.concat(chunks);
            const status = response.statusCode ?? 0;
            if (status >= 200 && status < 300) {
              if (binary) return resolve(data as T);
              return resolve((data.length > 0 ? JSON.parse(data.toString('utf8')) : undefined) as T);
            }
            let message = data.toString('utf8');
            try {
              const parsed = JSON.parse(message) as { message?: string; error?: string };
              message = parsed.message ?? parsed.error ?? message;
            } catch {
              // Not JSON: keep the text.
            }
            reject(new AriRequestError(operation, message || `HTTP ${status}`, status));
          });
          response.on('error', (error) => reject(new AriRequestError(operation, error.message, undefined)));
        },
      );
      const timer = setTimeout(() => {
        request.destroy();
        reject(
          new AriRequestError(
            operation,
            `no answer from Asterisk within ${this.options.timeoutMs} ms`,
            undefined,
            true,
          ),
        );
      }, this.options.timeoutMs);
      request.on('error', (error) => {
        clearTimeout(timer);
        reject(new AriRequestError(operation, error.message, undefined));
      });
      request.end(text);
    });
  }

  answer(channelId: string): Promise<void> {
    return this.request('answer', 'POST', `/channels/${segment(channelId)}/answer`);
  }
  continueInDialplan(channelId: string): Promise<void> {
    return this.request('continue', 'POST', `/channels/${segment(channelId)}/continue`);
  }
  hangup(channelId: string, reason = 'normal'): Promise<void> {
    return this.request('hangup', 'DELETE', `/channels/${segment(channelId)}`, { reason });
  }
  play(channelId: string, media: string[], playbackId: string, language?: string): Promise<void> {
    return this.request('play', 'POST', `/channels/${segment(channelId)}/play/${segment(playbackId)}`, {
      media: media.join(','),
      lang: language,
    });
  }
  stopPlayback(playbackId: string): Promise<void> {
    return this.request('stopPlayback', 'DELETE', `/playbacks/${segment(playbackId)}`);
  }
  record(channelId: string, request: RecordRequest): Promise<void> {
    return this.request('record', 'POST', `/channels/${segment(channelId)}/record`, { ...request });
  }
  stopRecording(name: string): Promise<void> {
    return this.request('stopRecording', 'POST', `/recordings/live/${segment(name)}/stop`);
  }
  storedRecordingFile(name: string): Promise<Buffer> {
    return this.request(
      'storedRecordingFile',
      'GET',
      `/recordings/stored/${segment(name)}/file`,
      {},
      undefined,
      true,
    );
  }
  deleteStoredRecording(name: string): Promise<void> {
    return this.request('deleteStoredRecording', 'DELETE', `/recordings/stored/${segment(name)}`);
  }
  startRinging(channelId: string): Promise<void> {
    return this.request('startRinging', 'POST', `/channels/${segment(channelId)}/ring`);
  }
  stopRinging(channelId: string): Promise<void> {
    return this.request('stopRinging', 'DELETE', `/channels/${segment(channelId)}/ring`);
  }
  startMoh(channelId: string, mohClass: string): Promise<void> {
    return this.request('startMoh', 'POST', `/channels/${segment(channelId)}/moh`, { mohClass });
  }
  stopMoh(channelId: string): Promise<void> {
    return this.request('stopMoh', 'DELETE', `/channels/${segment(channelId)}/moh`);
  }
  originate(request: OriginateRequest): Promise<AriChannel> {
    const { variables, ...query } = request;
    return this.request(
      'originate',
      'POST',
      '/channels',
      { ...query },
      variables === undefined ? undefined : { variables },
    );
  }
  createBridge(bridgeId: string, name: string): Promise<void> {
    return this.request('createBridge', 'POST', `/bridges/${segment(bridgeId)}`, { type: 'mixing', name });
  }
  addToBridge(bridgeId: string, channelIds: string[]): Promise<void> {
    return this.request('addToBridge', 'POST', `/bridges/${segment(bridgeId)}/addChannel`, {
      channel: channelIds.join(','),
    });
  }
  removeFromBridge(bridgeId: string, channelIds: string[]): Promise<void> {
    return this.request('removeFromBridge', 'POST', `/bridges/${segment(bridgeId)}/removeChannel`, {
      channel: channelIds.join(','),
    });
  }
  destroyBridge(bridgeId: string): Promise<void> {
    return this.request('destroyBridge', 'DELETE', `/bridges/${segment(bridgeId)}`);
  }
  getChannel(channelId: string): Promise<AriChannel> {
    return this.request('getChannel', 'GET', `/channels/${segment(channelId)}`);
  }
  getPlayback(playbackId: string): Promise<AriPlayback> {
    return this.request('getPlayback', 'GET', `/playbacks/${segment(playbackId)}`);
  }
  getLiveRecording(name: string): Promise<AriLiveRecording> {
    return this.request('getLiveRecording', 'GET', `/recordings/live/${segment(name)}`);
  }
  setVariable(channelId: string, variable: string, value: string): Promise<void> {
    return this.request('setVariable', 'POST', `/channels/${segment(channelId)}/variable`, {
      variable,
      value,
    });
  }
  async getVariable(channelId: string, variable: string): Promise<string> {
    const result = await this.request<{ value: string }>(
      'getVariable',
      'GET',
      `/channels/${segment(channelId)}/variable`,
      { variable },
    );
    return result.value;
  }
  /** An Asterisk global variable; "" when it is not set (Asterisk answers so). */
  async getGlobalVariable(variable: string): Promise<string> {
    const result = await this.request<{ value: string }>('getGlobalVar', 'GET', '/asterisk/variable', {
      variable,
    });
    return result.value;
  }
  /** An empty value unsets it. */
  setGlobalVariable(variable: string, value: string): Promise<void> {
    return this.request('setGlobalVar', 'POST', '/asterisk/variable', { variable, value });
  }
  listEndpoints(): Promise<Array<{ technology: string; resource: string; state: string }>> {
    return this.request('listEndpoints', 'GET', '/endpoints');
  }
  async applicationChannels(app: string): Promise<string[]> {
    const result = await this.request<{ channel_ids: string[] }>(
      'applicationChannels',
      'GET',
      `/applications/${segment(app)}`,
    );
    return result.channel_ids;
  }
  getApplication(app: string): Promise<{ channel_ids: string[]; bridge_ids: string[] }> {
    return this.request('getApplication', 'GET', `/applications/${segment(app)}`);
  }
  listChannels(): Promise<AriChannel[]> {
    return this.request('listChannels', 'GET', '/channels');
  }
  listBridges(): Promise<AriBridge[]> {
    return this.request('listBridges', 'GET', '/bridges');
  }
}
