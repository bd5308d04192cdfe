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
 * `options`: the menu offered (outside hours it may be another than the route's own).
 */
export function nextMenuStep(
  route: Route,
  digit: string | undefined,
  attempt: number,
  options: readonly MenuOption[] = route.options,
): MenuStep {
  const option = digit === undefined ? undefined : options.find((o) => o.key === digit);
  if (option !== undefined) return { kind: 'selected', option };
  if (attempt < route.menu.tries)
    return { kind: 'retry', reason: digit === undefined ? 'no-input' : 'invalid' };
  if (route.menu.fallback === 'hangup') return { kind: 'give-up' };
  const fallback =
    route.menu.fallback === 'first' ? options[0] : options.find((o) => o.key === route.menu.fallback);
  return { kind: 'fallback', option: fallback ?? options[0]! };
}
