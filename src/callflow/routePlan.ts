/**
 * What a route gives a caller at one moment: open or closed (support hours), the options of the
 * menu, which routing the chosen option gets, with which policy and at which urgency. Pure: the
 * call flow and `lcr routes --at` read the same answer.
 */
import type { MenuOption, OutsideHours, Route, Urgency } from '../config/model';
import { hoursState } from '../util/supportHours';

export interface RoutePlan {
  open: boolean;
  /** Closed: the next opening (undefined if none within a year) and the holiday, if one closes it. */
  opensAt?: number;
  holiday?: string;
  /** Closed: what outside_hours does. */
  action?: OutsideHours['action'];
  /** The menu the caller is offered; empty when the call only hears a message. */
  options: readonly MenuOption[];
  /** How the chosen option is routed; `message` ends the call after the greeting. */
  routing: Route['routing'] | 'message';
  /** An escalation policy used instead of the team's (outside_hours action direct). */
  policyId?: string;
}

const RANK: Record<Urgency, number> = { low: 0, high: 1 };

/** The lower of two urgencies: outside_hours can lower a page's urgency, never raise it. */
export function lowerUrgency(a: Urgency, b: Urgency): Urgency {
  return RANK[a] <= RANK[b] ? a : b;
}

export function planRoute(route: Route, at: number): RoutePlan {
  const state = route.hours === undefined ? ({ open: true } as const) : hoursState(route.hours, at);
  if (state.open) return { open: true, options: route.options, routing: route.routing };
  const outside = route.outsideHours;
  const closed = {
    open: false,
    action: outside.action,
    ...(state.opensAt === undefined ? {} : { opensAt: state.opensAt }),
    ...(state.holiday === undefined ? {} : { holiday: state.holiday }),
  };
  switch (outside.action) {
    case 'message':
      return { ...closed, options: [], routing: 'message' };
    case 'voicemail':
      return { ...closed, options: route.options, routing: 'voicemail' };
    case 'menu':
      return { ...closed, options: outside.options ?? route.options, routing: route.routing };
    case 'direct':
      return {
        ...closed,
        options: route.options,
        routing: 'direct',
        ...(outside.policyId === undefined ? {} : { policyId: outside.policyId }),
      };
  }
}

/** The urgency of the pages a call for `option` makes under `plan`. */
export function urgencyOf(route: Route, plan: RoutePlan, option: MenuOption): Urgency {
  const usual = option.urgency ?? route.urgency;
  return plan.open ? usual : lowerUrgency(usual, route.outsideHours.urgency);
}

/** Every routing a route's calls can get, open or closed (for the prompts each needs made). */
export function routingsOf(route: Route): ReadonlySet<Route['routing']> {
  const routings = new Set<Route['routing']>([route.routing]);
  if (route.hours === undefined) return routings;
  const action = route.outsideHours.action;
  if (action === 'voicemail' || action === 'direct') routings.add(action);
  return routings;
}

/** Every option a route's callers can choose, open or closed. */
export function optionsOf(route: Route): readonly MenuOption[] {
  const outside = route.hours === undefined ? undefined : route.outsideHours.options;
  return outside === undefined ? route.options : [...route.options, ...outside];
}
