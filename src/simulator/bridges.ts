/**
 * Mixing bridges: joining waits for the channel's turn (behind a prompt still playing), then takes
 * a moment of the channel's own time (joinMs), as Asterisk's bridge_impart runs on the channel's
 * thread; the channels of one addChannel join one after the other.
 */
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

export interface JoinBehindMedia {
  channelId: string;
  bridgeId: string;
  /** Real milliseconds from the join reaching the channel's queue to its turn. */
  waitedMs: number;
}

export class Bridges {
  /** Joins that reached a channel's queue while a playback or recording was playing or queued on it. */
  readonly joinsBehindMedia: JoinBehindMedia[] = [];

  constructor(
    private readonly engine: SimAsterisk,
    /** Simulated ms a channel's join takes; scaled by timeScale like every duration. */
    private readonly joinMs = 0,
  ) {
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
    // One after the other, as ast_ari_bridges_add_channel waits for each channel's join command
    // (stasis_app_control_add_channel_to_bridge) before it sends the next; the first failure ends it.
    for (const channel of channels) await this.join(bridge, channel);
  }

  /** Queues one channel's join on its control queue; resolves once it is in (or has gone). */
  private join(bridge: SimBridge, channel: SimChannel): Promise<void> {
    const queuedAt = performance.now();
    const behindMedia = this.mediaPendingOn(channel);
    return new Promise((resolve, reject) => {
      this.engine.enqueue(channel, {
        run: (done) => {
          if (behindMedia) {
            this.joinsBehindMedia.push({
              channelId: channel.id,
              bridgeId: bridge.id,
              waitedMs: performance.now() - queuedAt,
            });
          }
          const finish = (): void => {
            this.enter(bridge, channel);
            done();
            resolve();
          };
          if (this.joinMs <= 0) return finish();
          // Not engine.after: a hangup clears the channel's timers, and the REST answer must
          // still come (enter() does nothing for a channel that has gone meanwhile).
          setTimeout(finish, this.joinMs * this.engine.timeScale);
        },
        cancel: () => reject(new RestError(404, { message: 'Channel not found' })),
      });
    });
  }

  /** A playback or recording playing on the channel, or queued on its control queue. */
  private mediaPendingOn(channel: SimChannel): boolean {
    if (channel.playback !== undefined || channel.recording !== undefined) return true;
    const queued = (item: { channelId: string; state: string }): boolean =>
      item.channelId === channel.id && item.state === 'queued';
    return (
      [...this.engine.playbacks.values()].some(queued) ||
      [...this.engine.liveRecordings.values()].some(queued)
    );
  }

  private enter(bridge: SimBridge, channel: SimChannel): void {
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
      this.engine.note(channel, 'bridged', `with ${other.dialstring ?? (other.caller.number || other.name)}`);
      this.engine.note(
        other,
        'bridged',
        `with ${channel.dialstring ?? (channel.caller.number || channel.name)}`,
      );
    }
    this.engine.wake(channel);
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
