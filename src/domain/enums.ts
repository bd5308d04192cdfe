/**
 * The closed sets of values that more than one layer speaks of: the YAML (config), the database
 * (store), the HTTP API, the CLI and notifications. Each set is written once, here, as a tuple
 * from which both its type and the schema's `z.enum` are made. This module imports nothing, so
 * that every layer may use it.
 */

/** What happens to a page, as webhooks and the timeline name it. */
export const PAGE_EVENTS = ['triggered', 'escalated', 'acknowledged', 'resolved', 'exhausted'] as const;
export type PageEventType = (typeof PAGE_EVENTS)[number];

/** Where a page stands. */
export const PAGE_STATUSES = ['triggered', 'acknowledged', 'resolved'] as const;
export type PageStatus = (typeof PAGE_STATUSES)[number];

/** How a call ended, as stored in calls.outcome. */
export const CALL_OUTCOMES = [
  'voicemail',
  'closed',
  'screened',
  'abandoned',
  'rejected-inactive',
  'unknown-number',
  'connected',
  'no-answer',
  'refused-stopping',
  'error',
] as const;
export type CallOutcome = (typeof CALL_OUTCOMES)[number];

/** What became of one responder leg of a call. */
export const LEG_RESULTS = [
  'ringing',
  'answered',
  'accepted',
  'declined',
  'no-answer',
  'busy',
  'voicemail-pickup',
  'failed',
  'skipped',
  'cancelled',
] as const;
export type LegResult = (typeof LEG_RESULTS)[number];

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
