/**
 * Finishes what the schema parsed into the model, where the whole file is needed: paths
 * relative to the file, dial strings through settings.trunk_template, responders' default
 * zone, and local date-times resolved in their schedule's zone. Problems only visible at this
 * stage (a date that does not exist, an override that ends before it starts) become located issues.
 */
import * as path from 'node:path';
import type { ParsedConfig } from './schema';
import type { ConfigIssue } from './issues';
import { buildHours } from './buildHours';
import { buildScreening, buildTopScreening } from './buildScreening';
import { toDialString } from './dialString';
import { toInstant } from '../util/wallClock';
import type { Config, Layer, Override, PromptSettings, Responder, Schedule, Settings } from './model';

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

function buildSchedule(
  raw: ParsedConfig['schedules'][number],
  index: number,
  issues: ConfigIssue[],
): Schedule {
  const times = new LocalTimeParser(issues, raw.timezone);
  const base = ['schedules', index];
  const layers: Layer[] = raw.layers.map((layer, l) => {
    const { start: writtenStart, end: writtenEnd, ...rest } = layer;
    const start = times.parse(writtenStart, [...base, 'layers', l, 'start']);
    const end = writtenEnd === undefined ? undefined : times.parse(writtenEnd, [...base, 'layers', l, 'end']);
    if (end !== undefined && end <= start) {
      issues.push({
        severity: 'error',
        path: [...base, 'layers', l, 'end'],
        message: 'layer ends before it starts',
      });
    }
    return { ...rest, name: layer.name ?? `layer ${l + 1}`, start, ...(end === undefined ? {} : { end }) };
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
    return { responderId: o.responderId, start, end, index: i };
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
    name: raw.name,
    timezone: raw.timezone,
    layers,
    overrides: sorted.map(({ responderId, start, end }) => ({ responderId, start, end })),
  };
}

function buildSettings(raw: ParsedConfig['settings'], configDir: string): Settings {
  return {
    ...raw,
    storageDir: path.resolve(configDir, raw.storageDir),
    database: path.resolve(configDir, raw.database),
  };
}

function buildPrompts(raw: ParsedConfig['prompts'], settings: Settings, configDir: string): PromptSettings {
  const { cacheDir, directory, soundPath, ...rest } = raw;
  const shared = directory === undefined ? undefined : path.resolve(configDir, directory);
  return {
    ...rest,
    cacheDir: shared ?? path.resolve(configDir, cacheDir ?? path.join(settings.storageDir, 'prompts')),
    ...(shared === undefined ? {} : { soundPath: soundPath ?? shared }),
  };
}

function buildResponder(raw: ParsedConfig['responders'][number], settings: Settings): Responder {
  return {
    ...raw,
    timezone: raw.timezone ?? settings.timezone,
    phones: raw.phones.map((p) => ({ configured: p, dialString: toDialString(p, settings.trunkTemplate) })),
  };
}

export function buildConfig(raw: ParsedConfig, source: string, issues: ConfigIssue[]): Config {
  const configDir = path.dirname(source);
  const settings = buildSettings(raw.settings, configDir);
  const screening = buildTopScreening(raw.screening, configDir, issues);
  const asterisks = Array.isArray(raw.asterisk) ? raw.asterisk : [raw.asterisk];
  return {
    source,
    asterisk: asterisks[0]!,
    asterisks,
    settings,
    notifications: raw.notifications,
    prompts: buildPrompts(raw.prompts, settings, configDir),
    responders: new Map(raw.responders.map((r) => [r.id, buildResponder(r, settings)])),
    schedules: new Map(raw.schedules.map((s, i) => [s.id, buildSchedule(s, i, issues)])),
    policies: new Map(raw.escalation_policies.map((p) => [p.id, p])),
    teams: new Map(raw.teams.map((t) => [t.id, t])),
    routes: raw.routes.map((route, r) => {
      const { hours, screening: own, ...rest } = route;
      const merged = { ...rest, screening: buildScreening(screening, own, r, configDir, issues) };
      return hours === undefined
        ? merged
        : { ...merged, hours: buildHours(hours, ['routes', r, 'hours'], configDir, issues) };
    }),
  };
}
