/**
 * "Pages": the list by status, and one page's story: its timeline (who did what, and how),
 * who it is assigned to, every notification and each attempt at it, and the buttons to
 * acknowledge, resolve or escalate it now, with a note.
 */
import type { Config } from '../../config/model';
import { PAGE_STATUSES, type PageStatus } from '../../domain/enums';
import type { NotificationAttemptRow, NotificationRow } from '../../store/notifications';
import type { PageAssignmentRow, PageEventRow, PageRow } from '../../store/pages';
import { e, formatTimeWithSeconds, table, timeElement } from './html';
import { pageActions } from './nowView';
import { responderName, teamName } from './names';

export function statusOf(query: URLSearchParams): PageStatus | undefined {
  const status = query.get('status');
  return PAGE_STATUSES.includes(status as PageStatus) ? (status as PageStatus) : undefined;
}

export function pagesBody(
  config: Config,
  pages: readonly PageRow[],
  status: PageStatus | undefined,
  csrf: string,
  zone: string,
): string {
  const tabs = [undefined, ...PAGE_STATUSES]
    .map((s) => {
      const label = s ?? 'all';
      const current = s === status ? ' aria-current="page"' : '';
      return `<a href="/console/pages${s === undefined ? '' : `?status=${s}`}"${current}>${label}</a>`;
    })
    .join('');
  const rows = pages.map((page) => [
    `<a href="/console/pages/${page.id}">#${page.id}</a>`,
    `<span class="status status-${page.status}">${e(page.status)}</span>${page.urgency === 'low' ? ' <span class="muted">low</span>' : ''}`,
    e(teamName(config, page.team_id)),
    e(page.summary),
    timeElement(page.created_at, zone),
    pageActions(page, csrf, false),
  ]);
  return `<nav class="tabs" aria-label="Page status">${tabs}</nav>${table('Pages, newest first', ['Page', 'Status', 'Team', 'Summary', 'Opened', 'Actions'], rows, 'No page.')}`;
}

/** A timeline entry's detail in words: levels counted from 1, responders by name, flags as phrases. */
function detailText(config: Config, detail: string | null): string {
  if (detail === null) return '';
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(detail) as Record<string, unknown>;
  } catch {
    return detail;
  }
  const name = (id: unknown): string => (typeof id === 'string' ? responderName(config, id) : String(id));
  const words: string[] = [];
  for (const [key, v] of Object.entries(value)) {
    if (key === 'level' && typeof v === 'number') words.push(`level ${v + 1}`);
    else if (key === 'from_level' && typeof v === 'number') words.push(`from level ${v + 1}`);
    else if (key === 'round' && typeof v === 'number') {
      if (v > 0) words.push(`round ${v + 1}`);
    } else if (key === 'responders' && Array.isArray(v))
      words.push(v.length === 0 ? 'nobody' : v.map(name).join(', '));
    else if (key === 'assigned' && v === false) words.push('not assigned to them');
    else if (key === 'on_call' && v === false) words.push('not on call');
    else if ((key === 'assigned' || key === 'on_call') && v === true) continue;
    else if (key === 'note') words.push(`note: “${String(v)}”`);
    else if (key === 'summary') continue;
    else words.push(`${key.replace(/_/g, ' ')}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
  }
  return words.join('; ');
}

export interface PageStory {
  page: PageRow;
  events: PageEventRow[];
  assignments: PageAssignmentRow[];
  notifications: Array<NotificationRow & { attempts_made: NotificationAttemptRow[] }>;
}

export function pageStoryBody(
  config: Config,
  story: PageStory,
  csrf: string,
  zone: string,
  flash: string | undefined,
): string {
  const { page } = story;
  const name = (id: string | null): string => responderName(config, id);
  const facts = [
    ['Status', `<span class="status status-${page.status}">${e(page.status)}</span>`],
    ['Team', e(teamName(config, page.team_id))],
    ['Summary', e(page.summary)],
    ['Caller', e(page.caller_number ?? '')],
    ['Opened', e(formatTimeWithSeconds(page.created_at, zone))],
    [
      'Level',
      `${page.escalation_level + 1}${page.escalation_round > 0 ? `, round ${page.escalation_round + 1}` : ''}`,
    ],
    ...(page.call_id === null
      ? []
      : [['Call', `<a href="/console/calls/${encodeURIComponent(page.call_id)}">the call's story</a>`]]),
  ];
  const timeline = story.events.map(
    (event) =>
      `<li><time datetime="${new Date(event.at).toISOString()}">${e(formatTimeWithSeconds(event.at, zone))}</time> <strong>${e(event.type)}</strong> by ${e(name(event.actor) || event.actor)} <span class="via">via ${e(event.via)}</span>${event.detail === null ? '' : ` <span class="muted">${e(detailText(config, event.detail))}</span>`}</li>`,
  );
  const assignments = story.assignments.map((a) => [
    e(name(a.responder_id)),
    `Level ${a.level + 1}`,
    timeElement(a.assigned_at, zone),
  ]);
  const notifications = story.notifications.map((n) => [
    e(n.channel),
    e(n.webhook_id ?? name(n.responder_id)),
    e(n.status),
    e(n.result ?? ''),
    n.attempts_made.length === 0
      ? '<span class="muted">none yet</span>'
      : `<ul class="attempts">${n.attempts_made.map((a) => `<li class="${a.ok ? 'ok' : 'bad'}">${e(formatTimeWithSeconds(a.started_at, zone))}: ${e(a.detail)}</li>`).join('')}</ul>`,
  ]);
  const notice = flash === undefined ? '' : `<p class="flash" role="status">${e(flash)}</p>`;
  const actions =
    page.status === 'resolved'
      ? ''
      : `<section aria-labelledby="act-h" class="actions"><h2 id="act-h">Act</h2>${pageActions(page, csrf, true)}</section>`;
  return `${notice}<dl class="facts">${facts.map(([k, v]) => `<dt>${e(k!)}</dt><dd>${v}</dd>`).join('')}</dl>${actions}<section aria-labelledby="tl-h"><h2 id="tl-h">Timeline</h2><ol class="timeline">${timeline.join('')}</ol></section>${table('Assigned to', ['Responder', 'Level', 'Since'], assignments, 'Nobody yet.')}${table('Notifications', ['Channel', 'To', 'Status', 'Result', 'Attempts'], notifications, 'No notification.')}`;
}
