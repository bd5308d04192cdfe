/**
 * Turns the validated YAML into the typed model: defaults filled in, durations in seconds,
 * local date-times resolved in their schedule's zone. Problems only visible at this stage
 * (a date that does not exist, an override that ends before it starts) become located issues.
 */
import * as path from 'node:path';
import { PROMPT_SLOTS, yamlSlotName } from '../domain/promptSlots';
import type { RawConfig, RawPrompt, RawRoute, RawSchedule } from './schema';
import type { ConfigIssue } from './issues';
import { PAGE_EVENTS, WEEKDAYS } from '../domain/enums';
import { parseDurationSeconds } from './duration';
import { DEFAULT_TRUNK_TEMPLATE, normaliseDialedNumber, toDialString } from './dialString';
import { toInstant } from '../util/wallClock';
import type {
  AsteriskSettings,
  Config,
  HoldAudio,
  Layer,
  NotificationSettings,
  NotifyRule,
  Override,
  Policy,
  Prompt,
  PromptSettings,
  PromptTexts,
  Responder,
  Route,
  Schedule,
  Secret,
  Settings,
  Team,
  TurnUnit,
} from './model';

const TURN_UNITS: Record<string, TurnUnit> = { h: 'hours', d: 'days', w: 'weeks' };

export function toPrompt(raw: RawPrompt | undefined): Prompt | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw === 'string') {
    return raw.startsWith('sound:')
      ? { kind: 'sound', sound: raw.slice('sound:'.length) }
      : { kind: 'text', text: raw.trim() };
  }
  if ('text' in raw) return { kind: 'text', text: raw.text.trim() };
  if ('sound' in raw) return { kind: 'sound', sound: raw.sound.replace(/^sound:/, '') };
  return { kind: 'file', path: raw.file };
}

function minuteOfDay(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h! * 60 + m!;
}

class LocalTimeParser {
  constructor(
    private readonly issues: ConfigIssue[],
    private readonly zone: string,
  ) {}

  /** Resolved with the same wall-clock rules as rotations, so a layer's start and its hand-offs agree. */
  parse(text: string, issuePath: ReadonlyArray<string | number>): number {
    const [year, month, day, hour = 0, minute = 0, second = 0] = (text.match(/\d+/g) ?? []).map(Number);
    const localMs = Date.UTC(year!, month! - 1, day!, hour, minute, second);
    const check = new Date(localMs);
    const exists =
      check.getUTCFullYear() === year &&
      check.getUTCMonth() === month! - 1 &&
      check.getUTCDate() === day &&
      hour < 24 &&
      minute < 60 &&
      second < 60;
    if (!exists) {
      this.issues.push({ severity: 'error', path: issuePath, message: `"${text}" is not a valid date-time` });
      return 0;
    }
    return toInstant(this.zone, localMs);
  }
}

function buildSchedule(raw: RawSchedule, index: number, issues: ConfigIssue[]): Schedule {
  const times = new LocalTimeParser(issues, raw.timezone);
  const base = ['schedules', index];
  const layers: Layer[] = raw.layers.map((layer, l) => {
    const start = times.parse(layer.start, [...base, 'layers', l, 'start']);
    const end = layer.end === undefined ? undefined : times.parse(layer.end, [...base, 'layers', l, 'end']);
    if (end !== undefined && end <= start) {
      issues.push({
        severity: 'error',
        path: [...base, 'layers', l, 'end'],
        message: 'layer ends before it starts',
      });
    }
    const restrictions = (layer.restrictions ?? []).map((r, i) => {
      const fromMinute = minuteOfDay(r.from);
      const toMinute = minuteOfDay(r.to);
      if (fromMinute === toMinute) {
        issues.push({
          severity: 'error',
          path: [...base, 'layers', l, 'restrictions', i],
          message:
            'restriction window is empty (from equals to); use from "00:00" to "24:00" for a whole day',
        });
      }
      const days = (r.days ?? WEEKDAYS).map((d) => WEEKDAYS.indexOf(d) + 1);
      return { days, fromMinute, toMinute };
    });
    return {
      name: layer.name ?? `layer ${l + 1}`,
      start,
      ...(end === undefined ? {} : { end }),
      turnUnit: TURN_UNITS[layer.turn.slice(-1)]!,
      turnCount: Number(layer.turn.slice(0, -1)),
      members: layer.members,
      restrictions,
    };
  });
  layers.forEach((layer, l) => {
    if (layer.turnCount === 0) {
      issues.push({
        severity: 'error',
        path: [...base, 'layers', l, 'turn'],
        message: 'a turn must last at least 1 hour',
      });
    }
  });

  const overrides: Array<Override & { index: number }> = (raw.overrides ?? []).map((o, i) => {
    const start = times.parse(o.start, [...base, 'overrides', i, 'start']);
    const end = times.parse(o.end, [...base, 'overrides', i, 'end']);
    if (end <= start) {
      issues.push({
        severity: 'error',
        path: [...base, 'overrides', i, 'end'],
        message: `override ends (${o.end}) before it starts (${o.start})`,
      });
    }
    return { responderId: o.responder, start, end, index: i };
  });
  const sorted = [...overrides].sort((a, b) => a.start - b.start);
  for (let i = 1; i < sorted.length; i++) {
    const previous = sorted[i - 1]!;
    const current = sorted[i]!;
    if (current.start < previous.end) {
      issues.push({
        severity: 'error',
        path: [...base, 'overrides', current.index],
        message: `override overlaps overrides[${previous.index}]: only one override can cover a moment`,
      });
    }
  }
  return {
    id: raw.id,
    name: raw.name ?? raw.id,
    timezone: raw.timezone,
    layers,
    overrides: sorted.map(({ responderId, start, end }) => ({ responderId, start, end })),
  };
}

function buildHold(raw: NonNullable<RawRoute['direct']>['hold']): HoldAudio {
  if (raw === undefined || raw === 'ringback') return { kind: 'ringback' };
  if ('moh' in raw) return { kind: 'moh', mohClass: raw.moh };
  return { kind: 'sound', sound: raw.sound.replace(/^sound:/, '') };
}

function buildRoute(raw: RawRoute): Route {
  const seconds = (value: number | string | undefined, fallback: number): number =>
    value === undefined ? fallback : parseDurationSeconds(value);
  const menu = raw.menu ?? {};
  const voicemail = raw.voicemail ?? {};
  const direct = raw.direct ?? {};
  const fallback = menu.fallback;
  const pageOnConnect = direct.page_on_connect ?? false;
  return {
    id: raw.id,
    name: raw.name,
    numbers: raw.numbers,
    normalisedNumbers: raw.numbers.map(normaliseDialedNumber),
    ...(raw.region === undefined ? {} : { region: raw.region }),
    language: raw.language ?? 'en',
    active: raw.active ?? true,
    ...optionalPrompt('inactiveMessage', raw.inactive_message),
    ...optionalPrompt('greeting', raw.greeting),
    routing: raw.routing,
    prompts: buildPromptTexts(raw.prompts),
    options: raw.options.map((o) => ({
      key: String(o.key),
      teamId: o.team,
      label: o.label,
      ...optionalPrompt('prompt', o.prompt),
    })),
    menu: {
      ...optionalPrompt('prompt', menu.prompt),
      timeoutSeconds: seconds(menu.timeout, 6),
      tries: menu.tries ?? 3,
      ...optionalPrompt('invalidPrompt', menu.invalid_prompt),
      fallback: typeof fallback === 'number' ? String(fallback) : (fallback ?? 'first'),
    },
    voicemail: {
      ...optionalPrompt('prompt', voicemail.prompt),
      ...optionalPrompt('thanks', voicemail.thanks),
      maxDurationSeconds: seconds(voicemail.max_duration, 180),
      maxSilenceSeconds: seconds(voicemail.max_silence, 10),
      minDurationSeconds: seconds(voicemail.min_duration, 2),
      pageOnAbandon: voicemail.page_on_abandon ?? false,
    },
    direct: {
      strategy: direct.strategy ?? 'simultaneous',
      hold: buildHold(direct.hold),
      stillTryingEverySeconds: seconds(direct.still_trying_every, 0),
      ...optionalPrompt('stillTryingPrompt', direct.still_trying_prompt),
      callerId: direct.caller_id ?? 'hotline',
      ...optionalPrompt('confirmPrompt', direct.confirm_prompt),
      confirmTimeoutSeconds: seconds(direct.confirm_timeout, 15),
      onNoAnswer: direct.on_no_answer ?? 'voicemail',
      ...optionalPrompt('noAnswerPrompt', direct.no_answer_prompt),
      skipAlreadyDialed: direct.skip_already_dialed ?? false,
      pageOnConnect,
      resolveOnHangup: direct.resolve_on_hangup ?? pageOnConnect,
    },
  };
}

function buildPromptTexts(raw: Partial<Record<string, RawPrompt>> | undefined): PromptTexts {
  const texts: PromptTexts = {};
  for (const slot of PROMPT_SLOTS) {
    const prompt = toPrompt(raw?.[yamlSlotName(slot)]);
    if (prompt !== undefined) texts[slot] = prompt;
  }
  return texts;
}

function buildPrompts(raw: RawConfig['prompts'], settings: Settings, configDir: string): PromptSettings {
  const p = raw ?? {};
  const delivery = p.delivery ?? 'http';
  const directory = p.directory === undefined ? undefined : path.resolve(configDir, p.directory);
  return {
    engine: p.engine ?? 'auto',
    ...(p.command === undefined ? {} : { command: p.command }),
    voices: p.voices ?? {},
    timeoutSeconds: p.timeout === undefined ? 30 : parseDurationSeconds(p.timeout),
    format: p.format ?? 'wav',
    delivery,
    cacheDir: directory ?? path.resolve(configDir, p.cache_dir ?? path.join(settings.storageDir, 'prompts')),
    ...(directory === undefined ? {} : { soundPath: p.sound_path ?? directory }),
    texts: buildPromptTexts(p.texts),
  };
}

function optionalPrompt<K extends string>(key: K, raw: RawPrompt | undefined): { [P in K]?: Prompt } {
  const prompt = toPrompt(raw);
  return (prompt === undefined ? {} : { [key]: prompt }) as { [P in K]?: Prompt };
}

function buildSecret(raw: Record<string, unknown>, name: string): Secret {
  const plain = raw[name];
  const env = raw[`${name}_env`];
  const file = raw[`${name}_file`];
  if (typeof plain === 'string') return { kind: 'plain', value: plain };
  if (typeof env === 'string') return { kind: 'env', name: env };
  if (typeof file === 'string') return { kind: 'file', path: file };
  return { kind: 'none' };
}

function buildNotifications(raw: RawConfig['notifications']): NotificationSettings {
  const n = raw ?? {};
  const seconds = (value: number | string | undefined, fallback: number): number =>
    value === undefined ? fallback : parseDurationSeconds(value);
  const email = n.email;
  return {
    phone: {
      ringTimeoutSeconds: seconds(n.phone?.ring_timeout, 30),
      callerId: n.phone?.caller_id ?? 'lcr',
      announceTimes: n.phone?.announce_times ?? 3,
    },
    ...(email === undefined
      ? {}
      : {
          email: {
            host: email.host,
            tls: email.tls ?? (email.port === 465 ? 'implicit' : 'starttls'),
            port: email.port ?? (email.tls === 'implicit' ? 465 : email.tls === 'none' ? 25 : 587),
            ...(email.username === undefined ? {} : { username: email.username }),
            password: buildSecret(email, 'password'),
            from: email.from,
            timeoutSeconds: seconds(email.timeout, 20),
            maxAttempts: email.max_attempts ?? 5,
          },
        }),
    webhooks: (n.webhooks ?? []).map((w) => ({
      id: w.id,
      url: w.url,
      format: w.format ?? 'generic',
      secret: buildSecret(w, 'secret'),
      ...(w.teams === undefined ? {} : { teams: w.teams }),
      events: w.events ?? [...PAGE_EVENTS],
      timeoutSeconds: seconds(w.timeout, 10),
      maxAttempts: w.max_attempts ?? 10,
    })),
    ackLinkTtlSeconds: seconds(n.ack_link_ttl, 24 * 3600),
  };
}

/** Default: phone then email, both at once; a channel the responder cannot be reached on is dropped. */
function buildNotifyRules(raw: RawConfig['responders'][number]): NotifyRule[] {
  const rules = (raw.notify ?? ['phone', 'email']).map((rule) =>
    typeof rule === 'string'
      ? { channel: rule, afterSeconds: 0 }
      : { channel: rule.via, afterSeconds: rule.after === undefined ? 0 : parseDurationSeconds(rule.after) },
  );
  return rules.filter((rule) =>
    rule.channel === 'phone' ? (raw.phones ?? []).length > 0 : raw.email !== undefined,
  );
}

function buildAsterisk(raw: RawConfig['asterisk']): AsteriskSettings {
  return {
    url: raw.url.replace(/\/+$/, ''),
    username: raw.username,
    password: buildSecret(raw, 'password'),
    app: raw.app ?? 'lcr',
    requestTimeoutSeconds: raw.request_timeout === undefined ? 10 : parseDurationSeconds(raw.request_timeout),
  };
}

function buildSettings(raw: RawConfig['settings'], configDir: string): Settings {
  const s = raw ?? {};
  const storageDir = path.resolve(configDir, s.storage_dir ?? 'data');
  return {
    database: path.resolve(configDir, s.database ?? path.join(storageDir, 'lcr.db')),
    storageDir,
    httpListen: s.http_listen ?? '127.0.0.1:8080',
    logLevel: s.log_level ?? 'info',
    logFormat: s.log_format ?? 'auto',
    trunkTemplate: s.trunk_template ?? DEFAULT_TRUNK_TEMPLATE,
    timezone: s.timezone ?? 'UTC',
    ...(s.public_url === undefined ? {} : { publicUrl: s.public_url.replace(/\/+$/, '') }),
    ...(s.media_url === undefined ? {} : { mediaUrl: s.media_url.replace(/\/+$/, '') }),
    apiToken: buildSecret(s, 'api_token'),
    shutdown: {
      drainSeconds: s.shutdown?.drain === undefined ? 30 : parseDurationSeconds(s.shutdown.drain),
      newCalls: s.shutdown?.new_calls ?? 'prompt',
    },
  };
}

export function buildConfig(raw: RawConfig, source: string, issues: ConfigIssue[]): Config {
  const settings = buildSettings(raw.settings, path.dirname(source));
  const responders = new Map<string, Responder>(
    raw.responders.map((r) => [
      r.id,
      {
        id: r.id,
        name: r.name,
        timezone: r.timezone ?? settings.timezone,
        phones: (r.phones ?? []).map((p) => ({
          configured: p,
          dialString: toDialString(p, settings.trunkTemplate),
        })),
        ...(r.email === undefined ? {} : { email: r.email }),
        notify: buildNotifyRules(r),
      },
    ]),
  );
  const schedules = new Map<string, Schedule>(
    (raw.schedules ?? []).map((s, i) => [s.id, buildSchedule(s, i, issues)]),
  );
  const policies = new Map<string, Policy>(
    raw.escalation_policies.map((p) => [
      p.id,
      {
        id: p.id,
        name: p.name ?? p.id,
        repeat: p.repeat ?? 0,
        levels: p.levels.map((level) => ({
          targets: level.targets.map((t) =>
            'responder' in t
              ? { kind: 'responder' as const, id: t.responder }
              : { kind: 'schedule' as const, id: t.schedule },
          ),
          ringTimeoutSeconds:
            level.ring_timeout === undefined ? 30 : parseDurationSeconds(level.ring_timeout),
          escalateAfterSeconds:
            level.escalate_after === undefined ? 900 : parseDurationSeconds(level.escalate_after),
          ...(level.strategy === undefined ? {} : { strategy: level.strategy }),
        })),
      },
    ]),
  );
  const teams = new Map<string, Team>(
    raw.teams.map((t) => [t.id, { id: t.id, name: t.name, policyId: t.escalation_policy }]),
  );
  return {
    source,
    asterisk: buildAsterisk(raw.asterisk),
    settings,
    notifications: buildNotifications(raw.notifications),
    prompts: buildPrompts(raw.prompts, settings, path.dirname(source)),
    responders,
    schedules,
    policies,
    teams,
    routes: raw.routes.map(buildRoute),
  };
}
