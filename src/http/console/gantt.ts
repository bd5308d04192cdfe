/**
 * One picture for both of the console's time charts: labelled rows of bars along a time axis
 * (a schedule's layers over 14 days, a call's legs over its minutes). Plain SVG markup with a
 * <title> on every bar, so a pointer or a screen reader gets the exact times; colours come from
 * the stylesheet (classes), which keeps the chart readable in both light and dark themes.
 */
import { e } from './html';

export interface Bar {
  start: number;
  end: number;
  /** Drawn inside the bar when it is wide enough. */
  label: string;
  /** Stylesheet class: tone-0 … tone-9 for people, or a state (ok, warn, bad, idle). */
  tone: string;
  title: string;
}

export interface GanttRow {
  label: string;
  bars: Bar[];
  /** Instants marked on the row (a key pressed, the bridge made). */
  marks?: Array<{ at: number; title: string }>;
}

export interface Tick {
  at: number;
  label: string;
}

const WIDTH = 960;
const LABEL_WIDTH = 160;
const ROW_HEIGHT = 28;
const AXIS_HEIGHT = 22;

export function ganttSvg(
  description: string,
  rows: readonly GanttRow[],
  from: number,
  to: number,
  axes: { top: readonly Tick[]; bottom?: readonly Tick[] },
): string {
  const chart = WIDTH - LABEL_WIDTH - 8;
  const x = (at: number): number =>
    LABEL_WIDTH + ((Math.min(Math.max(at, from), to) - from) / (to - from)) * chart;
  const bottomAxis = axes.bottom !== undefined && axes.bottom.length > 0;
  const height = AXIS_HEIGHT + rows.length * ROW_HEIGHT + (bottomAxis ? AXIS_HEIGHT : 4);
  const parts: string[] = [];
  const axis = (ticks: readonly Tick[], y: number, textY: number): void => {
    for (const tick of ticks) {
      const at = x(tick.at).toFixed(1);
      parts.push(
        `<line class="tick" x1="${at}" x2="${at}" y1="${y}" y2="${AXIS_HEIGHT + rows.length * ROW_HEIGHT}"/>`,
      );
      parts.push(`<text class="axis" x="${at}" y="${textY}">${e(tick.label)}</text>`);
    }
  };
  axis(axes.top, AXIS_HEIGHT, 15);
  if (bottomAxis) {
    const bottom = AXIS_HEIGHT + rows.length * ROW_HEIGHT;
    axis(axes.bottom!, AXIS_HEIGHT, bottom + 15);
  }
  rows.forEach((row, index) => {
    const y = AXIS_HEIGHT + index * ROW_HEIGHT;
    parts.push(`<text class="row-label" x="4" y="${y + 18}">${e(row.label)}</text>`);
    for (const bar of row.bars) {
      const left = x(bar.start);
      const width = Math.max(1, x(bar.end) - left);
      const text =
        width > 8 * bar.label.length + 8
          ? `<text class="bar-label" x="${(left + 4).toFixed(1)}" y="${y + 18}">${e(bar.label)}</text>`
          : '';
      parts.push(
        `<g class="bar ${e(bar.tone)}"><title>${e(bar.title)}</title><rect x="${left.toFixed(1)}" y="${y + 3}" width="${width.toFixed(1)}" height="${ROW_HEIGHT - 6}" rx="3"/>${text}</g>`,
      );
    }
    for (const mark of row.marks ?? []) {
      const at = x(mark.at).toFixed(1);
      parts.push(
        `<g class="mark"><title>${e(mark.title)}</title><circle cx="${at}" cy="${y + ROW_HEIGHT / 2}" r="5"/></g>`,
      );
    }
  });
  return `<svg class="gantt" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="${e(description)}" xmlns="http://www.w3.org/2000/svg">${parts.join('')}</svg>`;
}

/** A stable colour per person: the same responder has the same colour on every chart. */
export function toneOf(id: string): string {
  let hash = 0;
  for (const char of id) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return `tone-${hash % 10}`;
}
