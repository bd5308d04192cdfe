/** Mixing bridges: joining waits for the channel's turn (behind a prompt still playing). */
import { randomUUID } from 'node:crypto';
import { asteriskTimestamp, type BridgeJson } from './json';
import { RestError, type SimAsterisk } from './engine';
import type { SimBridge, SimChannel } from './model';

export function bridgeJson(bridge: SimBridge): BridgeJson {
  return {
    id: bridge.id,
    // Asterisk starts a mixing bridge as simple_bridge and may move two RTP channels to native_rtp.
    technology: bridge.channels.length >= 2 ? 'native_rtp' : 'simple_bridge',
    bridge_type: bridge.type,
    bridge_class: 'stasis',
    creator: 'Stasis',
    name: bridge.name,
    channels: [...bridge.channels],
    creationtime: asteriskTimestamp(bridge.createdAt),
    video_mode: 'talker',
  };
}

export class Bridges {
  constructor(private readonly engine: SimAsterisk) {
    engine.on('channel-leaving-bridge', (channel: SimChannel) => this.leave(channel));
  }

  create(app: string | undefined, options: { type?: string; name?: string; bridgeId?: string }): BridgeJson {
    const id = options.bridgeId ?? randomUUID();
    if (this.engine.bridges.has(id))
      throw new RestError(409, { message: 'Bridge with the given id already exists' });
    const types = (options.type ?? 'mixing').split(',');
    const bridge: SimBridge = {
      id,
      name: options.name ?? '',
      type: types.includes('holding') ? 'holding' : 'mixing',
      channels: [],
      createdAt: Date.now(),
      ...(app ? { app } : {}),
    };
    this.engine.bridges.set(id, bridge);
    return bridgeJson(bridge);
  }

  get(id: string): SimBridge {
    const bridge = this.engine.bridges.get(id);
    if (bridge === undefined) throw new RestError(404, { message: 'Bridge not found' });
    return bridge;
  }

  async add(bridgeId: string, channelIds: string[]): Promise<void> {
    const bridge = this.get(bridgeId);
    const channels = channelIds.map((id) => {
      const channel = this.engine.channels.get(id);
      if (channel === undefined || channel.gone) throw new RestError(400, { message: 'Channel not found' });
      if (channel.app === undefined)
        throw new RestError(422, { message: 'Channel not in Stasis application' });
      return channel;
    });
    await Promise.all(
      channels.map((channel) =>
        this.engine.runSync(channel, () => {
          if (!this.engine.bridges.has(bridge.id) || channel.gone) return;
          if (channel.bridgeId !== undefined && channel.bridgeId !== bridge.id) this.leave(channel);
          if (bridge.channels.includes(channel.id)) return;
          bridge.channels.push(channel.id);
          channel.bridgeId = bridge.id;
          bridge.app ??= channel.app;
          this.engine.publish(channel.app, 'ChannelEnteredBridge', {
            bridge: bridgeJson(bridge),
            channel: this.engine.channelJson(channel),
          });
          const others = bridge.channels
            .filter((id) => id !== channel.id)
            .map((id) => this.engine.channels.get(id)!);
          for (const other of others) {
            this.engine.note(
              channel,
              'bridged',
              `with ${other.dialstring ?? (other.caller.number || other.name)}`,
            );
            this.engine.note(
              other,
              'bridged',
              `with ${channel.dialstring ?? (channel.caller.number || channel.name)}`,
            );
          }
          this.engine.wake(channel);
        }),
      ),
    );
  }

  remove(bridgeId: string, channelIds: string[]): void {
    const bridge = this.get(bridgeId);
    for (const id of channelIds) {
      const channel = this.engine.channels.get(id);
      if (channel === undefined) throw new RestError(400, { message: 'Channel not found' });
      if (!bridge.channels.includes(id)) throw new RestError(422, { message: 'Channel not in this bridge' });
      this.leave(channel);
    }
  }

  leave(channel: SimChannel): void {
    const bridge = channel.bridgeId === undefined ? undefined : this.engine.bridges.get(channel.bridgeId);
    channel.bridgeId = undefined;
    if (bridge === undefined) return;
    bridge.channels = bridge.channels.filter((id) => id !== channel.id);
    this.engine.publish(channel.app ?? bridge.app, 'ChannelLeftBridge', {
      bridge: bridgeJson(bridge),
      channel: this.engine.channelJson(channel),
    });
  }

  destroy(bridgeId: string): void {
    const bridge = this.get(bridgeId);
    for (const id of [...bridge.channels]) {
      const channel = this.engine.channels.get(id);
      if (channel) this.leave(channel);
    }
    this.engine.bridges.delete(bridgeId);
    this.engine.publish(bridge.app, 'BridgeDestroyed', { bridge: bridgeJson(bridge) });
  }
}
