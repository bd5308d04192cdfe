/**
 * Where an unacknowledged page goes next: the next level of its policy, level 1 again for each
 * configured repeat, then nowhere (the page stays triggered and the timeline says so). Pure.
 */
import type { Urgency } from '../domain/enums';
import { isOpen, nextOpening, type SupportHours } from '../util/supportHours';

export interface PolicyShape {
  levelCount: number;
  /** How many times the whole policy runs again after its first pass. */
  repeat: number;
}

export interface EscalationPosition {
  level: number;
  round: number;
}

export type EscalationStep = ({ kind: 'escalate' } & EscalationPosition) | { kind: 'exhausted' };

export function nextEscalation(policy: PolicyShape, current: EscalationPosition): EscalationStep {
  if (current.level + 1 < policy.levelCount)
    return { kind: 'escalate', level: current.level + 1, round: current.round };
  if (current.round < policy.repeat) return { kind: 'escalate', level: 0, round: current.round + 1 };
  return { kind: 'exhausted' };
}

/**
 * When the page must move on from a level it has just reached. A level with nobody on call
 * (a schedule gap) is passed at once, as the hosted tools do, rather than letting the page wait
 * there for nobody.
 */
export function escalationDueAt(at: number, escalateAfterSeconds: number, respondersOnLevel: number): number {
  return respondersOnLevel === 0 ? at : at + escalateAfterSeconds * 1000;
}

/**
 * A low-urgency page escalates only while its route is open (PagerDuty's support hours): a
 * deadline that falls outside the hours moves to the next opening. High pages, and routes
 * without hours, keep their deadline.
 */
export function supportHoursDueAt(
  dueAt: number,
  urgency: Urgency,
  hours: SupportHours | undefined,
): { dueAt: number; waitsForOpening: boolean } {
  if (urgency !== 'low' || hours === undefined || isOpen(hours, dueAt))
    return { dueAt, waitsForOpening: false };
  const opens = nextOpening(hours, dueAt);
  return opens === undefined ? { dueAt, waitsForOpening: false } : { dueAt: opens, waitsForOpening: true };
}
