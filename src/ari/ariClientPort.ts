/**
 * AriPort over `ari-client`. Every request gets a timeout (ari-client has none), and failures
 * become AriRequestError with the status when it can be known.
 *
 * Recording files are downloaded with a plain HTTP GET: ari-client's generated client hands
 * binary bodies through a UTF-8 string, which corrupts audio.
 */
import type {
  AriChannel,
  AriLiveRecording,
  AriPlayback,
  AriPort,
  OriginateRequest,
  RecordRequest,
} from './types';
import { AriRequestError } from './types';

type Operation = (params: Record<string, unknown>) => Promise<unknown>;

/** The slice of an ari-client Client this module uses. */
export interface AriClientLike {
  channels: Record<string, Operation>;
  bridges: Record<string, Operation>;
  playbacks: Record<string, Operation>;
  recordings: Record<string, Operation>;
  endpoints: Record<string, Operation>;
  applications: Record<string, Operation>;
}

export interface ClientPortOptions {
  baseUrl: string;
  username: string;
  password: string;
  timeoutMs: number;
}

function messageOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  try {
    const parsed = JSON.parse(text) as { message?: string; error?: string };
    return parsed.message ?? parsed.error ?? text;
  } catch {
    return text;
  }
}

export class AriClientPort implements AriPort {
  constructor(
    private readonly client: AriClientLike,
    private readonly options: ClientPortOptions,
  ) {}

  private call<T>(
    name: string,
    operation: Operation | undefined,
    params: Record<string, unknown>,
  ): Promise<T> {
    if (operation === undefined)
      return Promise.reject(new AriRequestError(name, 'operation not offered by this Asterisk', undefined));
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new AriRequestError(
              name,
              `no answer from Asterisk within ${this.options.timeoutMs} ms`,
              undefined,
              true,
            ),
          ),
        this.options.timeoutMs,
      );
      operation(params).then(
        (result) => {
          clearTimeout(timer);
          resolve(result as T);
        },
        (error: unknown) => {
          clearTimeout(timer);
          const message = messageOf(error);
          const status = /not found/i.test(message)
            ? 404
            : /allocation failed/i.test(message)
              ? 500
              : undefined;
          reject(new AriRequestError(name, message, status));
        },
      );
    });
  }

  answer(channelId: string): Promise<void> {
    return this.call('answer', this.client.channels['answer'], { channelId });
  }
  hangup(channelId: string, reason = 'normal'): Promise<void> {
    return this.call('hangup', this.client.channels['hangup'], { channelId, reason });
  }
  play(channelId: string, media: string[], playbackId: string, language?: string): Promise<void> {
    return this.call('play', this.client.channels['playWithId'], {
      channelId,
      playbackId,
      media: media.join(','),
      ...(language === undefined ? {} : { lang: language }),
    });
  }
  stopPlayback(playbackId: string): Promise<void> {
    return this.call('stopPlayback', this.client.playbacks['stop'], { playbackId });
  }
  record(channelId: string, request: RecordRequest): Promise<void> {
    return this.call('record', this.client.channels['record'], { channelId, ...request });
  }
  stopRecording(name: string): Promise<void> {
    return this.call('stopRecording', this.client.recordings['stop'], { recordingName: name });
  }
  async storedRecordingFile(name: string): Promise<Buffer> {
    const url = `${this.options.baseUrl}/ari/recordings/stored/${encodeURIComponent(name)}/file`;
    const auth = Buffer.from(`${this.options.username}:${this.options.password}`).toString('base64');
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { Authorization: `Basic ${auth}` },
        signal: AbortSignal.timeout(this.options.timeoutMs * 3),
      });
    } catch (error) {
      throw new AriRequestError(
        'storedRecordingFile',
        (error as Error).message,
        undefined,
        (error as Error).name === 'TimeoutError',
      );
    }
    const body = Buffer.from(await response.arrayBuffer());
    if (!response.ok)
      throw new AriRequestError(
        'storedRecordingFile',
        messageOf(new Error(body.toString('utf8'))),
        response.status,
      );
    return body;
  }
  deleteStoredRecording(name: string): Promise<void> {
    return this.call('deleteStoredRecording', this.client.recordings['deleteStored'], {
      recordingName: name,
    });
  }
  startRinging(channelId: string): Promise<void> {
    return this.call('startRinging', this.client.channels['ring'], { channelId });
  }
  stopRinging(channelId: string): Promise<void> {
    return this.call('stopRinging', this.client.channels['ringStop'], { channelId });
  }
  startMoh(channelId: string, mohClass: string): Promise<void> {
    return this.call('startMoh', this.client.channels['startMoh'], { channelId, mohClass });
  }
  stopMoh(channelId: string): Promise<void> {
    return this.call('stopMoh', this.client.channels['stopMoh'], { channelId });
  }
  originate(request: OriginateRequest): Promise<AriChannel> {
    const { variables, ...rest } = request;
    return this.call('originate', this.client.channels['originate'], {
      ...rest,
      ...(variables ? { variables } : {}),
    });
  }
  createBridge(bridgeId: string, name: string): Promise<void> {
    return this.call('createBridge', this.client.bridges['createWithId'], { bridgeId, type: 'mixing', name });
  }
  addToBridge(bridgeId: string, channelIds: string[]): Promise<void> {
    return this.call('addToBridge', this.client.bridges['addChannel'], {
      bridgeId,
      channel: channelIds.join(','),
    });
  }
  removeFromBridge(bridgeId: string, channelIds: string[]): Promise<void> {
    return this.call('removeFromBridge', this.client.bridges['removeChannel'], {
      bridgeId,
      channel: channelIds.join(','),
    });
  }
  destroyBridge(bridgeId: string): Promise<void> {
    return this.call('destroyBridge', this.client.bridges['destroy'], { bridgeId });
  }
  getChannel(channelId: string): Promise<AriChannel> {
    return this.call('getChannel', this.client.channels['get'], { channelId });
  }
  getPlayback(playbackId: string): Promise<AriPlayback> {
    return this.call('getPlayback', this.client.playbacks['get'], { playbackId });
  }
  getLiveRecording(name: string): Promise<AriLiveRecording> {
    return this.call('getLiveRecording', this.client.recordings['getLive'], { recordingName: name });
  }
  setVariable(channelId: string, variable: string, value: string): Promise<void> {
    return this.call('setVariable', this.client.channels['setChannelVar'], { channelId, variable, value });
  }
  async getVariable(channelId: string, variable: string): Promise<string> {
    const result = await this.call<{ value: string }>('getVariable', this.client.channels['getChannelVar'], {
      channelId,
      variable,
    });
    return result.value;
  }
  listEndpoints(): Promise<Array<{ technology: string; resource: string; state: string }>> {
    return this.call('listEndpoints', this.client.endpoints['list'], {});
  }
  async applicationChannels(app: string): Promise<string[]> {
    const result = await this.call<{ channel_ids: string[] }>(
      'applicationChannels',
      this.client.applications['get'],
      { applicationName: app },
    );
    return result.channel_ids;
  }
}
