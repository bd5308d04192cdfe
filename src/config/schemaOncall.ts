/**
 * The on-call sections of the YAML file: responders, schedules, escalation policies, teams.
 * Local date-times stay text here: they become instants in build.ts, which knows the zone.
 */
import { z } from 'zod';
import { NOTIFY_CHANNELS, WEEKDAYS } from '../domain/enums';
import {
  atMostOneSecret,
  compact,
  durationSchema,
  duration,
  idSchema,
  phoneSchema,
  secretFields,
  timeZoneSchema,
  toSecret,
} from './fields';

const LOCAL_DATETIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?)?$/;
const TIME_OF_DAY = /^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$/;

const localDateTime = (description: string) =>
  z
    .string()
    .regex(LOCAL_DATETIME, { error: 'expected a local date-time "YYYY-MM-DDTHH:MM"' })
    .describe(description);

function minuteOfDay(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h! * 60 + m!;
}

const weekdaySchema = z.enum(WEEKDAYS, { error: `expected a day of week: ${WEEKDAYS.join(', ')}` });

/** A weekly window: schedule restrictions and support hours. */
export const weeklyWindowSchema = z
  .strictObject({
    days: z
      .array(weekdaySchema)
      .min(1)
      .default([...WEEKDAYS])
      .describe('the days the window starts on'),
    from: z
      .string()
      .regex(TIME_OF_DAY, { error: 'expected a time of day "HH:MM"' })
      .describe('start of the window, "HH:MM" local time'),
    to: z
      .string()
      .regex(TIME_OF_DAY, { error: 'expected a time of day "HH:MM" (24:00 for midnight)' })
      .describe('end of the window, "HH:MM" (24:00 for midnight); to <= from runs past midnight'),
  })
  .refine((r) => r.from !== r.to, {
    error: 'window is empty (from equals to); use from "00:00" to "24:00" for a whole day',
  })
  .transform((r) => ({
    /** ISO weekdays 1 (Monday) to 7 (Sunday) the window starts on. */
    days: r.days.map((d) => WEEKDAYS.indexOf(d) + 1),
    fromMinute: minuteOfDay(r.from),
    toMinute: minuteOfDay(r.to),
  }));

const TURN_UNITS = { h: 'hours', d: 'days', w: 'weeks' } as const;

const turnSchema = z
  .string()
  .regex(/^\d+[hdw]$/, { error: 'expected a turn length in hours, days or weeks: "12h", "1d", "1w"' })
  .refine((turn) => Number(turn.slice(0, -1)) > 0, { error: 'a turn must last at least 1 hour' })
  .transform((turn) => ({
    turnUnit: TURN_UNITS[turn.slice(-1) as keyof typeof TURN_UNITS],
    turnCount: Number(turn.slice(0, -1)),
  }))
  .describe('length of each turn in hours, days or weeks: 12h, 1d, 2w');

const layerSchema = z
  .strictObject({
    name: z.string().optional().describe('shown by lcr oncall (default "layer <n>")'),
    start: localDateTime("the first hand-off, local time in the schedule's zone"),
    end: localDateTime('when the layer stops (optional)').optional(),
    turn: turnSchema,
    members: z
      .array(idSchema)
      .min(1, { error: 'a layer needs at least one member' })
      .describe('responder ids, in rotation order'),
    restrictions: z
      .array(weeklyWindowSchema)
      .min(1)
      .default([])
      .describe('weekly windows outside which the layer has nobody on call (default: always on call)'),
  })
  .transform(({ turn, ...layer }) => ({ ...layer, ...turn }));

const overrideSchema = z
  .strictObject({
    responder: idSchema.describe('who is on call instead'),
    start: localDateTime("start, local time in the schedule's zone"),
    end: localDateTime("end, local time in the schedule's zone"),
  })
  .transform((o) => ({ responderId: o.responder, start: o.start, end: o.end }));

export const scheduleSchema = z
  .strictObject({
    id: idSchema.describe('the id policies name the schedule by'),
    name: z.string().optional().describe('display name (default the id)'),
    timezone: timeZoneSchema.describe('IANA zone the layers and overrides are written in'),
    layers: z
      .array(layerSchema)
      .min(1, { error: 'a schedule needs at least one layer' })
      .describe('rotations; later layers win wherever they have someone on call'),
    overrides: z.array(overrideSchema).default([]).describe('beat every layer; may not overlap each other'),
  })
  .transform((s) => ({ ...s, name: s.name ?? s.id }));

export const RING_STRATEGIES = ['simultaneous', 'sequential', 'random'] as const;
export const ringStrategySchema = z.enum(RING_STRATEGIES);

const targetSchema = z
  .union(
    [
      z.strictObject({ responder: idSchema.describe('a responder id') }),
      z.strictObject({ schedule: idSchema.describe('a schedule id: whoever is on call there') }),
    ],
    { error: 'expected a target: {responder: <id>} or {schedule: <id>}' },
  )
  .transform((t) =>
    'responder' in t
      ? { kind: 'responder' as const, id: t.responder }
      : { kind: 'schedule' as const, id: t.schedule },
  );

const levelSchema = z
  .strictObject({
    targets: z.array(targetSchema).describe('who this level reaches: responders and schedules'),
    ring_timeout: duration('30s', "live calls: how long this level's phones ring"),
    escalate_after: duration('15m', 'pages: time before the next level is notified'),
    strategy: ringStrategySchema
      .optional()
      .describe("overrides the route's ring strategy for this level: simultaneous, sequential, random"),
  })
  .transform((l) =>
    compact({
      targets: l.targets,
      ringTimeoutSeconds: l.ring_timeout,
      escalateAfterSeconds: l.escalate_after,
      strategy: l.strategy,
    }),
  );

export const policySchema = z
  .strictObject({
    id: idSchema.describe('the id teams name the policy by'),
    name: z.string().optional().describe('display name (default the id)'),
    repeat: z
      .number()
      .int()
      .min(0)
      .max(9)
      .default(0)
      .describe('how many times all levels run again for a page nobody acknowledges'),
    levels: z
      .array(levelSchema)
      .min(1, { error: 'a policy needs at least one level' })
      .describe('tried in order'),
  })
  .transform((p) => ({ ...p, name: p.name ?? p.id }));

export const teamSchema = z
  .strictObject({
    id: idSchema.describe('the id route options name the team by'),
    name: z.string().min(1).describe('what responders hear ("for <team>")'),
    escalation_policy: idSchema.describe('the id of the escalation policy the team uses'),
  })
  .transform((t) => ({ id: t.id, name: t.name, policyId: t.escalation_policy }));

const notifyRuleSchema = z
  .union(
    [
      z.enum(NOTIFY_CHANNELS),
      z.strictObject({
        via: z.enum(NOTIFY_CHANNELS).describe('phone or email'),
        after: durationSchema
          .prefault(0)
          .describe('delay after the responder is assigned a page (default 0)'),
      }),
    ],
    { error: 'expected "phone", "email" or {via: phone|email, after: <duration>}' },
  )
  .transform((rule) =>
    typeof rule === 'string'
      ? { channel: rule, afterSeconds: 0 }
      : { channel: rule.via, afterSeconds: rule.after },
  );

export type NotifyRule = z.output<typeof notifyRuleSchema>;

export const responderSchema = z
  .strictObject({
    id: idSchema.describe('the id policies and schedules name the responder by'),
    name: z.string().min(1).describe('display name'),
    timezone: timeZoneSchema
      .optional()
      .describe('IANA zone for times in messages (default settings.timezone)'),
    phones: z
      .array(phoneSchema)
      .default([])
      .describe('tried in order: E.164 numbers (dialled through trunk_template) or Asterisk dial strings'),
    email: z.email({ error: 'expected an email address' }).optional().describe('address for page emails'),
    notify: z
      .array(notifyRuleSchema)
      .prefault(['phone', 'email'])
      .describe('how pages reach the responder, in order (default [phone, email], both at once)'),
    ...secretFields('console_password', "the responder's password for the web console"),
  })
  .refine(atMostOneSecret('console_password'), {
    error: 'give only one of console_password, console_password_env, console_password_file',
  })
  .transform(({ console_password, console_password_env, console_password_file, ...r }) =>
    compact({
      ...r,
      consolePassword: toSecret(
        { console_password, console_password_env, console_password_file },
        'console_password',
      ),
      // A channel the responder cannot be reached on is dropped (lcr validate warns about it).
      notify: r.notify.filter((rule) =>
        rule.channel === 'phone' ? r.phones.length > 0 : r.email !== undefined,
      ),
    }),
  );
