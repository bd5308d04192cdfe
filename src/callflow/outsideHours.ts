/**
 * A call outside its route's support hours: what its row and the log say (the plan itself is
 * routePlan.ts; the inbound flow plays the outside-hours greeting and follows the plan).
 */
import type { CallFacts, FlowContext } from './context';
import type { RoutePlan } from './routePlan';

/** A call outside its route's hours: on its row and in the log, with when the route opens again. */
export function noteOutsideHours(ctx: FlowContext, facts: CallFacts, plan: RoutePlan): void {
  ctx.calls.updateCall(facts.callId, { outside_hours: 1 });
  ctx.logger.info('outside support hours', {
    action: plan.action,
    ...(plan.holiday === undefined ? {} : { holiday: plan.holiday }),
    opensAt: plan.opensAt === undefined ? null : new Date(plan.opensAt).toISOString(),
  });
}

export function closedDetail(plan: RoutePlan): string {
  const why = plan.holiday === undefined ? 'outside support hours' : `closed for ${plan.holiday}`;
  return plan.opensAt === undefined ? why : `${why}; opens ${new Date(plan.opensAt).toISOString()}`;
}
