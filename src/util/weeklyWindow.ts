/**
 * A window of the week in local time: on-call restrictions and support hours both use it. Days
 * are ISO weekdays (1 Monday ... 7 Sunday) the window starts on; minutes count from local midnight.
 */
export interface WeeklyWindow {
  days: number[];
  fromMinute: number;
  /** 1440 for midnight; a window with toMinute <= fromMinute runs past midnight. */
  toMinute: number;
}

/** Whether a wall-clock reading falls inside one weekly window; windows may run past midnight. */
export function insideWindow(window: WeeklyWindow, weekday: number, minute: number): boolean {
  if (window.fromMinute < window.toMinute) {
    return window.days.includes(weekday) && minute >= window.fromMinute && minute < window.toMinute;
  }
  const previousDay = weekday === 1 ? 7 : weekday - 1;
  return (
    (window.days.includes(weekday) && minute >= window.fromMinute) ||
    (window.days.includes(previousDay) && minute < window.toMinute)
  );
}
