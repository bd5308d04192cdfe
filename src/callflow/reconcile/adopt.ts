/**
 * A connected call the daemon lost track of (a restart; the WebSocket away while a new process
 * started): caller and responder still talk in the call's bridge. It is watched again and ends as
 * connect() in direct.ts would have ended it: when one side leaves, the other is hung up, the
 * bridge destroyed, the rows closed and the call's page resolved if the route says so.
 */
import type { CallRow, LegRow } from '../../store/calls';
import type { PageRow } from '../../store/pages';
import type { FlowContext } from '../context';
import type { CallSession } from '../session';
import { pageConnectedCall } from '../direct/connectedPage';
import { hangup } from '../verbs/hangup';
import { callBridgeIds } from '../marks';

export const TAKEN_BACK = 'taken back after an interruption';

export async function watchConnectedCall(
  ctx: FlowContext,
  row: CallRow,
  leg: LegRow,
  caller: CallSession,
  responder: CallSession | undefined,
  pagesOfCall: (callId: string) => Promise<PageRow[]>,
): Promise<void> {
  const sides = responder === undefined ? [caller] : [caller, responder];
  const route = ctx.config.routes.find((r) => r.id === row.route_id);
  // The old process may have died between writing the connection and writing its page.
  // Or, with page: on_call_start, between the connection and the page's taking (still open).
  if (route !== undefined && route.direct.page !== 'never' && row.team_id !== null) {
    const call = { callId: row.id, teamId: row.team_id, route, callerNumber: row.caller_number };
    ctx.paging.behind(async (paging) => {
      const pages = await pagesOfCall(row.id);
      if (pages.length === 0) await pageConnectedCall(ctx, { ...call, responderId: leg.responder_id });
      for (const page of pages)
        if (page.status === 'triggered') await paging.liveCallTaken(page.id, leg.responder_id, ctx.now());
    });
  }
  // A side already gone (it left while nobody watched; a responder whose channel Asterisk no
  // longer has): the other is hung up at once.
  const responderLeft = responder === undefined && leg.channel_id !== null;
  await new Promise<void>((resolve) => {
    if (responderLeft || sides.some((s) => s.gone)) return resolve();
    const offs = sides.map((s) => s.onGone(() => done()));
    function done(): void {
      for (const off of offs) off();
      resolve();
    }
  });
  const endedAt = ctx.now();
  ctx.calls.updateLeg(leg.id, { ended_at: endedAt, reason: TAKEN_BACK });
  await Promise.all(sides.map((s) => hangup(s)));
  for (const id of callBridgeIds(ctx.config.asterisk.app, row.id))
    await caller.ari.destroyBridge(id).catch(() => undefined);
  ctx.calls.updateCall(row.id, {
    outcome: 'connected',
    outcome_detail: `connected to ${leg.responder_id} (${TAKEN_BACK})`,
    hangup_cause: caller.hangupCause ?? 16,
    stage: null,
    ended_at: endedAt,
  });
  ctx.logger.info('call ended', { outcome: 'connected', detail: TAKEN_BACK });
  if (route?.direct.resolveOnHangup !== true) return;
  const actor = { id: leg.responder_id, via: 'automatic' as const, responderId: leg.responder_id };
  ctx.paging.behind(async (paging) => {
    for (const page of await pagesOfCall(row.id))
      if (page.status !== 'resolved') await paging.resolve(page.id, actor, 'call ended');
  });
}
