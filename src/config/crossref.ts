/**
 * Checks that need the whole file: ids that refer to other sections, duplicates, and the
 * warnings an operator wants before a 3 a.m. call finds the gap.
 */
import type { RawConfig } from './schema';
import { didYouMean, type ConfigIssue } from './issues';
import { normaliseDialedNumber } from './dialString';

interface Named {
  id: string;
}

function indexIds<T extends Named>(
  items: readonly T[] | undefined,
  section: string | ReadonlyArray<string>,
  issues: ConfigIssue[],
): Map<string, T> {
  const base = typeof section === 'string' ? [section] : section;
  const byId = new Map<string, T>();
  (items ?? []).forEach((item, index) => {
    if (byId.has(item.id)) {
      issues.push({ severity: 'error', path: [...base, index, 'id'], message: `duplicate id "${item.id}"` });
    } else {
      byId.set(item.id, item);
    }
  });
  return byId;
}

function checkReference(
  issues: ConfigIssue[],
  known: Map<string, unknown>,
  kind: string,
  id: string,
  path: ReadonlyArray<string | number>,
): void {
  if (!known.has(id)) {
    issues.push({
      severity: 'error',
      path,
      message: `unknown ${kind} "${id}"${didYouMean(id, known.keys())}`,
    });
  }
}

export function crossCheck(config: RawConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const responders = indexIds(config.responders, 'responders', issues);
  const schedules = indexIds(config.schedules, 'schedules', issues);
  const policies = indexIds(config.escalation_policies, 'escalation_policies', issues);
  const teams = indexIds(config.teams, 'teams', issues);
  indexIds(config.routes, 'routes', issues);

  (config.schedules ?? []).forEach((schedule, s) => {
    schedule.layers.forEach((layer, l) =>
      layer.members.forEach((member, m) =>
        checkReference(issues, responders, 'responder', member, ['schedules', s, 'layers', l, 'members', m]),
      ),
    );
    (schedule.overrides ?? []).forEach((override, o) =>
      checkReference(issues, responders, 'responder', override.responder, [
        'schedules',
        s,
        'overrides',
        o,
        'responder',
      ]),
    );
  });

  config.escalation_policies.forEach((policy, p) =>
    policy.levels.forEach((level, l) => {
      if (level.targets.length === 0) {
        issues.push({
          severity: 'error',
          path: ['escalation_policies', p, 'levels', l, 'targets'],
          message: 'empty escalation level: add at least one responder or schedule',
        });
      }
      level.targets.forEach((target, t) => {
        const path = ['escalation_policies', p, 'levels', l, 'targets', t];
        if ('responder' in target)
          checkReference(issues, responders, 'responder', target.responder, [...path, 'responder']);
        else checkReference(issues, schedules, 'schedule', target.schedule, [...path, 'schedule']);
      });
    }),
  );

  config.teams.forEach((team, t) =>
    checkReference(issues, policies, 'escalation policy', team.escalation_policy, [
      'teams',
      t,
      'escalation_policy',
    ]),
  );

  const routeOfNumber = new Map<string, string>();
  config.routes.forEach((route, r) => {
    route.numbers.forEach((number, n) => {
      const digits = normaliseDialedNumber(number);
      const owner = routeOfNumber.get(digits);
      if (owner !== undefined) {
        issues.push({
          severity: 'error',
          path: ['routes', r, 'numbers', n],
          message: `duplicate dialed number "${number}": already used by route "${owner}"`,
        });
      } else {
        routeOfNumber.set(digits, route.id);
      }
    });

    if (route.options.length > 9) {
      issues.push({
        severity: 'error',
        path: ['routes', r, 'options'],
        message: `${route.options.length} options: a keypad menu holds at most 9 (keys 1 to 9)`,
      });
    }
    const keys = checkOptions(route.options, ['routes', r, 'options'], teams, issues);
    const fallback = route.menu?.fallback;
    if (typeof fallback === 'number' && !keys.has(String(fallback))) {
      issues.push({
        severity: 'error',
        path: ['routes', r, 'menu', 'fallback'],
        message: `fallback key ${fallback} is not one of this route's options`,
      });
    }
    if (route.routing === 'direct') warnPhonelessResponders(config, r, issues);
    checkOutsideHours(route, r, teams, policies, issues);
  });
  checkNotifications(config, teams, issues);
  checkConsoleAccess(config, issues);
  const checkTeamPins = (pins: Record<string, string> | undefined, base: Array<string | number>): void =>
    Object.keys(pins ?? {}).forEach((team) =>
      checkReference(issues, teams, 'team', team, [...base, 'screening', 'pin', 'team_pins', team]),
    );
  checkTeamPins(config.screening?.pin?.team_pins, []);
  config.routes.forEach((route, r) => checkTeamPins(route.screening?.pin?.team_pins, ['routes', r]));
  return issues;
}

/** Webhook team filters must name teams; notification channels a responder cannot get are worth a warning. */
function checkNotifications(config: RawConfig, teams: Map<string, Named>, issues: ConfigIssue[]): void {
  const webhooks = config.notifications?.webhooks ?? [];
  indexIds(webhooks, ['notifications', 'webhooks'], issues);
  webhooks.forEach((webhook, w) =>
    (webhook.teams ?? []).forEach((team, t) =>
      checkReference(issues, teams, 'team', team, ['notifications', 'webhooks', w, 'teams', t]),
    ),
  );
  config.responders.forEach((responder, r) => {
    (responder.notify ?? []).forEach((rule, n) => {
      const channel = typeof rule === 'string' ? rule : rule.via;
      const path = ['responders', r, 'notify', n];
      if (channel === 'email' && responder.email === undefined)
        issues.push({
          severity: 'warning',
          path,
          message: `responder "${responder.id}" has no email address`,
        });
      else if (channel === 'email' && config.notifications?.email === undefined)
        issues.push({
          severity: 'warning',
          path,
          message: 'email notifications need notifications.email (the SMTP server); none is configured',
        });
      if (channel === 'phone' && (responder.phones ?? []).length === 0)
        issues.push({ severity: 'warning', path, message: `responder "${responder.id}" has no phone` });
    });
  });
}

/** Responders without a phone are skipped at call time; on a direct route the operator should know. */
function warnPhonelessResponders(config: RawConfig, routeIndex: number, issues: ConfigIssue[]): void {
  const route = config.routes[routeIndex]!;
  const warned = new Set<string>();
  for (const option of route.options) {
    const team = config.teams.find((t) => t.id === option.team);
    const policy = config.escalation_policies.find((p) => p.id === team?.escalation_policy);
    for (const level of policy?.levels ?? []) {
      for (const target of level.targets) {
        const ids =
          'responder' in target
            ? [target.responder]
            : (config.schedules ?? [])
                .filter((s) => s.id === target.schedule)
                .flatMap((s) => [
                  ...s.layers.flatMap((l) => l.members),
                  ...(s.overrides ?? []).map((o) => o.responder),
                ]);
        for (const id of ids) {
          const index = config.responders.findIndex((r) => r.id === id);
          const responder = config.responders[index];
          if (responder && (responder.phones ?? []).length === 0 && !warned.has(id)) {
            warned.add(id);
            issues.push({
              severity: 'warning',
              path: ['responders', index],
              message: `responder "${id}" has no phone but is in the direct-routing path of route "${route.id}" (team "${option.team}"): they will be skipped`,
            });
          }
        }
      }
    }
  }
}

/** A menu's options (a route's, or its outside-hours ones): one key each, known teams; returns the keys. */
function checkOptions(
  options: ReadonlyArray<{ key: number | string; team: string }>,
  base: Array<string | number>,
  teams: Map<string, Named>,
  issues: ConfigIssue[],
): Set<string> {
  const keys = new Set<string>();
  options.forEach((option, o) => {
    const key = String(option.key);
    if (keys.has(key))
      issues.push({ severity: 'error', path: [...base, o, 'key'], message: `duplicate keypad key ${key}` });
    keys.add(key);
    checkReference(issues, teams, 'team', option.team, [...base, o, 'team']);
  });
  return keys;
}
/** A console nobody can sign in to is a console that fails the night someone needs it. */
function checkConsoleAccess(config: RawConfig, issues: ConfigIssue[]): void {
  const settings = config.settings;
  if (settings?.console?.enabled !== true) return;
  const hasSecret = (value: Record<string, unknown>, name: string): boolean =>
    [name, `${name}_env`, `${name}_file`].some((key) => value[key] !== undefined);
  if (hasSecret(settings, 'api_token') || config.responders.some((r) => hasSecret(r, 'console_password')))
    return;
  issues.push({
    severity: 'warning',
    path: ['settings', 'console', 'enabled'],
    message:
      'the console is enabled but nobody can sign in: give responders a console_password_env (or _file), or set settings.api_token_env',
  });
}

/** outside_hours names teams and a policy like the rest of the route; alone, without hours, it does nothing. */
function checkOutsideHours(
  route: RawConfig['routes'][number],
  r: number,
  teams: Map<string, Named>,
  policies: Map<string, Named>,
  issues: ConfigIssue[],
): void {
  const outside = route.outside_hours;
  if (outside === undefined) return;
  const base = ['routes', r, 'outside_hours'];
  if (route.hours === undefined)
    issues.push({
      severity: 'warning',
      path: base,
      atKey: true,
      message: 'outside_hours has no effect: this route has no hours (it is always open)',
    });
  checkOptions(outside.options ?? [], [...base, 'options'], teams, issues);
  if (outside.escalation_policy !== undefined)
    checkReference(issues, policies, 'escalation policy', outside.escalation_policy, [
      ...base,
      'escalation_policy',
    ]);
}
