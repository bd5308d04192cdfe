/**
 * `lcr routes [--at TIME] [--from NUMBER]`: what a caller (from that number) would get from every
 * route at that moment: screening, open or closed (support hours, and when it opens), each
 * option's routing, who would be rung in what order (or who gets the page), and the urgency. Read from the same pure plan
 * the call flow follows (callflow/routePlan.ts), so what it prints is what a caller gets.
 */
import { DateTime } from 'luxon';
import type { Config, MenuOption, Route } from '../../config/model';
import { planRoute, urgencyOf, type RoutePlan } from '../../callflow/routePlan';
import { screenCaller, screenedAs, type ScreenDecision } from '../../callflow/screeningRules';
import { formatDuration } from '../../config/duration';
import { resolveOnCall, type OnCallAnswer } from '../../oncall/escalation';
import type { CliIo } from '../io';
import { parseAt } from './oncall';
import { loadOrFail } from './shared';

export interface RoutesOptions {
  at?: string;
  from?: string;
  json?: boolean;
}

interface OptionView {
  key: string;
  label: string;
  team: string;
  routing: 'voicemail' | 'direct';
  urgency: string;
  policy: string;
  levels: Array<{ level: number; responders: Array<{ id: string; name: string; phone: string | null }> }>;
}

interface RouteView {
  id: string;
  name: string;
  numbers: string[];
  active: boolean;
  open: boolean;
  closed?: { reason: string; opensAt: string | null; action: string };
  /** The caller's screening (with --from), and the rules a caller meets before the menu. */
  screening: { decision?: string; rules: string[] };
  options: OptionView[];
}

function optionView(
  config: Config,
  route: Route,
  plan: RoutePlan,
  option: MenuOption,
  at: number,
): OptionView {
  const answer: OnCallAnswer = resolveOnCall(config, option.teamId, at, plan.policyId);
  return {
    key: option.key,
    label: option.label,
    team: option.teamId,
    routing: plan.routing === 'direct' ? 'direct' : 'voicemail',
    urgency: urgencyOf(route, plan, option),
    policy: answer.policy.id,
    levels: answer.levels.map((level) => ({
      level: level.index + 1,
      responders: level.responders.map((r) => ({
        id: r.responder.id,
        name: r.responder.name,
        phone: r.firstPhone?.dialString ?? null,
      })),
    })),
  };
}

function screeningRules(route: Route): string[] {
  const { screening } = route;
  const rules: string[] = [];
  if (screening.block.length > 0)
    rules.push(`${screening.block.length} blocked pattern(s), who hear ${screening.blockedHears}`);
  if (screening.anonymous !== 'allow') rules.push(`withheld numbers: ${screening.anonymous}`);
  if (screening.allow !== undefined)
    rules.push(`only ${screening.allow.length} allowed pattern(s) reach direct routing`);
  if (screening.rateLimit !== undefined)
    rules.push(
      `at most ${screening.rateLimit.calls} direct call(s) per ${formatDuration(screening.rateLimit.perSeconds)} per caller`,
    );
  if (screening.pressToContinue !== undefined)
    rules.push(`press ${screening.pressToContinue.key} to continue`);
  if (screening.pin !== undefined) rules.push('a PIN before anyone is rung');
  return rules;
}

/** With --from: what screening decides for that number (the rate limit is counted when the call comes). */
function decisionFor(route: Route, from: string | undefined): ScreenDecision | undefined {
  return from === undefined ? undefined : screenCaller(route.screening, from, undefined);
}

function routeView(config: Config, route: Route, at: number, from: string | undefined): RouteView {
  const decision = decisionFor(route, from);
  const screened = decision === undefined ? undefined : (screenedAs(decision) ?? 'passes');
  const base = {
    id: route.id,
    name: route.name,
    numbers: route.numbers,
    active: route.active,
    screening: { ...(screened === undefined ? {} : { decision: screened }), rules: screeningRules(route) },
  };
  if (!route.active) return { ...base, open: false, options: [] };
  const planned = planRoute(route, at);
  if (decision?.kind === 'refuse') return { ...base, open: planned.open, options: [] };
  const plan =
    decision?.kind === 'voicemail-only' && planned.routing === 'direct'
      ? { ...planned, routing: 'voicemail' as const }
      : planned;
  return {
    ...base,
    open: plan.open,
    ...(plan.open
      ? {}
      : {
          closed: {
            reason: plan.holiday === undefined ? 'outside support hours' : `holiday: ${plan.holiday}`,
            opensAt: plan.opensAt === undefined ? null : new Date(plan.opensAt).toISOString(),
            action: plan.action ?? 'voicemail',
          },
        }),
    options: plan.options.map((option) => optionView(config, route, plan, option, at)),
  };
}

function local(config: Config, route: Route, iso: string): string {
  const zone = route.hours?.timezone ?? config.settings.timezone;
  return DateTime.fromISO(iso, { zone }).toFormat('yyyy-MM-dd HH:mm ZZZZ');
}

function optionText(option: OptionView): string[] {
  const head = `  ${option.key}  ${option.label} -> ${option.team}: ${option.routing}, urgency ${option.urgency}`;
  const who = (level: OptionView['levels'][number]): string =>
    level.responders.length === 0
      ? 'nobody on call'
      : level.responders
          .map((r) =>
            option.routing === 'direct' && r.phone === null ? `${r.name} (no phone: skipped)` : r.name,
          )
          .join(', ');
  if (option.routing === 'voicemail') {
    const first = option.levels[0];
    return [
      head,
      `     the page goes to ${first === undefined ? 'nobody' : who(first)} (policy ${option.policy})`,
    ];
  }
  return [head, ...option.levels.map((level) => `     rings level ${level.level}: ${who(level)}`)];
}

export function routesCommand(io: CliIo, file: string, options: RoutesOptions): void {
  const { config } = loadOrFail(io, file);
  const at = parseAt(options.at, config.settings.timezone);
  const views = config.routes.map((route) => routeView(config, route, at, options.from));
  if (options.json) {
    io.out(
      JSON.stringify({ at: new Date(at).toISOString(), from: options.from ?? null, routes: views }, null, 2),
    );
    return;
  }
  const when = DateTime.fromMillis(at, { zone: config.settings.timezone }).toFormat('yyyy-MM-dd HH:mm ZZZZ');
  const lines = [
    `What a caller${options.from === undefined ? '' : ` from ${options.from}`} gets at ${when}:`,
  ];
  config.routes.forEach((route, i) => {
    const view = views[i]!;
    lines.push('', `${view.name} (${view.id})  ${view.numbers.join(', ')}`);
    if (!view.active) {
      lines.push('  inactive: hears the inactive message and is hung up');
      return;
    }
    if (view.screening.rules.length > 0) lines.push(`  screening: ${view.screening.rules.join('; ')}`);
    if (view.screening.decision !== undefined && view.screening.decision !== 'passes')
      lines.push(`  this caller is screened: ${view.screening.decision}`);
    if (
      view.options.length === 0 &&
      view.screening.decision !== undefined &&
      view.screening.decision !== 'passes'
    )
      return;
    if (view.closed === undefined)
      lines.push(route.hours === undefined ? '  open (no support hours)' : '  open');
    else {
      const opens =
        view.closed.opensAt === null
          ? 'does not open within a year'
          : `opens ${local(config, route, view.closed.opensAt)}`;
      lines.push(`  CLOSED (${view.closed.reason}; ${opens}): outside_hours ${view.closed.action}`);
      if (view.closed.action === 'message') lines.push('  hears the outside-hours greeting and is hung up');
    }
    for (const option of view.options) lines.push(...optionText(option));
  });
  io.out(lines.join('\n'));
}
