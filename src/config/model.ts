/**
 * The typed configuration the daemon runs on: ids resolved to maps, durations in seconds,
 * local date-times turned into instants in their schedule's time zone, defaults filled in.
 */
import type { PromptSlot } from '../domain/promptSlots';
import type { LogFormat, LogLevel, NotificationChannel, PageEventType } from '../domain/enums';

export type { NotificationChannel, PageEventType } from '../domain/enums';

export type Prompt =
  { kind: 'text'; text: string } | { kind: 'sound'; sound: string } | { kind: 'file'; path: string };

/** Per prompt name (PromptSlot), the operator's replacement for the built-in text. */
export type PromptTexts = Partial<Record<PromptSlot, Prompt>>;

export interface PromptSettings {
  engine: 'auto' | 'bundled' | 'espeak-ng' | 'command' | 'none';
  command?: string[];
  /** Voice per language ("de" -> "de+f3"); languages not listed use the language code itself. */
  voices: Record<string, string>;
  timeoutSeconds: number;
  format: 'wav' | 'wav16';
  delivery: 'http' | 'directory';
  /** Where synthesized audio is kept: the shared directory itself with delivery: directory. */
  cacheDir: string;
  /** delivery: directory: how Asterisk names that directory in `sound:` URIs. */
  soundPath?: string;
  texts: PromptTexts;
}

export type RingStrategy = 'simultaneous' | 'sequential' | 'random';

export interface Phone {
  /** As written in the YAML, for messages. */
  configured: string;
  /** What is handed to Asterisk in an originate request. */
  dialString: string;
}

export interface NotifyRule {
  channel: NotificationChannel;
  /** Delay after the responder is assigned a page. */
  afterSeconds: number;
}

export interface Responder {
  id: string;
  name: string;
  timezone: string;
  phones: Phone[];
  email?: string;
  /** In order; only channels the responder can be reached on (a phone, an email address). */
  notify: NotifyRule[];
}

/** A weekly window of time in the schedule's zone: minutes since local midnight. */
export interface Restriction {
  /** ISO weekdays 1 (Monday) to 7 (Sunday) the window starts on. */
  days: number[];
  fromMinute: number;
  toMinute: number;
}

export type TurnUnit = 'hours' | 'days' | 'weeks';

export interface Layer {
  name: string;
  /** Epoch milliseconds of the first hand-off. */
  start: number;
  end?: number;
  turnUnit: TurnUnit;
  turnCount: number;
  members: string[];
  restrictions: Restriction[];
}

export interface Override {
  responderId: string;
  start: number;
  end: number;
}

export interface Schedule {
  id: string;
  name: string;
  timezone: string;
  /** Lowest precedence first: a later layer wins wherever it has someone on call. */
  layers: Layer[];
  /** Sorted by start; never overlapping (checked at load). */
  overrides: Override[];
}

export type Target = { kind: 'responder'; id: string } | { kind: 'schedule'; id: string };

export interface Level {
  targets: Target[];
  ringTimeoutSeconds: number;
  escalateAfterSeconds: number;
  strategy?: RingStrategy;
}

export interface Policy {
  id: string;
  name: string;
  /** How many times the whole policy runs again after its first pass. */
  repeat: number;
  levels: Level[];
}

export interface Team {
  id: string;
  name: string;
  policyId: string;
}

export interface MenuOption {
  key: string;
  teamId: string;
  label: string;
  prompt?: Prompt;
}

export type HoldAudio =
  { kind: 'ringback' } | { kind: 'moh'; mohClass: string } | { kind: 'sound'; sound: string };

export interface Route {
  id: string;
  name: string;
  numbers: string[];
  /** Digits-only forms of `numbers`, used to match the dialed extension. */
  normalisedNumbers: string[];
  region?: string;
  language: string;
  active: boolean;
  inactiveMessage?: Prompt;
  greeting?: Prompt;
  routing: 'voicemail' | 'direct';
  options: MenuOption[];
  /** Prompts replaced for this route only. */
  prompts: PromptTexts;
  menu: {
    prompt?: Prompt;
    timeoutSeconds: number;
    tries: number;
    invalidPrompt?: Prompt;
    fallback: 'first' | 'hangup' | string;
  };
  voicemail: {
    prompt?: Prompt;
    thanks?: Prompt;
    maxDurationSeconds: number;
    maxSilenceSeconds: number;
    minDurationSeconds: number;
    pageOnAbandon: boolean;
  };
  direct: {
    strategy: RingStrategy;
    hold: HoldAudio;
    stillTryingEverySeconds: number;
    stillTryingPrompt?: Prompt;
    callerId: 'hotline' | 'caller';
    confirmPrompt?: Prompt;
    confirmTimeoutSeconds: number;
    onNoAnswer: 'voicemail' | 'hangup';
    noAnswerPrompt?: Prompt;
    skipAlreadyDialed: boolean;
    pageOnConnect: boolean;
    resolveOnHangup: boolean;
  };
}

/** A secret as the operator gave it; read with resolveSecret() when needed. */
export type Secret =
  | { kind: 'plain'; value: string }
  | { kind: 'env'; name: string }
  | { kind: 'file'; path: string }
  | { kind: 'none' };

export interface AsteriskSettings {
  url: string;
  username: string;
  password: Secret;
  app: string;
  requestTimeoutSeconds: number;
}

export interface Settings {
  database: string;
  storageDir: string;
  httpListen: string;
  logLevel: LogLevel;
  logFormat: LogFormat;
  trunkTemplate: string;
  timezone: string;
  /** Base URL people use to reach the HTTP listener (ack links); undefined: the listener's own address. */
  publicUrl?: string;
  /** Base URL Asterisk uses to fetch audio from the daemon; undefined: the listener's own address. */
  mediaUrl?: string;
  apiToken: Secret;
  shutdown: {
    /** How long calls in progress may go on after SIGTERM. */
    drainSeconds: number;
    /** What callers arriving meanwhile get: a "please call again" prompt, or the dialplan after Stasis(). */
    newCalls: 'prompt' | 'dialplan';
  };
}

export interface WebhookSettings {
  id: string;
  url: string;
  format: 'generic' | 'slack' | 'teams';
  secret: Secret;
  /** Undefined: every team. */
  teams?: string[];
  events: PageEventType[];
  timeoutSeconds: number;
  maxAttempts: number;
}

export interface EmailSettings {
  host: string;
  port: number;
  tls: 'starttls' | 'implicit' | 'none';
  username?: string;
  password: Secret;
  from: string;
  timeoutSeconds: number;
  maxAttempts: number;
}

export interface NotificationSettings {
  phone: { ringTimeoutSeconds: number; callerId: string; announceTimes: number };
  email?: EmailSettings;
  webhooks: WebhookSettings[];
  ackLinkTtlSeconds: number;
}

export interface Config {
  /** Absolute path of the YAML file the configuration came from. */
  source: string;
  asterisk: AsteriskSettings;
  settings: Settings;
  notifications: NotificationSettings;
  prompts: PromptSettings;
  responders: Map<string, Responder>;
  schedules: Map<string, Schedule>;
  policies: Map<string, Policy>;
  teams: Map<string, Team>;
  routes: Route[];
}
