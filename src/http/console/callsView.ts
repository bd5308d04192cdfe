/**
 * "Calls": the log with its filters, and one call's story: a chart of the caller's time and of
 * every responder leg (ringing, answered, accepted or why not, with the hang-up cause), the
 * bridge, and the voicemail, playable in the browser.
 */
import { DateTime } from 'luxon';
import type { Config } from '../../config/model';
import {
  CALL_OUTCOME_MEANINGS,
  CALL_OUTCOMES,
  LEG_RESULT_MEANINGS,
  meaningOf,
  type CallOutcome,
} from '../../domain/enums';
import type { CallFilter } from '../../store/callSearch';
import type { CallRow, LegRow, VoicemailRow } from '../../store/calls';
import type { PageRow } from '../../store/pages';
import { ganttSvg, type Bar, type GanttRow, type Tick } from './gantt';
import { e, formatDuration, formatTimeWithSeconds, table, timeElement } from './html';
import { responderName, routeName, teamName } from './names';

/** The filter form's fields, as typed: a bad one is reported next to the form, never a 500. */
/** How far back a search by caller digits looks unless given a date: such a search reads every call of its span. */
export const CALLER_SEARCH_DAYS = 90;

export function filterOf(
  query: URLSearchParams,
  config: Config,
  zone: string,
  now: number,
): { filter: CallFilter; problems: string[]; notes: string[] } {
  const notes: string[] = [];
  const problems: string[] = [];
  const filter: CallFilter = { limit: 100 };
  const route = query.get('route') ?? '';
  if (route !== '') {
    if (config.routes.some((r) => r.id === route)) filter.routeId = route;
    else problems.push(`no route "${route}"`);
  }
  const outcome = query.get('outcome') ?? '';
  if (outcome !== '') {
    if ((CALL_OUTCOMES as readonly string[]).includes(outcome)) filter.outcome = outcome as CallOutcome;
    else problems.push(`no outcome "${outcome}"`);
  }
  const caller = (query.get('caller') ?? '').trim();
  if (caller !== '') filter.caller = caller.slice(0, 40);
  const day = (name: 'from' | 'to'): number | undefined => {
    const text = query.get(name) ?? '';
    if (text === '') return undefined;
    const date = DateTime.fromISO(text, { zone });
    if (!/^\d{4}-\d{2}-\d{2}$/.test(text) || !date.isValid) {
      problems.push(`"${text}" is not a date (YYYY-MM-DD)`);
      return undefined;
    }
    // "to" includes its whole day.
    return (name === 'to' ? date.plus({ days: 1 }) : date).toMillis();
  };
  const since = day('from');
  const until = day('to');
  if (since !== undefined) filter.since = since;
  else if (filter.caller !== undefined) {
    filter.since = now - CALLER_SEARCH_DAYS * 86_400_000;
    notes.push(`Calls from the last ${CALLER_SEARCH_DAYS} days; set From to look further back.`);
  }
  if (until !== undefined) filter.until = until;
  return { filter, problems, notes };
}

function filterForm(config: Config, query: URLSearchParams): string {
  const selected = (name: string, value: string): string => (query.get(name) === value ? ' selected' : '');
  const routes = config.routes
    .map((r) => `<option value="${e(r.id)}"${selected('route', r.id)}>${e(r.name)}</option>`)
    .join('');
  const outcomes = CALL_OUTCOMES.map(
    (o) =>
      `<option value="${o}"${selected('outcome', o)} title="${e(meaningOf(CALL_OUTCOME_MEANINGS, o))}">${o}</option>`,
  ).join('');
  const value = (name: string): string => e(query.get(name) ?? '');
  return `<form method="get" action="/console/calls" class="filters" role="search" aria-label="Filter calls">
<label>Route <select name="route"><option value="">any</option>${routes}</select></label>
<label>Outcome <select name="outcome"><option value="">any</option>${outcomes}</select></label>
<label>Caller <input name="caller" inputmode="tel" value="${value('caller')}" autocomplete="off"></label>
<label>From <input type="date" name="from" value="${value('from')}"></label>
<label>To <input type="date" name="to" value="${value('to')}"></label>
<button type="submit">Filter</button></form>`;
}

export function callsBody(
  config: Config,
  calls: readonly CallRow[],
  query: URLSearchParams,
  problems: readonly string[],
  zone: string,
  notes: readonly string[] = [],
): string {
  const rows = calls.map((call) => [
    `<a href="/console/calls/${encodeURIComponent(call.id)}">${timeElement(call.started_at, zone)}</a>`,
    e(call.caller_number || 'withheld'),
    e(routeName(config, call.route_id) ?? call.dialed_number),
    e(teamName(config, call.team_id)),
    call.outcome === null
      ? '<span class="muted">in progress</span>'
      : `<span title="${e(meaningOf(CALL_OUTCOME_MEANINGS, call.outcome))}">${e(call.outcome)}</span>`,
    e(call.ended_at === null ? '' : formatDuration(call.ended_at - call.started_at)),
  ]);
  const issues =
    (problems.length === 0 ? '' : `<p class="bad" role="alert">${problems.map(e).join('; ')}</p>`) +
    notes.map((note) => `<p class="muted">${e(note)}</p>`).join('');
  return `${filterForm(config, query)}${issues}${table('Calls, newest first', ['Started', 'Caller', 'Route', 'Team', 'Outcome', 'Length'], rows, 'No call matches.')}`;
}

const LEG_TONES: Record<string, string> = {
  accepted: 'ok',
  answered: 'ok',
  declined: 'bad',
  busy: 'bad',
  failed: 'bad',
  'no-answer': 'warn',
  'voicemail-pickup': 'warn',
};

function secondTicks(from: number, to: number): Tick[] {
  const span = (to - from) / 1000;
  const step = [5, 10, 15, 30, 60, 120, 300, 600, 1800].find((s) => span / s <= 10) ?? 3600;
  const ticks: Tick[] = [];
  for (let s = step; s < span; s += step)
    ticks.push({ at: from + s * 1000, label: `+${formatDuration(s * 1000)}` });
  return ticks;
}

function storyChart(
  config: Config,
  call: CallRow,
  legs: readonly LegRow[],
  voicemails: readonly VoicemailRow[],
  now: number,
): string {
  const end = call.ended_at ?? now;
  const answered = call.answered_at ?? end;
  // A message's row is written when it ends: it began its length earlier.
  const messages = voicemails.map((vm) => ({ vm, start: vm.created_at - (vm.duration_seconds ?? 0) * 1000 }));
  const firstLeg = legs.length === 0 ? undefined : Math.min(...legs.map((leg) => leg.started_at));
  const menuEnd = Math.min(end, call.connected_at ?? end, firstLeg ?? end, ...messages.map((m) => m.start));
  const callerBars: Bar[] = [
    {
      start: call.started_at,
      end: answered,
      label: 'arriving',
      tone: 'idle',
      title: 'reached lcr, not yet answered',
    },
    {
      start: answered,
      end: menuEnd,
      label: 'greeting & menu',
      tone: 'idle',
      title: `greeting and menu${call.option_key === null ? '' : `; pressed ${call.option_key}`}`,
    },
  ];
  if (firstLeg !== undefined)
    callerBars.push({
      start: firstLeg,
      end: call.connected_at ?? Math.min(end, ...messages.map((m) => m.start)),
      label: 'waiting',
      tone: 'idle',
      title: 'waiting while responders are rung',
    });
  if (call.connected_at !== null)
    callerBars.push({
      start: call.connected_at,
      end,
      label: 'talking',
      tone: 'ok',
      title: 'bridged with the responder',
    });
  const rows: GanttRow[] = [
    {
      label: `Caller ${call.caller_number || 'withheld'}`,
      bars: callerBars,
      ...(call.connected_at === null ? {} : { marks: [{ at: call.connected_at, title: 'bridged' }] }),
    },
  ];
  for (const leg of legs) {
    const name = responderName(config, leg.responder_id);
    const legEnd = leg.ended_at ?? end;
    const bars: Bar[] = [
      {
        start: leg.started_at,
        end: leg.answered_at ?? legEnd,
        label: 'ringing',
        tone: 'idle',
        title: `${name} ringing on ${leg.phone ?? 'no phone'}`,
      },
    ];
    const why = [
      leg.reason,
      leg.hangup_cause === null ? undefined : `cause ${leg.hangup_cause}`,
      leg.dial_status ?? undefined,
    ]
      .filter(Boolean)
      .join(', ');
    if (leg.answered_at !== null)
      bars.push({
        start: leg.answered_at,
        end: legEnd,
        label: leg.result,
        tone: LEG_TONES[leg.result] ?? 'idle',
        title: `${name}: ${leg.result}${why === '' ? '' : ` (${why})`}`,
      });
    else bars[0]!.title += `: ${leg.result}${why === '' ? '' : ` (${why})`}`;
    rows.push({ label: `L${leg.level + 1} ${name}`, bars });
  }
  for (const { vm, start } of messages) {
    const seconds = Math.round(vm.duration_seconds ?? 0);
    rows.push({
      label: 'Message',
      bars: [
        {
          start,
          end: vm.created_at,
          label: `${seconds}s`,
          tone: 'ok',
          title: `message of ${seconds}s, ended by ${vm.ended_by ?? '?'}`,
        },
      ],
    });
  }
  const to = Math.max(end, ...rows.flatMap((row) => row.bars.map((bar) => bar.end))) + 500;
  return ganttSvg(
    `The story of the call from ${call.caller_number || 'a withheld number'}`,
    rows,
    call.started_at,
    to,
    { top: secondTicks(call.started_at, to) },
  );
}

export function callStoryBody(
  config: Config,
  story: { call: CallRow; legs: LegRow[]; voicemails: VoicemailRow[]; pages: PageRow[] },
  now: number,
  zone: string,
): string {
  const { call, legs, voicemails, pages } = story;
  const facts: Array<[string, string]> = [
    ['Caller', e(`${call.caller_number || 'withheld'}${call.caller_name ? ` (${call.caller_name})` : ''}`)],
    ['Dialled', e(call.dialed_number)],
    ['Route', e(routeName(config, call.route_id) ?? call.route_id ?? '')],
    ['Team', e(teamName(config, call.team_id))],
    ['Started', e(formatTimeWithSeconds(call.started_at, zone))],
    [
      'Outcome',
      call.outcome === null
        ? 'in progress'
        : `${e(call.outcome)} <span class="muted">${e(meaningOf(CALL_OUTCOME_MEANINGS, call.outcome))}</span>${call.outcome_detail ? `: ${e(call.outcome_detail)}` : ''}`,
    ],
    ['Length', e(call.ended_at === null ? '' : formatDuration(call.ended_at - call.started_at))],
  ];
  if (call.connected_responder_id !== null)
    facts.push(['Talked to', e(responderName(config, call.connected_responder_id))]);
  const dl = `<dl class="facts">${facts.map(([k, v]) => `<dt>${e(k)}</dt><dd>${v}</dd>`).join('')}</dl>`;
  const legRows = legs.map((leg) => [
    e(responderName(config, leg.responder_id)),
    e(leg.phone ?? ''),
    `Level ${leg.level + 1}${leg.round > 0 ? `, round ${leg.round + 1}` : ''}`,
    `<span title="${e(meaningOf(LEG_RESULT_MEANINGS, leg.result))}">${e(leg.result)}</span>`,
    e(
      [leg.reason, leg.hangup_cause === null ? null : `cause ${leg.hangup_cause}`, leg.dial_status]
        .filter(Boolean)
        .join(', '),
    ),
    e(formatDuration((leg.ended_at ?? now) - leg.started_at)),
  ]);
  const messages = voicemails.map(
    (vm) =>
      `<figure class="voicemail"><figcaption>Message, ${vm.duration_seconds === null ? '?' : Math.round(vm.duration_seconds)} s${vm.too_short ? ' (too short)' : ''}, ended by ${e(vm.ended_by ?? '?')}</figcaption>${
        vm.file_path === null
          ? `<p class="warn">The audio is not stored yet${vm.fetch_error ? `: ${e(vm.fetch_error)}` : ''}.</p>`
          : `<audio controls preload="metadata" src="/console/voicemails/${encodeURIComponent(vm.id)}/audio"></audio> <a href="/console/voicemails/${encodeURIComponent(vm.id)}/audio?download=1">Download</a>`
      }</figure>`,
  );
  const pageLinks = pages.map(
    (p) => `<li><a href="/console/pages/${p.id}">Page #${p.id}</a>: ${e(p.status)}, ${e(p.summary)}</li>`,
  );
  return `${dl}<div class="chart">${storyChart(config, call, legs, voicemails, now)}</div>${table('Responder legs', ['Responder', 'Phone', 'Level', 'Result', 'Why', 'Length'], legRows, 'No responder was rung.')}${messages.join('')}${pageLinks.length === 0 ? '' : `<h2>Pages</h2><ul>${pageLinks.join('')}</ul>`}`;
}
