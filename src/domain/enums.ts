/**
 * The closed sets of values that more than one layer speaks of: the YAML (config), the database
 * (store), the HTTP API, the CLI and notifications. Each set is written once, here, as a tuple
 * from which both its type and the schema's `z.enum` are made. This module imports nothing, so
 * that every layer may use it.
 */

/**
 * What happens to a page, as webhooks and the timeline name it. `updated`: another caller joined
 * an open page (a message, a callback request) instead of opening one of its own.
 */
export const PAGE_EVENTS = [
  'triggered',
  'updated',
  'escalated',
  'acknowledged',
  'resolved',
  'exhausted',
] as const;
export type PageEventType = (typeof PAGE_EVENTS)[number];

/** Where a page stands. */
export const PAGE_STATUSES = ['triggered', 'acknowledged', 'resolved'] as const;
export type PageStatus = (typeof PAGE_STATUSES)[number];

/**
 * How a call ended, as stored in calls.outcome, with what it means: the call log and the console
 * explain an outcome with these words.
 */
export const CALL_OUTCOME_MEANINGS = {
  voicemail: 'the caller left a message (or tried to)',
  closed: 'outside support hours: the caller heard the closed greeting',
  screened: 'caller screening turned the call away',
  abandoned: 'the caller hung up before being connected or leaving a message',
  'rejected-inactive': 'the route is switched off',
  'unknown-number': 'the dialled number belongs to no route',
  connected: 'the caller talked to a responder',
  'no-answer': 'nobody accepted and the route hangs up',
  'refused-stopping': 'the call arrived while the daemon was stopping',
  error: 'the call failed; the caller was told',
} as const;
export type CallOutcome = keyof typeof CALL_OUTCOME_MEANINGS;
export const CALL_OUTCOMES = Object.keys(CALL_OUTCOME_MEANINGS) as [CallOutcome, ...CallOutcome[]];

/** What became of one responder leg of a call, with what it means. */
export const LEG_RESULT_MEANINGS = {
  ringing: 'the phone is ringing',
  answered: 'picked up; the confirmation prompt is playing',
  accepted: 'pressed 1 and was connected to the caller',
  declined: 'pressed 2 or hung up at the prompt',
  'no-answer': 'rang until the ring timeout',
  busy: 'the phone was busy',
  'voicemail-pickup': "answered without pressing a key (likely the phone's own voicemail)",
  failed: 'the phone could not be called',
  skipped: 'not rung: no phone, or already rung on this call',
  cancelled: 'hung up because the call was decided elsewhere',
} as const;
export type LegResult = keyof typeof LEG_RESULT_MEANINGS;
export const LEG_RESULTS = Object.keys(LEG_RESULT_MEANINGS) as [LegResult, ...LegResult[]];

/** Days of the week as the YAML writes them; index + 1 is the ISO weekday. */
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const LOG_FORMATS = ['auto', 'json', 'text'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** How a responder can be told about a page (webhooks go to channels, not to responders). */
export const NOTIFY_CHANNELS = ['phone', 'email'] as const;
export type NotificationChannel = (typeof NOTIFY_CHANNELS)[number];

/** Every channel a notification row can go out on: the responder's channels and webhooks. */
export const NOTIFICATION_CHANNEL_NAMES = [...NOTIFY_CHANNELS, 'webhook'] as const;
export type NotificationChannelName = (typeof NOTIFICATION_CHANNEL_NAMES)[number];

/** How loudly a page calls: high notifies by every channel; low by email and webhooks only. */
export const URGENCIES = ['high', 'low'] as const;
export type Urgency = (typeof URGENCIES)[number];

/**
 * What a stored value means, or '' for one this version does not know (a row written by a newer
 * lcr sharing the database): readers never fail on it.
 */
export function meaningOf(meanings: Readonly<Record<string, string>>, value: string): string {
  return Object.hasOwn(meanings, value) ? meanings[value]! : '';
}
