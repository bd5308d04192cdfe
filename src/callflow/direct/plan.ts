/**
 * Who is rung, in what order, on a direct call: a pure function of the on-call answer resolved
 * when the caller chose a team. Levels in order; repeats of the policy skip level 1 (as PagerDuty
 * does: the first responders already had their chance in this call); responders without a phone
 * are listed as skipped; optionally a phone already dialed on an earlier level is not dialed again.
 */
import type { RingStrategy } from '../../config/model';
import type { OnCallLevel } from '../../oncall/escalation';

export interface DialTarget {
  responderId: string;
  name: string;
  /** Undefined when the responder is skipped. */
  dialString?: string;
  skip?: 'no phone' | 'already dialed';
}

export interface DialStep {
  levelIndex: number;
  round: number;
  strategy: RingStrategy;
  ringTimeoutSeconds: number;
  targets: DialTarget[];
}

export interface PlanOptions {
  repeat: number;
  routeStrategy: RingStrategy;
  skipAlreadyDialed: boolean;
  /** For `random`: [0, 1) numbers, injected so the plan stays a pure function. */
  random: () => number;
}

function shuffled<T>(items: T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

export function planDialing(levels: readonly OnCallLevel[], options: PlanOptions): DialStep[] {
  const steps: DialStep[] = [];
  const dialed = new Set<string>();
  for (let round = 0; round <= options.repeat; round++) {
    for (const level of levels) {
      if (round > 0 && level.index === 0) continue;
      const strategy = level.level.strategy ?? options.routeStrategy;
      const ordered = strategy === 'random' ? shuffled(level.responders, options.random) : level.responders;
      const targets: DialTarget[] = ordered.map((entry) => {
        const base = { responderId: entry.responder.id, name: entry.responder.name };
        if (entry.firstPhone === undefined) return { ...base, skip: 'no phone' as const };
        const dialString = entry.firstPhone.dialString;
        if (options.skipAlreadyDialed && dialed.has(dialString))
          return { ...base, skip: 'already dialed' as const };
        dialed.add(dialString);
        return { ...base, dialString };
      });
      steps.push({
        levelIndex: level.index,
        round,
        strategy,
        ringTimeoutSeconds: level.level.ringTimeoutSeconds,
        targets,
      });
    }
  }
  return steps;
}

export function anyoneToDial(steps: readonly DialStep[]): boolean {
  return steps.some((step) => step.targets.some((target) => target.dialString !== undefined));
}
