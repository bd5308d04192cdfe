/**
 * How the daemon recognises the channels it originated itself: their first Stasis argument, and
 * their channel ids. Kept apart from the flows that create them (direct/leg.ts, pageCall.ts) and
 * the router that reads them, so that neither has to import the other.
 */

/** First Stasis argument of a responder leg of a direct call. */
export const RESPONDER_LEG_MARK = 'lcr-leg';
/** First Stasis argument of a page notification call. */
export const PAGE_CALL_MARK = 'lcr-page';

/** A channel the daemon originated: never an inbound call, whatever else it says. */
export function isOriginatedByDaemon(stasisArgs: readonly string[]): boolean {
  return stasisArgs[0] === RESPONDER_LEG_MARK || stasisArgs[0] === PAGE_CALL_MARK;
}

/**
 * The ids of the channels and bridges a daemon creates name its Stasis application, so that
 * daemons sharing one Asterisk (`lcr-a`, `lcr-b`) each reconcile only their own: without it, a
 * daemon starting would take another's ringing legs and bridges for its own strays and end
 * them. '.' cannot be in an application name, so `<mark>.<app>.` prefixes never overlap. Ids
 * of earlier versions (`lcr-leg-…`, `lcr-page-…`, `lcr-bridge-…`, naming no application) are
 * still taken as one's own, so that calls in progress survive the upgrade.
 */
const LEGACY_BRIDGE = 'lcr-bridge-';
const BRIDGE_MARK = 'lcr-bridge';

export const responderLeg = {
  channelId: (app: string, legId: string): string => `${RESPONDER_LEG_MARK}.${app}.${legId}`,
  appArgs: (callerChannelId: string, legId: string): string =>
    `${RESPONDER_LEG_MARK},${callerChannelId},${legId}`,
};

export const pageCall = {
  channelId: (
    app: string,
    pageId: number,
    notificationId: number,
    phoneIndex: number,
    nonce: string,
  ): string => `${PAGE_CALL_MARK}.${app}.${pageId}-${notificationId}-${phoneIndex}-${nonce}`,
  appArgs: (pageId: number, notificationId: number): string =>
    `${PAGE_CALL_MARK},${pageId},${notificationId}`,
};

/** The bridge a direct call's caller and responder meet in. */
export const callBridgeId = (app: string, callId: string): string => `${BRIDGE_MARK}.${app}.${callId}`;

/** Every id a call's bridge may have: this version's, and the one of a call bridged before the upgrade. */
export const callBridgeIds = (app: string, callId: string): string[] => [
  callBridgeId(app, callId),
  `${LEGACY_BRIDGE}${callId}`,
];

/** The page a page call is about, when the channel is one of this daemon's page calls. */
export function pageCallPageId(app: string, channelId: string): number | undefined {
  const rest = channelId.startsWith(`${PAGE_CALL_MARK}.${app}.`)
    ? channelId.slice(`${PAGE_CALL_MARK}.${app}.`.length)
    : channelId.startsWith(`${PAGE_CALL_MARK}-`)
      ? channelId.slice(`${PAGE_CALL_MARK}-`.length)
      : undefined;
  if (rest === undefined) return undefined;
  const id = Number(rest.split('-')[0]);
  return Number.isInteger(id) ? id : undefined;
}

/** The notification a page call of this version places (`lcr-page.<app>.<page>-<notification>-…`). */
export function pageCallNotificationId(app: string, channelId: string): number | undefined {
  if (!channelId.startsWith(`${PAGE_CALL_MARK}.${app}.`)) return undefined;
  const id = Number(channelId.slice(`${PAGE_CALL_MARK}.${app}.`.length).split('-')[1]);
  return Number.isInteger(id) ? id : undefined;
}

export const isOwnPageCallChannel = (app: string, id: string): boolean =>
  id.startsWith(`${PAGE_CALL_MARK}.${app}.`) || id.startsWith(`${PAGE_CALL_MARK}-`);

/** A channel this daemon originated (a responder leg or a page call), ringing or in Stasis. */
export const isOwnChannelId = (app: string, id: string): boolean =>
  id.startsWith(`${RESPONDER_LEG_MARK}.${app}.`) ||
  id.startsWith(`${RESPONDER_LEG_MARK}-`) ||
  isOwnPageCallChannel(app, id);

export const isOwnBridgeId = (app: string, id: string): boolean =>
  id.startsWith(`${BRIDGE_MARK}.${app}.`) || id.startsWith(LEGACY_BRIDGE);
