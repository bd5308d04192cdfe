/**
 * What Asterisk holds for the application, as seen on (re)connection. Asterisk 22 keeps channels,
 * bridges, playbacks and recordings in Stasis while the application's WebSocket is away, and sends
 * no StasisStart again when it comes back: listing is the only way to learn of them.
 */
import type { AriBridge, AriChannel, AriPort } from '../../ari/types';
import { isOwnBridgeId, isOwnChannelId } from '../marks';

export interface Holdings {
  /** Channels in the application, and the daemon's own legs still ringing (not in Stasis yet). */
  channels: AriChannel[];
  /** Bridges of the application, and those the daemon names (marks.ts: callBridgeId). */
  bridges: AriBridge[];
  /**
   * The channels Asterisk lists in the application (`channel_ids`): with a `Stasis(app)` dialplan
   * location, a caller in its Stasis() now. Without it (tests of the plan), none is taken for one.
   */
  inApplication?: ReadonlySet<string>;
}

/** `Stasis(lcr,...)` in the channel's dialplan location: the arguments after the app name. */
export function stasisArgsOf(channel: AriChannel, app: string): string[] | undefined {
  if (channel.dialplan.app_name.toLowerCase() !== 'stasis') return undefined;
  const [name, ...args] = channel.dialplan.app_data.split(',');
  return name === app ? args : undefined;
}

export async function survey(ari: AriPort, app: string): Promise<Holdings> {
  const [application, channels, bridges] = await Promise.all([
    ari.getApplication(app),
    ari.listChannels(),
    ari.listBridges(),
  ]);
  const inApp = new Set(application.channel_ids);
  const bridgesOfApp = new Set(application.bridge_ids);
  return {
    channels: channels.filter(
      (c) => inApp.has(c.id) || isOwnChannelId(app, c.id) || stasisArgsOf(c, app) !== undefined,
    ),
    bridges: bridges.filter((b) => bridgesOfApp.has(b.id) || isOwnBridgeId(app, b.id)),
    inApplication: inApp,
  };
}
