/**
 * Channels an application originates (responder legs): the Dial events, ringing, answer into
 * Stasis, or the way each failure ends, with the causes the recorded traces show.
 */
import { failStasis, runSteps } from './actors';
import { CAUSE_TEXT, parseCallerId, type ChannelJson } from './json';
import { RestError, type SimAsterisk } from './engine';
import type { SimChannel } from './model';
import { behaviourFromName, type PhoneBehaviour } from './script';

const TECHNOLOGIES = new Set(['PJSIP', 'SIP', 'Local', 'IAX2', 'DAHDI']);

export interface OriginateParams {
  endpoint: string;
  app?: string;
  appArgs?: string;
  extension?: string;
  callerId?: string;
  timeout?: number;
  channelId?: string;
  originator?: string;
}

let legSequence = 0x30;

function behaviourFor(
  engine: SimAsterisk,
  technology: string,
  resource: string,
  endpoint: string,
): PhoneBehaviour | undefined {
  const registered = engine.phones.get(endpoint);
  if (registered !== undefined) return registered;
  if (technology === 'PJSIP' && !resource.includes('@')) return undefined; // an endpoint nobody registered
  return behaviourFromName(resource) ?? { kind: 'no-answer' };
}

export function originate(engine: SimAsterisk, params: OriginateParams): ChannelJson {
  if (!params.endpoint) throw new RestError(400, { message: 'Endpoint must be specified' });
  if (params.app === undefined && params.extension === undefined) {
    throw new RestError(400, { message: 'Application or extension must be specified' });
  }
  const slash = params.endpoint.indexOf('/');
  const technology = slash > 0 ? params.endpoint.slice(0, slash) : '';
  const resource = params.endpoint.slice(slash + 1);
  const behaviour = TECHNOLOGIES.has(technology)
    ? behaviourFor(engine, technology, resource, params.endpoint)
    : undefined;
  if (behaviour === undefined || behaviour.kind === 'offline')
    throw new RestError(500, { error: 'Allocation failed' });
  if (params.channelId !== undefined && engine.channels.has(params.channelId)) {
    throw new RestError(409, { message: 'Channel with given unique ID already exists' });
  }
  legSequence += 1;
  const suffix = legSequence.toString(16).padStart(8, '0');
  const peerName = resource.includes('@') ? resource.split('@')[1]! : resource;
  const callerId = parseCallerId(params.callerId);
  const channel = engine.createChannel({
    id: params.channelId ?? engine.newChannelId(),
    name: technology === 'Local' ? `Local/${resource}-${suffix};1` : `${technology}/${peerName}-${suffix}`,
    state: 'Down',
    caller: callerId,
    connected: callerId,
    dialplan: {
      context: 'default',
      exten: 's',
      priority: 1,
      app_name: 'AppDial2',
      app_data: '(Outgoing Line)',
    },
    dialstring: resource,
    behaviour,
    ...(params.app === undefined ? {} : { subscribedApp: params.app }),
  });
  const json = engine.channelJson(channel);
  setImmediate(() => dial(engine, channel, behaviour, technology, params));
  return json;
}

function dialEvent(engine: SimAsterisk, channel: SimChannel, dialstatus: string): void {
  engine.publish(channel.subscribedApp, 'Dial', {
    dialstatus,
    forward: '',
    dialstring: channel.dialstring,
    peer: engine.channelJson(channel),
  });
}

/** Ends a leg that never answered, the way the network ended it. */
function failLeg(
  engine: SimAsterisk,
  channel: SimChannel,
  cause: number,
  techCause: number | undefined,
  dialstatus: string | undefined,
  local: boolean,
): void {
  if (channel.gone) return;
  const tech = techCause === undefined || local ? {} : { tech_cause: techCause };
  // A leg that rang out (no dialstatus) just ends; one the far side refused gets a hangup request first.
  if (dialstatus !== undefined && !(local && dialstatus === 'BUSY')) {
    engine.channelEvent(channel, 'ChannelHangupRequest', { cause, ...tech });
  }
  if (dialstatus !== undefined) dialEvent(engine, channel, dialstatus);
  // Over Local channels the far side's busy reaches the originated half as cause 0.
  const destroyedCause = local && dialstatus === 'BUSY' ? 0 : cause;
  channel.gone = true;
  for (const timer of channel.timers) clearTimeout(timer);
  engine.channelEvent(channel, 'ChannelDestroyed', {
    cause: destroyedCause,
    cause_txt: CAUSE_TEXT[destroyedCause] ?? 'Unknown',
    ...tech,
  });
  engine.note(channel, 'ended', `cause ${destroyedCause}`);
  engine.forget(channel, destroyedCause);
}

function dial(
  engine: SimAsterisk,
  channel: SimChannel,
  behaviour: PhoneBehaviour,
  technology: string,
  params: OriginateParams,
): void {
  if (channel.gone) return;
  const local = technology === 'Local';
  dialEvent(engine, channel, '');
  const timeoutMs = (params.timeout ?? 30) * 1000;
  const ring = (): void => {
    engine.setState(channel, 'Ringing');
    dialEvent(engine, channel, 'RINGING');
    engine.note(channel, 'ringing');
  };
  const ringMs = 'ringMs' in behaviour ? (behaviour.ringMs ?? 0) : 0;
  const later = (fn: () => void): void => {
    if (ringMs > 0) {
      ring();
      engine.after(channel, ringMs, fn);
    } else fn();
  };
  switch (behaviour.kind) {
    case 'busy':
      return later(() => failLeg(engine, channel, 17, 486, 'BUSY', local));
    case 'reject':
      return later(() => failLeg(engine, channel, 21, 403, 'NOANSWER', local));
    case 'congestion':
      return failLeg(engine, channel, 34, 503, 'CONGESTION', local);
    case 'offline':
      return;
    case 'no-answer':
      ring();
      engine.after(channel, timeoutMs, () => failLeg(engine, channel, 19, 480, undefined, local));
      return;
    case 'answer': {
      if (ringMs >= timeoutMs) {
        ring();
        engine.after(channel, timeoutMs, () => failLeg(engine, channel, 19, 480, undefined, local));
        return;
      }
      later(() => {
        engine.setState(channel, 'Up');
        dialEvent(engine, channel, 'ANSWER');
        engine.note(channel, 'answered');
        const app = params.app;
        if (app !== undefined) {
          // resource_channels.c:ari_originate_dial runs Stasis(app,appArgs) on the answered leg.
          channel.dialplan = {
            ...channel.dialplan,
            app_name: 'Stasis',
            app_data: [app, ...(params.appArgs ? [params.appArgs] : [])].join(','),
          };
          // With the app's WebSocket away, Stasis() fails and the dial thread hangs the leg up.
          if (!engine.apps.isActive(app)) return failStasis(engine, channel, app);
        }
        channel.app = app;
        engine.channelEvent(channel, 'StasisStart', {
          args: params.appArgs ? params.appArgs.split(',') : [],
        });
        void runSteps(engine, channel, behaviour.then ?? []);
      });
    }
  }
}
