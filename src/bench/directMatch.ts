/**
 * Pairs, for each direct call, the winning responder's DTMF `1` with the daemon's addChannel
 * request and with the bridge's second ChannelEnteredBridge. Requests and events are indexed by
 * channel and bridge id in one pass each, so 1,000 calls (tens of thousands of entries) stay
 * linear instead of scanning every request per DTMF event.
 */
import type { AsteriskSimulator } from '../simulator';

type Requests = AsteriskSimulator['requests'];
type Events = AsteriskSimulator['events'];

const ADD_CHANNEL = /^\/ari\/bridges\/([^/]+)\/addChannel$/;

/** The channel ids of an addChannel request, wherever the client put them (query or form body). */
function channelsOf(request: Requests[number]): string[] {
  const fromBody = (request.body as { channel?: unknown } | undefined)?.channel;
  const raw = request.query['channel'] ?? (typeof fromBody === 'string' ? fromBody : []);
  return (Array.isArray(raw) ? raw : [raw]).flatMap((value) => value.split(','));
}

export function bridgeLatencies(
  requests: Requests,
  events: Events,
): { toAddChannel: number[]; toBridged: number[]; addToBridged: number[]; channelsJoined: number } {
  // The first addChannel naming each channel: its time and its bridge.
  const addOf = new Map<string, { at: number; bridgeId: string; channels: number }>();
  for (const request of requests) {
    const match = ADD_CHANNEL.exec(request.path);
    if (match === null) continue;
    const channels = channelsOf(request);
    for (const channelId of channels) {
      const known = addOf.get(channelId);
      if (known === undefined || request.at < known.at)
        addOf.set(channelId, { at: request.at, bridgeId: match[1]!, channels: channels.length });
    }
  }
  const enteredAt = new Map<string, number[]>();
  const firstOne = new Map<string, number>();
  for (const { at, event } of events) {
    if (event.type === 'ChannelEnteredBridge') {
      const bridgeId = (event['bridge'] as { id: string }).id;
      const list = enteredAt.get(bridgeId) ?? [];
      list.push(at);
      enteredAt.set(bridgeId, list);
    } else if (event.type === 'ChannelDtmfReceived' && event['digit'] === '1') {
      const legId = (event['channel'] as { id: string }).id;
      if (!firstOne.has(legId)) firstOne.set(legId, at);
    }
  }
  const toAddChannel: number[] = [];
  const toBridged: number[] = [];
  const addToBridged: number[] = [];
  let channelsJoined = 0;
  // A leg that pressed 1 and was added to a bridge is the call's winner; the late one never is.
  for (const [legId, pressedAt] of firstOne) {
    const add = addOf.get(legId);
    if (add === undefined) continue;
    toAddChannel.push(add.at - pressedAt);
    channelsJoined = Math.max(channelsJoined, add.channels);
    const second = enteredAt.get(add.bridgeId)?.[1];
    if (second === undefined) continue;
    toBridged.push(second - pressedAt);
    addToBridged.push(second - add.at);
  }
  return { toAddChannel, toBridged, addToBridged, channelsJoined };
}

/** The simulator's modelled time for a channel to join a bridge, in real ms. */
export function modelledJoinMs(sim: AsteriskSimulator): number {
  return sim.joinMs * sim.engine.timeScale;
}
