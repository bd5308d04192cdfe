/**
 * Matching what Asterisk holds with what the database says, as a pure function: the list of
 * what to do with each channel, bridge and open call row that no live session follows.
 */
import type { AriChannel } from '../../ari/types';
import type { PageStatus } from '../../domain/enums';
import type { CallRow, LegRow } from '../../store/calls';
import {
  callBridgeIds,
  isOriginatedByDaemon,
  isOwnChannelId,
  isOwnPageCallChannel,
  pageCallPageId,
} from '../marks';
import { stasisArgsOf, type Holdings } from './survey';

/** What a reconciliation does; `kind` is also the label of lcr_reconciled_total. */
export type Step =
  /** Caller and accepted responder (either may be gone already): watched again until one leaves. */
  | { kind: 'connected-call'; call: CallRow; leg: LegRow; caller: AriChannel; responder?: AriChannel }
  /**
   * A caller mid-flow (greeting, menu, ringing, message): told, then on from the stored stage.
   * `goneLegs`: its legs still open in the rows whose phone Asterisk no longer has (it stopped
   * ringing, or hung up, while no daemon followed it): closed as not accepted.
   */
  | { kind: 'caller'; call: CallRow; channel: AriChannel; goneLegs: LegRow[] }
  /** A responder leg not accepted (ringing, or hearing the confirmation): hung up. */
  | { kind: 'responder-leg'; channel: AriChannel; leg?: LegRow }
  /** A page call nobody drives any more: hung up (the notification is released and sent again). */
  | { kind: 'page-call'; channel: AriChannel; pageId: number | undefined; handled: boolean }
  /** One of the daemon's channels that matches nothing. */
  | { kind: 'stray-channel'; channel: AriChannel }
  /** One of the daemon's bridges that holds no adopted call. */
  | { kind: 'stray-bridge'; bridgeId: string }
  /** An open row whose caller Asterisk no longer has: closed as before (with its open legs). */
  | { kind: 'gone-call'; call: CallRow; openLegs: LegRow[] }
  /**
   * A caller in the application's Stasis() that no session of this process follows (or followed
   * lately) and no open row names: Asterisk took the call into the application while its
   * WebSocket was dead but not yet closed (its daemon killed a moment before, frozen, cut off),
   * and the StasisStart went down with that socket. Asterisk sends none again: served as a new
   * call (CallRouter.serveUnannounced), unless its StasisStart reaches the router first.
   */
  | { kind: 'unannounced-caller'; channel: AriChannel; args: string[] };

export type StepKind = Step['kind'];

export interface PlanInput {
  holdings: Holdings;
  openCalls: readonly CallRow[];
  legsOf: (callId: string) => readonly LegRow[];
  pageStatus: (pageId: number) => PageStatus | undefined;
  /** Channels a live session of this process follows: left to it (CallRouter.resync). */
  known: (channelId: string) => boolean;
  /**
   * Channels a session of this process follows or followed lately (CallRouter.followedLately):
   * their calls are that session's, which writes their ending itself, also when it ended after
   * the open calls were read. Default: `known`.
   */
  followedLately?: (channelId: string) => boolean;
  /**
   * Callers in the application's Stasis() with no open row whose last row says the call is over
   * (its process died between writing that and the hangup): strays, hung up. Default: none.
   */
  callOver?: (channelId: string) => boolean;
  /** This daemon's Stasis application: ids of other applications' channels and bridges are not its own. */
  app: string;
}

const isOpenLeg = (leg: LegRow): boolean =>
  leg.ended_at === null &&
  (leg.result === 'ringing' || leg.result === 'answered' || leg.result === 'accepted');

export function planReconciliation(input: PlanInput): Step[] {
  const { holdings, known, app } = input;
  const steps: Step[] = [];
  const byId = new Map(holdings.channels.map((c) => [c.id, c]));
  const bridgeById = new Map(holdings.bridges.map((b) => [b.id, b]));
  // The old process may have died between the bridge join and writing the connection: both
  // sides in the call's bridge is a connected call, whatever the row says yet.
  const joined = (call: CallRow, leg: LegRow): boolean => {
    const members = callBridgeIds(app, call.id).flatMap((id) => bridgeById.get(id)?.channels ?? []);
    return members.includes(call.channel_id) && leg.channel_id !== null && members.includes(leg.channel_id);
  };
  const claimed = new Set<string>();
  const keptBridges = new Set<string>();

  const followedLately = input.followedLately ?? known;
  for (const call of input.openCalls) {
    if (followedLately(call.channel_id)) continue;
    const legs = input.legsOf(call.id);
    const caller = byId.get(call.channel_id);
    if (caller === undefined) {
      steps.push({
        kind: 'gone-call',
        call,
        openLegs: legs.filter((l) => isOpenLeg(l) && !known(l.channel_id ?? '')),
      });
      continue;
    }
    claimed.add(caller.id);
    const accepted = legs.find((l) => l.result === 'accepted' && l.ended_at === null);
    if (accepted !== undefined && (call.connected_at !== null || joined(call, accepted))) {
      const responder = accepted.channel_id === null ? undefined : byId.get(accepted.channel_id);
      if (responder !== undefined) claimed.add(responder.id);
      for (const id of callBridgeIds(app, call.id)) keptBridges.add(id);
      steps.push({
        kind: 'connected-call',
        call,
        leg: accepted,
        caller,
        ...(responder === undefined ? {} : { responder }),
      });
    } else {
      const goneLegs = legs.filter(
        (l) => isOpenLeg(l) && l.channel_id !== null && !byId.has(l.channel_id) && !known(l.channel_id),
      );
      steps.push({ kind: 'caller', call, channel: caller, goneLegs });
    }
  }

  const legOfChannel = new Map<string, LegRow>();
  for (const call of input.openCalls)
    for (const leg of input.legsOf(call.id))
      if (leg.channel_id !== null) legOfChannel.set(leg.channel_id, leg);

  const cleanup: Step[] = [];
  const unannounced: Step[] = [];
  for (const channel of holdings.channels) {
    if (claimed.has(channel.id) || known(channel.id)) continue;
    if (isOwnPageCallChannel(app, channel.id)) {
      const pageId = pageCallPageId(app, channel.id);
      const status = pageId === undefined ? undefined : input.pageStatus(pageId);
      cleanup.push({
        kind: 'page-call',
        channel,
        pageId,
        handled: status !== undefined && status !== 'triggered',
      });
    } else if (isOwnChannelId(app, channel.id)) {
      const leg = legOfChannel.get(channel.id);
      cleanup.push(
        leg === undefined ? { kind: 'stray-channel', channel } : { kind: 'responder-leg', channel, leg },
      );
    } else if (!followedLately(channel.id) && holdings.inApplication?.has(channel.id) === true) {
      // A caller's channel with no open row: one whose StasisStart is on its way to the router
      // (it came in during the survey), which serveUnannounced leaves to it, or one whose
      // StasisStart no daemon received. A session of this process that ended lately is hanging
      // it up; a channel out of the application's Stasis() (its dialplan went on) is not one.
      const args = stasisArgsOf(channel, app);
      if (args === undefined || isOriginatedByDaemon(args)) continue;
      if (input.callOver?.(channel.id) === true) cleanup.push({ kind: 'stray-channel', channel });
      else unannounced.push({ kind: 'unannounced-caller', channel, args });
    }
  }
  // A live call's bridge is its session's (the call's id names it).
  for (const call of input.openCalls)
    if (known(call.channel_id)) for (const id of callBridgeIds(app, call.id)) keptBridges.add(id);
  for (const bridge of holdings.bridges)
    if (!keptBridges.has(bridge.id)) cleanup.push({ kind: 'stray-bridge', bridgeId: bridge.id });

  // Cleanup first: a caller who resumes ringing reuses the call's bridge id, and must not meet
  // the old responder legs.
  return [...cleanup, ...steps, ...unannounced];
}
