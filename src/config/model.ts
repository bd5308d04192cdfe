/**
 * The typed configuration the daemon runs on: ids resolved to maps, durations in seconds,
 * local date-times turned into instants in their schedule's time zone, defaults filled in.
 *
 * Every type is the schema's output (schema.ts, schemaOncall.ts, schemaRoutes.ts), so a key, an
 * enum or a default is written once; only what build.ts finishes with the whole file (paths,
 * dial strings, instants, the responder's zone) is stated here on top of it.
 */
import type { z } from 'zod';
import type { AsteriskSettings, NotificationSettings, ParsedPrompts, ParsedSettings } from './schema';
import type { policySchema, responderSchema, scheduleSchema, teamSchema } from './schemaOncall';
import type { routeSchema } from './schemaRoutes';
import type { Screening } from './schemaScreening';
import type { SupportHours } from '../util/supportHours';

export type { Prompt, PromptTexts, Secret } from './fields';
export type { NotifyRule } from './schemaOncall';
export type { AsteriskSettings, NotificationSettings } from './schema';
export type { Screening } from './schemaScreening';
export type { NotificationChannel, PageEventType, Urgency } from '../domain/enums';

/** Paths resolved against the configuration file's directory. */
export type Settings = ParsedSettings;

export type PromptSettings = Omit<ParsedPrompts, 'cacheDir' | 'directory'> & {
  /** Where synthesized audio is kept: the shared directory itself with delivery: directory. */
  cacheDir: string;
  /** delivery: directory: how Asterisk names that directory in `sound:` URIs. */
  soundPath?: string;
};

export type EmailSettings = NonNullable<NotificationSettings['email']>;
export type WebhookSettings = NotificationSettings['webhooks'][number];

type ParsedRoute = z.output<typeof routeSchema>;
/** Support hours with the holidays of holidays_file merged in (build.ts). */
export type Route = Omit<ParsedRoute, 'hours' | 'screening'> & {
  hours?: SupportHours;
  /** The route's screening merged over the top-level one (build.ts). */
  screening: Screening;
};
export type OutsideHours = Route['outsideHours'];
export type MenuOption = Route['options'][number];
export type HoldAudio = Route['direct']['hold'];
export type RingStrategy = Route['direct']['strategy'];

export type Team = z.output<typeof teamSchema>;
export type Policy = z.output<typeof policySchema>;
export type Level = Policy['levels'][number];
export type Target = Level['targets'][number];

export interface Phone {
  /** As written in the YAML, for messages. */
  configured: string;
  /** What is handed to Asterisk in an originate request. */
  dialString: string;
}

type ParsedResponder = z.output<typeof responderSchema>;
export type Responder = Omit<ParsedResponder, 'phones' | 'timezone'> & {
  /** Its own, or settings.timezone. */
  timezone: string;
  phones: Phone[];
};

type ParsedSchedule = z.output<typeof scheduleSchema>;
type ParsedLayer = ParsedSchedule['layers'][number];
/** A weekly window of time in the schedule's zone: minutes since local midnight. */
export type Restriction = ParsedLayer['restrictions'][number];
export type TurnUnit = ParsedLayer['turnUnit'];

export type Layer = Omit<ParsedLayer, 'name' | 'start' | 'end'> & {
  name: string;
  /** Epoch milliseconds of the first hand-off. */
  start: number;
  end?: number;
};

type ParsedOverride = ParsedSchedule['overrides'][number];
export type Override = Omit<ParsedOverride, 'start' | 'end'> & { start: number; end: number };

export type Schedule = Omit<ParsedSchedule, 'layers' | 'overrides'> & {
  /** Lowest precedence first: a later layer wins wherever it has someone on call. */
  layers: Layer[];
  /** Sorted by start; never overlapping (checked at load). */
  overrides: Override[];
};

export interface Config {
  /** Absolute path of the YAML file the configuration came from. */
  source: string;
  /** The first Asterisk listed: the one a call's context names when it is that Asterisk's. */
  asterisk: AsteriskSettings;
  /** Every Asterisk this daemon connects to, the first first (one when `asterisk:` is a mapping). */
  asterisks: AsteriskSettings[];
  settings: Settings;
  notifications: NotificationSettings;
  prompts: PromptSettings;
  responders: Map<string, Responder>;
  schedules: Map<string, Schedule>;
  policies: Map<string, Policy>;
  teams: Map<string, Team>;
  routes: Route[];
}
