/**
 * "Schedules": each schedule over the next 14 days (its layers with their restrictions, the
 * overrides, and the final rotation), and each escalation policy (who every level reaches),
 * with hand-offs in the viewer's zone above the chart and the schedule's zone below it.
 */
import { DateTime } from 'luxon';
import type { Config } from '../../config/model';
import { policyTimeline, scheduleTimeline, type TimelineRow } from '../../oncall/timeline';
import { ganttSvg, toneOf, type GanttRow, type Tick } from './gantt';
import { e, formatTime } from './html';
import { responderName } from './names';

export const SCHEDULE_DAYS = 14;

function dayTicks(from: number, to: number, zone: string): Tick[] {
  const ticks: Tick[] = [];
  let day = DateTime.fromMillis(from, { zone }).startOf('day').plus({ days: 1 });
  while (day.toMillis() < to) {
    ticks.push({ at: day.toMillis(), label: day.toFormat('ccc d') });
    day = day.plus({ days: 1 });
  }
  return ticks;
}

function barsOf(config: Config, row: TimelineRow, zones: readonly string[]): GanttRow {
  return {
    label: row.label,
    bars: row.segments
      .filter((segment) => segment.responderIds.length > 0)
      .map((segment) => {
        const names = segment.responderIds.map((id) => responderName(config, id)).join(', ');
        const span = zones
          .map((zone) => `${formatTime(segment.start, zone)} – ${formatTime(segment.end, zone)} (${zone})`)
          .join('; ');
        return {
          start: segment.start,
          end: segment.end,
          label: names,
          tone: toneOf(segment.responderIds.join('+')),
          title: `${names}: ${span}`,
        };
      }),
  };
}

function handOffList(config: Config, row: TimelineRow, zone: string): string {
  const items = row.segments.map((segment) => {
    const names = segment.responderIds.map((id) => responderName(config, id)).join(', ') || 'nobody';
    return `<li>${e(formatTime(segment.start, zone))}: <strong>${e(names)}</strong></li>`;
  });
  return `<details><summary>Hand-offs as a list</summary><ul class="handoffs">${items.join('')}</ul></details>`;
}

export function schedulesBody(config: Config, now: number, viewerZone: string): string {
  const to = now + SCHEDULE_DAYS * 86_400_000;
  const sections: string[] = [];
  for (const schedule of config.schedules.values()) {
    const rows = scheduleTimeline(schedule, now, to);
    const zones = [...new Set([viewerZone, schedule.timezone])];
    const svg = ganttSvg(
      `${schedule.name ?? schedule.id}: who is on call over the next ${SCHEDULE_DAYS} days`,
      rows.map((row) => barsOf(config, row, zones)),
      now,
      to,
      {
        top: dayTicks(now, to, viewerZone),
        ...(schedule.timezone === viewerZone ? {} : { bottom: dayTicks(now, to, schedule.timezone) }),
      },
    );
    const zonesNote =
      schedule.timezone === viewerZone
        ? `Days in ${e(viewerZone)}.`
        : `Days in ${e(viewerZone)} above the chart and in the schedule's zone, ${e(schedule.timezone)}, below it.`;
    sections.push(
      `<section class="schedule" id="schedule-${e(schedule.id)}" aria-labelledby="s-${e(schedule.id)}"><h2 id="s-${e(schedule.id)}">${e(schedule.name ?? schedule.id)}</h2><p class="muted">${zonesNote}</p><div class="chart">${svg}</div>${handOffList(config, rows.at(-1)!, viewerZone)}</section>`,
    );
  }
  for (const policy of config.policies.values()) {
    const rows = policyTimeline(config, policy.id, now, to);
    const svg = ganttSvg(
      `${policy.name ?? policy.id}: who each level reaches over the next ${SCHEDULE_DAYS} days`,
      rows.map((row) => barsOf(config, row, [viewerZone])),
      now,
      to,
      { top: dayTicks(now, to, viewerZone) },
    );
    sections.push(
      `<section class="policy" id="policy-${e(policy.id)}" aria-labelledby="p-${e(policy.id)}"><h2 id="p-${e(policy.id)}">Escalation: ${e(policy.name ?? policy.id)}</h2><div class="chart">${svg}</div></section>`,
    );
  }
  return sections.length === 0 ? '<p class="empty">No schedule or policy configured.</p>' : sections.join('');
}
