/**
 * "Who is on call for team T at instant t, level by level": the answer both live calls and pages
 * start from. Pure over the configuration.
 */
import type { Config, Level, Phone, Policy, Responder, Team } from '../config/model';
import { scheduleOnCall } from './schedule';

export interface OnCallResponder {
  responder: Responder;
  /** The phone tried first, or undefined when the responder has none (skipped on live calls). */
  firstPhone: Phone | undefined;
  /** How they came to be on this level: named directly, or through a schedule. */
  via: { kind: 'direct' } | { kind: 'schedule'; scheduleId: string };
}

export interface OnCallLevel {
  /** 0-based position in the policy. */
  index: number;
  level: Level;
  responders: OnCallResponder[];
}

export interface OnCallAnswer {
  team: Team;
  policy: Policy;
  at: number;
  levels: OnCallLevel[];
}

export class UnknownTeamError extends Error {
  constructor(readonly teamId: string) {
    super(`unknown team "${teamId}"`);
    this.name = 'UnknownTeamError';
  }
}

export function resolveLevel(config: Config, level: Level, index: number, at: number): OnCallLevel {
  const responders: OnCallResponder[] = [];
  const seen = new Set<string>();
  const add = (responderId: string, via: OnCallResponder['via']): void => {
    const responder = config.responders.get(responderId);
    if (responder === undefined || seen.has(responderId)) return;
    seen.add(responderId);
    responders.push({ responder, firstPhone: responder.phones[0], via });
  };
  for (const target of level.targets) {
    if (target.kind === 'responder') {
      add(target.id, { kind: 'direct' });
    } else {
      const schedule = config.schedules.get(target.id);
      const shift = schedule === undefined ? undefined : scheduleOnCall(schedule, at);
      if (shift !== undefined) add(shift.responderId, { kind: 'schedule', scheduleId: target.id });
    }
  }
  return { index, level, responders };
}

/** `policyId`: a policy walked instead of the team's (a route's outside_hours action direct). */
export function resolveOnCall(config: Config, teamId: string, at: number, policyId?: string): OnCallAnswer {
  const team = config.teams.get(teamId);
  if (team === undefined) throw new UnknownTeamError(teamId);
  const policy = config.policies.get(policyId ?? team.policyId)!;
  return {
    team,
    policy,
    at,
    levels: policy.levels.map((level, index) => resolveLevel(config, level, index, at)),
  };
}
