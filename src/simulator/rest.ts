/**
 * REST operations of the simulated Asterisk, by Swagger operation name. Requests reach here only
 * after they passed the declarations in spec.ts.
 */
import { RestError, type SimAsterisk } from './engine';
import type { RequestParams } from './spec';
import { play, record, recordingJson, stopPlayback, playbackJson, type MediaCatalog } from './media';
import { originate, type OriginateParams } from './originate';
import { bridgeJson, type Bridges } from './bridges';
import { HANGUP_REASONS } from './json';
import { pressDigit } from './actors';

export interface RestResult {
  status: number;
  body?: unknown;
  contentType?: string;
}

type Handler = (params: RequestParams) => RestResult | Promise<RestResult>;

const NO_CONTENT: RestResult = { status: 204 };
const str = (params: RequestParams, name: string): string | undefined => {
  const value = params[name];
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.join(',') : String(value);
};
const list = (params: RequestParams, name: string): string[] =>
  (str(params, name) ?? '').split(',').filter((x) => x !== '');

export function restHandlers(
  engine: SimAsterisk,
  bridges: Bridges,
  catalog: MediaCatalog,
): Record<string, Handler> {
  const channel = (params: RequestParams) => engine.liveChannel(str(params, 'channelId')!);
  const inStasis = (params: RequestParams) => engine.stasisChannel(str(params, 'channelId')!);
  const found = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new RestError(404, { message: `${what} not found` });
    return value;
  };
  const stored = (params: RequestParams) =>
    found(engine.storedRecordings.get(str(params, 'recordingName')!), 'Recording');
  const live = (params: RequestParams) =>
    found(engine.liveRecordings.get(str(params, 'recordingName')!), 'Recording');
  const applicationJson = (name: string) => ({
    name,
    channel_ids: engine.appChannelIds(name),
    bridge_ids: engine.appBridgeIds(name),
    endpoint_ids: [],
    device_names: [],
    events_allowed: [],
    events_disallowed: [],
  });
  const endpointJson = (endpoint: string) => {
    const [technology, resource] = endpoint.split('/') as [string, string];
    const behaviour = engine.phones.get(endpoint);
    return {
      technology,
      resource,
      state: behaviour?.kind === 'offline' ? 'offline' : 'online',
      channel_ids: [] as string[],
    };
  };
  const originateWith = (params: RequestParams): RestResult => {
    const options: OriginateParams = { endpoint: str(params, 'endpoint')! };
    for (const key of ['app', 'appArgs', 'extension', 'callerId', 'channelId', 'originator'] as const) {
      const value = str(params, key);
      if (value !== undefined) options[key] = value;
    }
    if (typeof params['timeout'] === 'number') options.timeout = params['timeout'];
    return { status: 200, body: originate(engine, options) };
  };

  /** Asterisk's global variables (the dialplan's GLOBAL()); they outlive every WebSocket, not a restart. */
  const globals = new Map<string, string>();

  const createBridge = (params: RequestParams): RestResult => ({
    status: 200,
    body: bridges.create(undefined, {
      type: str(params, 'type'),
      name: str(params, 'name'),
      bridgeId: str(params, 'bridgeId'),
    }),
  });

  return {
    'asterisk.getInfo': () => ({
      status: 200,
      body: {
        build: {
          os: 'Linux',
          kernel: 'simulated',
          machine: 'x86_64',
          options: 'OPTIONAL_API',
          date: '',
          user: 'lcr',
        },
        system: { version: '22.0.0-lcr-simulator', entity_id: engine.asteriskId },
        config: { name: '', default_language: 'en', setid: { user: '', group: '' } },
        status: { startup_time: '', last_reload_time: '' },
      },
    }),
    'asterisk.ping': () => ({
      status: 200,
      body: {
        ping: 'pong',
        timestamp: new Date().toISOString().replace('Z', '+0000'),
        asterisk_id: engine.asteriskId,
      },
    }),
    // Asterisk answers an unset variable with an empty value, not 404; no value unsets it.
    'asterisk.getGlobalVar': (params) => ({
      status: 200,
      body: { value: globals.get(str(params, 'variable')!) ?? '' },
    }),
    'asterisk.setGlobalVar': (params) => {
      const value = str(params, 'value');
      if (value === undefined) globals.delete(str(params, 'variable')!);
      else globals.set(str(params, 'variable')!, value);
      return NO_CONTENT;
    },
    'applications.list': () => ({ status: 200, body: [...engine.registeredApps].map(applicationJson) }),
    'applications.get': (params) => {
      const name = str(params, 'applicationName')!;
      if (!engine.registeredApps.has(name)) throw new RestError(404, { message: 'Application not found' });
      return { status: 200, body: applicationJson(name) };
    },
    'endpoints.list': () => ({
      status: 200,
      body: [...engine.phones.keys()].filter((e) => !e.includes('@')).map(endpointJson),
    }),
    'endpoints.get': (params) => {
      const endpoint = `${str(params, 'tech')}/${str(params, 'resource')}`;
      if (!engine.phones.has(endpoint)) throw new RestError(404, { message: 'Endpoint not found' });
      return { status: 200, body: endpointJson(endpoint) };
    },
    'channels.list': () => ({
      status: 200,
      body: [...engine.channels.values()].map((c) => engine.channelJson(c)),
    }),
    'channels.get': (params) => ({ status: 200, body: engine.channelJson(channel(params)) }),
    'channels.originate': originateWith,
    'channels.originateWithId': originateWith,
    'channels.hangup': (params) => {
      const target = channel(params);
      const reasonCode = str(params, 'reason_code');
      const reason = str(params, 'reason');
      const cause =
        reasonCode !== undefined
          ? Number(reasonCode)
          : reason !== undefined
            ? (HANGUP_REASONS[reason] ?? 16)
            : 16;
      setImmediate(() => engine.hangup(target, cause, true));
      return NO_CONTENT;
    },
    /**
     * The channel leaves the application (StasisEnd) and runs the dialplan after its Stasis()
     * line. The simulated dialplan has nothing after it but Hangup(), so the channel then ends.
     */
    'channels.continueInDialplan': async (params) => {
      const target = inStasis(params);
      await engine.runSync(target, () => engine.continueInDialplan(target));
      return NO_CONTENT;
    },
    'channels.answer': async (params) => {
      const target = inStasis(params);
      await engine.runSync(target, () => engine.answer(target));
      return NO_CONTENT;
    },
    'channels.ring': async (params) => {
      const target = inStasis(params);
      await engine.runSync(target, () => {
        target.ringing = true;
        engine.note(target, 'ringing', 'ringback');
      });
      return NO_CONTENT;
    },
    'channels.ringStop': async (params) => {
      const target = inStasis(params);
      await engine.runSync(target, () => (target.ringing = false));
      return NO_CONTENT;
    },
    'channels.startMoh': async (params) => {
      const target = inStasis(params);
      await engine.runSync(target, () => {
        target.moh = str(params, 'mohClass') ?? 'default';
        engine.note(target, 'moh', target.moh);
      });
      return NO_CONTENT;
    },
    'channels.stopMoh': async (params) => {
      const target = inStasis(params);
      await engine.runSync(target, () => (target.moh = undefined));
      return NO_CONTENT;
    },
    'channels.play': (params) => ({
      status: 201,
      body: play(engine, catalog, inStasis(params), list(params, 'media')),
    }),
    'channels.playWithId': (params) => ({
      status: 201,
      body: play(engine, catalog, inStasis(params), list(params, 'media'), str(params, 'playbackId')),
    }),
    'channels.record': (params) => {
      const options: Parameters<typeof record>[2] = {};
      for (const key of ['name', 'format', 'ifExists', 'terminateOn'] as const) {
        const value = str(params, key);
        if (value !== undefined) options[key] = value;
      }
      if (typeof params['maxDurationSeconds'] === 'number')
        options.maxDurationSeconds = params['maxDurationSeconds'];
      if (typeof params['maxSilenceSeconds'] === 'number')
        options.maxSilenceSeconds = params['maxSilenceSeconds'];
      if (typeof params['beep'] === 'boolean') options.beep = params['beep'];
      return { status: 201, body: record(engine, inStasis(params), options) };
    },
    'channels.sendDTMF': (params) => {
      const target = inStasis(params);
      for (const digit of str(params, 'dtmf') ?? '') pressDigit(engine, target, digit);
      return NO_CONTENT;
    },
    'channels.getChannelVar': (params) => {
      const value = channel(params).variables.get(str(params, 'variable')!);
      if (value === undefined) throw new RestError(404, { message: 'Provided variable was not found' });
      return { status: 200, body: { value } };
    },
    'channels.setChannelVar': (params) => {
      const target = channel(params);
      const variable = str(params, 'variable')!;
      const value = str(params, 'value') ?? '';
      target.variables.set(variable, value);
      engine.channelEvent(target, 'ChannelVarset', { variable, value });
      return NO_CONTENT;
    },
    'playbacks.get': (params) => ({
      status: 200,
      body: playbackJson(found(engine.playbacks.get(str(params, 'playbackId')!), 'Playback')),
    }),
    'playbacks.stop': (params) => {
      stopPlayback(engine, str(params, 'playbackId')!);
      return NO_CONTENT;
    },
    'recordings.listStored': () => ({
      status: 200,
      body: [...engine.storedRecordings.values()].map((r) => ({ name: r.name, format: r.format })),
    }),
    'recordings.getStored': (params) => {
      const recording = stored(params);
      return { status: 200, body: { name: recording.name, format: recording.format } };
    },
    'recordings.getStoredFile': (params) => {
      const recording = stored(params);
      const contentType = recording.format === 'wav' ? 'audio/wav' : `audio/${recording.format}`;
      return { status: 200, body: recording.data, contentType };
    },
    'recordings.deleteStored': (params) => {
      const name = str(params, 'recordingName')!;
      // A recording in progress is already a file on Asterisk's disk: deleting it succeeds.
      const live = engine.liveRecordings.get(name);
      if (live !== undefined) live.discarded = true;
      else if (!engine.storedRecordings.delete(name))
        throw new RestError(404, { message: 'Recording not found' });
      return NO_CONTENT;
    },
    'recordings.getLive': (params) => ({ status: 200, body: recordingJson(live(params)) }),
    'recordings.stop': (params) => {
      live(params).finish?.('done', false);
      return NO_CONTENT;
    },
    'bridges.list': () => ({ status: 200, body: [...engine.bridges.values()].map(bridgeJson) }),
    'bridges.create': createBridge,
    'bridges.createWithId': createBridge,
    'bridges.get': (params) => ({ status: 200, body: bridgeJson(bridges.get(str(params, 'bridgeId')!)) }),
    'bridges.destroy': (params) => {
      bridges.destroy(str(params, 'bridgeId')!);
      return NO_CONTENT;
    },
    'bridges.addChannel': async (params) => {
      await bridges.add(str(params, 'bridgeId')!, list(params, 'channel'));
      return NO_CONTENT;
    },
    'bridges.removeChannel': (params) => {
      bridges.remove(str(params, 'bridgeId')!, list(params, 'channel'));
      return NO_CONTENT;
    },
    'sounds.get': (params) => ({
      status: 200,
      body: { id: str(params, 'soundId'), formats: [{ language: 'en', format: 'slin' }] },
    }),
  };
}
