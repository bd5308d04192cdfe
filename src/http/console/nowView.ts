/**
 * "Now": who is on call for each team, level by level and until when; the calls in progress and
 * the phones ringing for them; the open pages with their buttons; the daemon's health. The live
 * parts are fragments that events.ts sends again whenever they change.
 */
import type { Config } from '../../config/model';
import { LEG_RESULT_MEANINGS, meaningOf } from '../../domain/enums';
import { resolveLevel, resolveOnCall } from '../../oncall/escalation';
import { nextChange } from '../../oncall/timeline';
import type { LiveCall } from '../../store/callSearch';
import type { PageRow } from '../../store/pages';
import { csrfField, e, formatDuration, table, timeElement } from './html';
import { responderName, routeName, teamName } from './names';

const HORIZON_MS = 14 * 86_400_000;

export function onCallSection(config: Config, now: number, zone: string): string {
  const teams = [...config.teams.values()].map((team) => {
    const answer = resolveOnCall(config, team.id, now);
    const levels = answer.levels.map((level) => {
      const ids = (at: number): string[] =>
        resolveLevel(config, level.level, level.index, at).responders.map((r) => r.responder.id);
      const until = nextChange(ids, now, HORIZON_MS);
      const people =
        level.responders.length === 0
          ? '<span class="warn">nobody on call</span>'
          : level.responders
              .map(
                (r) =>
                  `${e(r.responder.name)}${r.firstPhone === undefined ? ' <span class="warn">(no phone)</span>' : ''}`,
              )
              .join(', ');
      const when = until === undefined ? 'for the next 14 days' : `until ${timeElement(until, zone)}`;
      return `<li><span class="level">Level ${level.index + 1}</span> ${people} <span class="until">${when}</span></li>`;
    });
    return `<article class="card"><h3>${e(team.name)}</h3><p class="muted">${e(answer.policy.name ?? answer.policy.id)}</p><ol class="levels">${levels.join('')}</ol></article>`;
  });
  return `<section aria-labelledby="oncall-h"><h2 id="oncall-h">On call</h2><div class="cards">${teams.join('')}</div></section>`;
}

function optionLabel(config: Config, live: LiveCall): string {
  const route = config.routes.find((r) => r.id === live.call.route_id);
  const option = route?.options.find((o) => o.key === live.call.option_key);
  return option?.label ?? teamName(config, live.call.team_id);
}

export function liveCallsFragment(
  config: Config,
  calls: readonly LiveCall[],
  now: number,
  zone: string,
): string {
  const rows = calls.map((live) => {
    const { call } = live;
    const phones =
      live.legs.length === 0
        ? '<span class="muted">none</span>'
        : `<ul class="legs">${live.legs
            .map((leg) => {
              const name = responderName(config, leg.responder_id);
              return `<li class="leg leg-${e(leg.result)}" title="${e(meaningOf(LEG_RESULT_MEANINGS, leg.result))}">${e(name)} <span class="muted">${e(leg.phone ?? '')}</span> <strong>${e(leg.result)}</strong></li>`;
            })
            .join('')}</ul>`;
    return [
      `<a href="/console/calls/${encodeURIComponent(call.id)}">${e(call.caller_number || 'withheld')}</a>`,
      e(routeName(config, call.route_id) ?? call.dialed_number),
      e(optionLabel(config, live)),
      e(call.stage ?? (call.connected_at === null ? 'answering' : 'connected')),
      `<span class="elapsed" data-since="${call.started_at}">${e(formatDuration(now - call.started_at))}</span>`,
      phones,
    ];
  });
  return (
    table(
      'Calls in progress',
      ['Caller', 'Route', 'Option', 'Stage', 'Elapsed', 'Phones'],
      rows,
      'No call in progress.',
    ) + `<p class="muted small">Since ${timeElement(now, zone)}</p>`
  );
}

/**
 * The buttons of one page, as small forms (they work without script). On the page's own view
 * acknowledging and resolving take a note (each its own labelled field), and it may be escalated.
 */
export function pageActions(page: PageRow, csrf: string, full: boolean): string {
  const form = (action: string, label: string, note: string | undefined): string =>
    `<form method="post" action="/console/pages/${page.id}/${action}" class="inline">${csrfField(csrf)}${
      note === undefined
        ? ''
        : `<label>${e(note)} <input name="note" maxlength="2000" autocomplete="off"></label>`
    }<button type="submit" class="${action}">${e(label)}</button></form>`;
  const forms: string[] = [];
  if (page.status === 'triggered')
    forms.push(
      form('acknowledge', `Acknowledge page ${page.id}`, full ? 'Note with the acknowledgement' : undefined),
    );
  if (page.status !== 'resolved')
    forms.push(form('resolve', `Resolve page ${page.id}`, full ? 'Note with the resolution' : undefined));
  if (full && page.status === 'triggered') forms.push(form('escalate', 'Escalate now', undefined));
  return forms.join('');
}

export function openPagesFragment(
  config: Config,
  pages: readonly PageRow[],
  csrf: string,
  zone: string,
): string {
  const rows = pages.map((page) => [
    `<a href="/console/pages/${page.id}">#${page.id}</a>`,
    `<span class="status status-${page.status}">${e(page.status)}</span>`,
    e(teamName(config, page.team_id)),
    e(page.summary),
    timeElement(page.created_at, zone),
    pageActions(page, csrf, false),
  ]);
  return table(
    'Open pages',
    ['Page', 'Status', 'Team', 'Summary', 'Opened', 'Actions'],
    rows,
    'No open page.',
  );
}

type Health = { ok: boolean; checks: Record<string, unknown> };

export function healthSection(health: Health): string {
  const checks = health.checks as {
    ari?: { connected?: boolean; status?: string; since?: string; reconnects?: number };
    database?: { writable?: boolean; locked?: boolean; error?: string };
    prompts?: { engine?: string; ready?: number; failed?: number };
    config?: {
      current?: boolean;
      loaded_at?: string;
      failed_reload?: { at: string; reason: string; errors: string[] };
    };
  };
  const item = (ok: boolean, name: string, text: string): string =>
    `<li class="${ok ? 'ok' : 'bad'}"><strong>${e(name)}</strong> ${text}</li>`;
  const ari = checks.ari ?? {};
  const db = checks.database ?? {};
  const prompts = checks.prompts ?? {};
  const config = checks.config ?? {};
  const failed = config.failed_reload;
  const items = [
    item(
      ari.connected === true,
      'Asterisk (ARI)',
      `${e(ari.status ?? 'unknown')} since ${e(ari.since ?? '?')}, ${ari.reconnects ?? 0} reconnects`,
    ),
    item(
      db.writable === true,
      'Database',
      db.writable === true
        ? 'takes writes'
        : `${db.locked === true ? 'locked by another process' : 'cannot be written'}: ${e(db.error ?? '')}`,
    ),
    item(
      (prompts.failed ?? 0) === 0,
      'Prompts',
      `${prompts.ready ?? 0} ready (${e(prompts.engine ?? '?')}), ${prompts.failed ?? 0} failed`,
    ),
    item(
      config.current !== false,
      'Configuration',
      failed === undefined
        ? `loaded ${e(config.loaded_at ?? '')}; the last reload succeeded`
        : `the last reload failed at ${e(failed.at)} (${e(failed.reason)}); still running the one loaded ${e(config.loaded_at ?? '')}<ul class="errors">${failed.errors.map((issue) => `<li><code>${e(issue)}</code></li>`).join('')}</ul>`,
    ),
  ];
  return `<section aria-labelledby="health-h"><h2 id="health-h">Health: ${health.ok ? 'ok' : '<span class="bad">failing</span>'}</h2><ul class="health">${items.join('')}</ul></section>`;
}
