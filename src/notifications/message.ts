/**
 * What a page says in an email or a chat message: the same facts everywhere (team, route,
 * caller, time, level, links), formatted by each channel. Pure.
 */
import { DateTime } from 'luxon';
import type { Config } from '../config/model';
import type { PageEventRow, PageRow } from '../store/pages';

export interface PageFacts {
  pageId: number;
  status: string;
  summary: string;
  team: string;
  route: string;
  caller: string;
  /** "2026-11-22 03:14 EST" in the reader's zone. */
  createdAt: string;
  level: number;
  /** How many callers the page gathers (one, unless others joined it). */
  callers: number;
  /** What happened: "triggered", "escalated to level 2", "acknowledged by Alice (phone)". */
  headline: string;
  ackUrl?: string;
}

export function describeEvent(config: Config, event: PageEventRow | undefined): string {
  if (event === undefined) return 'triggered';
  const actor = config.responders.get(event.actor)?.name ?? event.actor;
  const detail = event.detail === null ? {} : (JSON.parse(event.detail) as Record<string, unknown>);
  switch (event.type) {
    case 'escalated':
    case 'assigned':
      return event.type === 'assigned' ? 'triggered' : `escalated to level ${Number(detail['level']) + 1}`;
    case 'acknowledged':
    case 'resolved':
      return `${event.type} by ${actor} (${event.via})`;
    case 'exhausted':
      return 'not acknowledged by anyone: escalation policy exhausted';
    case 'updated':
      return describeUpdate(detail, Number(detail['callers']));
    default:
      return event.type;
  }
}

/** "another caller, +1 555 0100, left a message (12s); 5 callers so far". */
function describeUpdate(detail: Record<string, unknown>, callers: number): string {
  const caller = typeof detail['caller'] === 'string' ? detail['caller'] : 'an unknown number';
  const seconds = detail['duration_seconds'];
  const what =
    typeof detail['callback_number'] === 'string'
      ? `asked to be called back at ${detail['callback_number']}`
      : typeof seconds === 'number'
        ? `left a message (${seconds}s)`
        : 'called';
  return `update: another caller, ${caller}, ${what}${callers > 1 ? `; ${callers} callers so far` : ''}`;
}

export function pageFacts(
  config: Config,
  page: PageRow,
  event: PageEventRow | undefined,
  zone: string,
  ackUrl: string | undefined,
): PageFacts {
  return {
    pageId: page.id,
    status: page.status,
    summary: page.summary,
    team: config.teams.get(page.team_id)?.name ?? page.team_id,
    route: config.routes.find((r) => r.id === page.route_id)?.name ?? page.route_id ?? '-',
    caller: page.caller_number ?? 'unknown',
    createdAt: DateTime.fromMillis(page.created_at, { zone }).toFormat('yyyy-LL-dd HH:mm ZZZZ'),
    level: page.escalation_level + 1,
    callers: page.caller_count,
    // An update sent late (coalesced) tells the count as it is when it goes.
    headline:
      event?.type === 'updated'
        ? describeUpdate(JSON.parse(event.detail ?? '{}') as Record<string, unknown>, page.caller_count)
        : describeEvent(config, event),
    ...(ackUrl === undefined || page.status !== 'triggered' ? {} : { ackUrl }),
  };
}

export function plainText(facts: PageFacts): string {
  return [
    facts.summary,
    '',
    `Team:    ${facts.team}`,
    `Route:   ${facts.route}`,
    `Caller:  ${facts.caller}`,
    `Time:    ${facts.createdAt}`,
    `Status:  ${facts.status} (level ${facts.level}): ${facts.headline}`,
    ...(facts.callers > 1 ? [`Callers: ${facts.callers}`] : []),
    `Page:    #${facts.pageId}`,
    ...(facts.ackUrl === undefined ? [] : ['', `Acknowledge: ${facts.ackUrl}`]),
  ].join('\n');
}
