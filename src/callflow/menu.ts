/** The keypad menu's decisions, as a pure function of the route, the key and the attempt. */
import type { MenuOption, Route } from '../config/model';

export type MenuStep =
  | { kind: 'selected'; option: MenuOption }
  /** Tell the caller why, and play the menu again. */
  | { kind: 'retry'; reason: 'invalid' | 'no-input' }
  /** Out of tries: the route's fallback option. */
  | { kind: 'fallback'; option: MenuOption }
  /** Out of tries, and the route says to hang up. */
  | { kind: 'give-up' };

/**
 * `digit` is the key pressed (undefined when none came in time); `attempt` counts menu plays
 * from 1. Keys that are not options (`*`, `#`, `0`, an unused digit) count as invalid.
 */
export function nextMenuStep(route: Route, digit: string | undefined, attempt: number): MenuStep {
  const option = digit === undefined ? undefined : route.options.find((o) => o.key === digit);
  if (option !== undefined) return { kind: 'selected', option };
  if (attempt < route.menu.tries)
    return { kind: 'retry', reason: digit === undefined ? 'no-input' : 'invalid' };
  if (route.menu.fallback === 'hangup') return { kind: 'give-up' };
  const fallback =
    route.menu.fallback === 'first'
      ? route.options[0]
      : route.options.find((o) => o.key === route.menu.fallback);
  return { kind: 'fallback', option: fallback ?? route.options[0]! };
}
