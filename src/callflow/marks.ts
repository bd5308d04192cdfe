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

export const responderLeg = {
  channelId: (legId: string): string => `${RESPONDER_LEG_MARK}-${legId}`,
  appArgs: (callerChannelId: string, legId: string): string =>
    `${RESPONDER_LEG_MARK},${callerChannelId},${legId}`,
};

export const pageCall = {
  channelId: (pageId: number, notificationId: number, phoneIndex: number, nonce: string): string =>
    `${PAGE_CALL_MARK}-${pageId}-${notificationId}-${phoneIndex}-${nonce}`,
  appArgs: (pageId: number, notificationId: number): string =>
    `${PAGE_CALL_MARK},${pageId},${notificationId}`,
};
