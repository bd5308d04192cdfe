/**
 * The page that records a connected direct call (`page_on_connect`): triggered for the team and
 * acknowledged at once by the responder who took the call. Written by connect() in direct.ts and,
 * when a crash came between the connection and this page, by the adoption of the call (reconcile/),
 * so a connected call never ends without its page.
 */
import type { Route } from '../../config/model';
import type { FlowContext } from '../context';

export interface ConnectedCall {
  callId: string;
  teamId: string;
  route: Route;
  callerNumber: string;
  responderId: string;
}

export async function pageConnectedCall(ctx: FlowContext, call: ConnectedCall): Promise<number> {
  const at = ctx.now();
  const responder = ctx.config.responders.get(call.responderId)?.name ?? call.responderId;
  const actor = { id: call.responderId, via: 'phone' as const, responderId: call.responderId };
  const { pageId } = await ctx.paging.trigger({
    teamId: call.teamId,
    routeId: call.route.id,
    callId: call.callId,
    voicemailId: null,
    callerNumber: call.callerNumber || null,
    summary: `Call from ${call.callerNumber || 'an unknown number'} via ${call.route.name} taken by ${responder}`,
    at,
    acknowledgedBy: { actor, note: 'took the call' },
  });
  return pageId;
}
