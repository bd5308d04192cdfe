/**
 * The shape of the YAML file, as the operator writes it (snake_case keys).
 *
 * This schema checks structure and single values only; references between sections are checked
 * in crossref.ts, and the typed model the daemon uses is built in model.ts. It carries no
 * transforms so that it can also be exported as JSON Schema for editors (`lcr schema`).
 */
import { z } from 'zod';
import { PROMPT_SLOTS, yamlSlotName } from '../domain/promptSlots';
import { IANAZone } from 'luxon';
import { DURATION_PATTERN } from './duration';
import { DIAL_STRING_PATTERN, looksLikePhoneNumber } from './dialString';
import { LOG_FORMATS, LOG_LEVELS, NOTIFY_CHANNELS, PAGE_EVENTS, WEEKDAYS } from '../domain/enums';

const ID_PATTERN = /^[a-z0-9][a-z0-9_-]*$/i;
const LOCAL_DATETIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?)?$/;
const TIME_OF_DAY = /^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$/;

const quotedNumberHint =
  'write phone numbers as quoted strings, e.g. "+15551230001" (unquoted, YAML reads them as numbers and drops the + and leading zeros)';

export const idSchema = z
  .string({ error: 'expected an id (letters, digits, "-" and "_")' })
  .regex(ID_PATTERN, { error: 'ids use letters, digits, "-" and "_", starting with a letter or digit' });

/** Asking Intl about a zone costs a formatter each time; a file names the same few zones again and again. */
const knownZones = new Map<string, boolean>();
export function isValidTimeZone(zone: string): boolean {
  let valid = knownZones.get(zone);
  if (valid === undefined) {
    valid = IANAZone.isValidZone(zone);
    if (knownZones.size < 10_000) knownZones.set(zone, valid);
  }
  return valid;
}

export const timeZoneSchema = z
  .string({ error: 'expected an IANA time zone such as "Europe/Paris"' })
  .refine(isValidTimeZone, {
    error: (issue) =>
      `unknown time zone "${String(issue.input)}" (use an IANA name such as "America/New_York")`,
  });

export const durationSchema = z.union([z.number().nonnegative(), z.string().regex(DURATION_PATTERN)], {
  error: 'expected a duration: seconds as a number, or a string such as "30s", "10m", "1h30m", "2d", "1w"',
});

const phoneSchema = z
  .string({ error: quotedNumberHint })
  .min(1)
  .refine((phone) => looksLikePhoneNumber(phone) || DIAL_STRING_PATTERN.test(phone), {
    error: (issue) =>
      `invalid phone "${String(issue.input)}": use an E.164 number ("+15551230001") or an Asterisk dial string ("PJSIP/alice") without spaces or shell metacharacters`,
  });

/** About a minute of speech: longer texts are almost always a paste error, and keep callers waiting. */
export const MAX_PROMPT_CHARACTERS = 1000;

const promptTextSchema = z
  .string()
  .trim()
  .min(1, { error: 'a prompt must not be empty' })
  .max(MAX_PROMPT_CHARACTERS, {
    error: (issue) =>
      `a prompt of ${String(issue.input).length} characters would play for minutes; keep it under ${MAX_PROMPT_CHARACTERS} (about a minute of speech)`,
  });

export const promptSchema = z.union(
  [
    promptTextSchema,
    z.strictObject({ text: promptTextSchema }),
    z.strictObject({ sound: z.string().min(1) }),
    z.strictObject({ file: z.string().min(1) }),
  ],
  { error: 'expected a prompt: text, "sound:<name>", {text: ...}, {sound: <name>} or {file: <path>}' },
);

const weekdaySchema = z.enum(WEEKDAYS, { error: `expected a day of week: ${WEEKDAYS.join(', ')}` });

const restrictionSchema = z.strictObject({
  days: z.array(weekdaySchema).min(1).optional(),
  from: z.string().regex(TIME_OF_DAY, { error: 'expected a time of day "HH:MM"' }),
  to: z.string().regex(TIME_OF_DAY, { error: 'expected a time of day "HH:MM" (24:00 for midnight)' }),
});

const layerSchema = z.strictObject({
  name: z.string().optional(),
  start: z.string().regex(LOCAL_DATETIME, { error: 'expected a local date-time "YYYY-MM-DDTHH:MM"' }),
  end: z
    .string()
    .regex(LOCAL_DATETIME, { error: 'expected a local date-time "YYYY-MM-DDTHH:MM"' })
    .optional(),
  turn: z
    .string()
    .regex(/^\d+[hdw]$/, { error: 'expected a turn length in hours, days or weeks: "12h", "1d", "1w"' }),
  members: z.array(idSchema).min(1, { error: 'a layer needs at least one member' }),
  restrictions: z.array(restrictionSchema).min(1).optional(),
});

const overrideSchema = z.strictObject({
  responder: idSchema,
  start: z.string().regex(LOCAL_DATETIME, { error: 'expected a local date-time "YYYY-MM-DDTHH:MM"' }),
  end: z.string().regex(LOCAL_DATETIME, { error: 'expected a local date-time "YYYY-MM-DDTHH:MM"' }),
});

const scheduleSchema = z.strictObject({
  id: idSchema,
  name: z.string().optional(),
  timezone: timeZoneSchema,
  layers: z.array(layerSchema).min(1, { error: 'a schedule needs at least one layer' }),
  overrides: z.array(overrideSchema).optional(),
});

const ringStrategySchema = z.enum(['simultaneous', 'sequential', 'random']);

const targetSchema = z.union(
  [z.strictObject({ responder: idSchema }), z.strictObject({ schedule: idSchema })],
  { error: 'expected a target: {responder: <id>} or {schedule: <id>}' },
);

const levelSchema = z.strictObject({
  targets: z.array(targetSchema),
  ring_timeout: durationSchema.optional(),
  escalate_after: durationSchema.optional(),
  strategy: ringStrategySchema.optional(),
});

const policySchema = z.strictObject({
  id: idSchema,
  name: z.string().optional(),
  repeat: z.number().int().min(0).max(9).optional(),
  levels: z.array(levelSchema).min(1, { error: 'a policy needs at least one level' }),
});

const notifyRuleSchema = z.union(
  [
    z.enum(NOTIFY_CHANNELS),
    z.strictObject({ via: z.enum(NOTIFY_CHANNELS), after: durationSchema.optional() }),
  ],
  { error: 'expected "phone", "email" or {via: phone|email, after: <duration>}' },
);

const responderSchema = z.strictObject({
  id: idSchema,
  name: z.string().min(1),
  timezone: timeZoneSchema.optional(),
  phones: z.array(phoneSchema).optional(),
  email: z.email({ error: 'expected an email address' }).optional(),
  /** How this responder hears about pages, in order; default: phone, then email, both at once. */
  notify: z.array(notifyRuleSchema).optional(),
});

const teamSchema = z.strictObject({
  id: idSchema,
  name: z.string().min(1),
  escalation_policy: idSchema,
});

const optionSchema = z.strictObject({
  key: z.union([z.number().int().min(1).max(9), z.string().regex(/^[1-9]$/)], {
    error: 'expected a keypad key from 1 to 9',
  }),
  team: idSchema,
  label: z.string().min(1),
  prompt: promptSchema.optional(),
});

const menuSchema = z.strictObject({
  prompt: promptSchema.optional(),
  timeout: durationSchema.optional(),
  tries: z.number().int().min(1).max(10).optional(),
  invalid_prompt: promptSchema.optional(),
  fallback: z.union([z.literal('first'), z.literal('hangup'), z.number().int().min(1).max(9)]).optional(),
});

const voicemailSchema = z.strictObject({
  prompt: promptSchema.optional(),
  thanks: promptSchema.optional(),
  max_duration: durationSchema.optional(),
  max_silence: durationSchema.optional(),
  min_duration: durationSchema.optional(),
  page_on_abandon: z.boolean().optional(),
});

const holdSchema = z.union(
  [
    z.literal('ringback'),
    z.strictObject({ moh: z.string().min(1) }),
    z.strictObject({ sound: z.string().min(1) }),
  ],
  {
    error: 'expected "ringback", {moh: <class>} or {sound: <name>}',
  },
);

const directSchema = z.strictObject({
  strategy: ringStrategySchema.optional(),
  hold: holdSchema.optional(),
  still_trying_every: durationSchema.optional(),
  still_trying_prompt: promptSchema.optional(),
  caller_id: z.enum(['hotline', 'caller']).optional(),
  confirm_prompt: promptSchema.optional(),
  confirm_timeout: durationSchema.optional(),
  on_no_answer: z.enum(['voicemail', 'hangup']).optional(),
  no_answer_prompt: promptSchema.optional(),
  skip_already_dialed: z.boolean().optional(),
  page_on_connect: z.boolean().optional(),
  resolve_on_hangup: z.boolean().optional(),
});

const promptMapSchema = z.partialRecord(
  z.enum(PROMPT_SLOTS.map(yamlSlotName) as [string, ...string[]], {
    error: (issue) =>
      `unknown prompt "${String(issue.input)}"; known prompts: ${PROMPT_SLOTS.map(yamlSlotName).join(', ')}`,
  }),
  promptSchema,
);

const routeSchema = z.strictObject({
  id: idSchema,
  name: z.string().min(1),
  numbers: z
    .array(
      z
        .string({ error: quotedNumberHint })
        .regex(/^\+?[0-9][0-9 ().-]*$/, { error: 'expected a dialed number such as "+1 555 0100"' }),
    )
    .min(1, { error: 'a route needs at least one dialed number' }),
  region: z
    .string()
    .regex(/^[A-Z]{2}$/, { error: 'expected a two-letter region code such as "US"' })
    .optional(),
  language: z
    .string()
    .regex(/^[a-z]{2}(?:[_-][A-Za-z]{2})?$/)
    .optional(),
  active: z.boolean().optional(),
  inactive_message: promptSchema.optional(),
  greeting: promptSchema.optional(),
  routing: z.enum(['voicemail', 'direct'], { error: 'expected routing "voicemail" or "direct"' }),
  options: z.array(optionSchema).min(1, { error: 'a route needs at least one option' }),
  menu: menuSchema.optional(),
  voicemail: voicemailSchema.optional(),
  direct: directSchema.optional(),
  /** Any prompt for this route only, by name (see prompts.texts). */
  prompts: promptMapSchema.optional(),
});

const envNameSchema = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'expected an environment variable name' });

/** A secret given inline, through an environment variable, or in a file: at most one of them. */
function secretFields<N extends string>(name: N) {
  return {
    [name]: z.string().min(1).optional(),
    [`${name}_env`]: envNameSchema.optional(),
    [`${name}_file`]: z.string().min(1).optional(),
  } as { [K in N | `${N}_env` | `${N}_file`]: z.ZodOptional<z.ZodString> };
}

function atMostOneSecret(name: string) {
  return (value: Record<string, unknown>): boolean =>
    [value[name], value[`${name}_env`], value[`${name}_file`]].filter((v) => v !== undefined).length <= 1;
}

const asteriskSchema = z
  .strictObject({
    url: z.url({ error: 'expected the ARI base URL, e.g. "http://127.0.0.1:8088"' }),
    username: z.string().min(1),
    ...secretFields('password'),
    app: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/)
      .optional(),
    request_timeout: durationSchema.optional(),
  })
  .refine(atMostOneSecret('password'), {
    error: 'give only one of password, password_env, password_file',
  });

const settingsSchema = z
  .strictObject({
    database: z.string().min(1).optional(),
    storage_dir: z.string().min(1).optional(),
    http_listen: z
      .string()
      .regex(/^[^\s:]*:\d{1,5}$|^\[[0-9a-f:]+\]:\d{1,5}$/i, { error: 'expected "host:port"' })
      .optional(),
    log_level: z.enum(LOG_LEVELS).optional(),
    log_format: z.enum(LOG_FORMATS).optional(),
    trunk_template: z
      .string()
      .refine((t) => t.includes('{number}') && DIAL_STRING_PATTERN.test(t.replace('{number}', '1')), {
        error: 'expected a dial string containing {number}, e.g. "PJSIP/{number}@trunk"',
      })
      .optional(),
    timezone: timeZoneSchema.optional(),
    /** Where people reach the HTTP listener (links in emails and webhooks); default http://<http_listen>. */
    public_url: z.url({ error: 'expected a URL such as "https://lcr.example.com"' }).optional(),
    /** Where Asterisk reaches the HTTP listener to fetch audio; default http://<http_listen>. */
    media_url: z.url({ error: 'expected a URL such as "http://10.0.0.5:8080"' }).optional(),
    ...secretFields('api_token'),
    shutdown: z
      .strictObject({
        drain: durationSchema.optional(),
        new_calls: z
          .enum(['prompt', 'dialplan'], { error: 'expected new_calls "prompt" or "dialplan"' })
          .optional(),
      })
      .optional(),
  })
  .refine(atMostOneSecret('api_token'), {
    error: 'give only one of api_token, api_token_env, api_token_file',
  });

const webhookSchema = z
  .strictObject({
    id: idSchema,
    url: z.url({ error: 'expected the URL to POST to' }),
    format: z.enum(['generic', 'slack', 'teams']).optional(),
    ...secretFields('secret'),
    teams: z.array(idSchema).min(1).optional(),
    events: z.array(z.enum(PAGE_EVENTS)).min(1).optional(),
    timeout: durationSchema.optional(),
    max_attempts: z.number().int().min(1).max(50).optional(),
  })
  .refine(atMostOneSecret('secret'), { error: 'give only one of secret, secret_env, secret_file' });

const emailSchema = z
  .strictObject({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).optional(),
    tls: z.enum(['starttls', 'implicit', 'none']).optional(),
    username: z.string().min(1).optional(),
    ...secretFields('password'),
    from: z.string().min(3),
    timeout: durationSchema.optional(),
    max_attempts: z.number().int().min(1).max(20).optional(),
  })
  .refine(atMostOneSecret('password'), { error: 'give only one of password, password_env, password_file' });

const notificationsSchema = z.strictObject({
  phone: z
    .strictObject({
      ring_timeout: durationSchema.optional(),
      caller_id: z.string().min(1).optional(),
      announce_times: z.number().int().min(1).max(10).optional(),
    })
    .optional(),
  email: emailSchema.optional(),
  webhooks: z.array(webhookSchema).optional(),
  ack_link_ttl: durationSchema.optional(),
});

const promptsSchema = z
  .strictObject({
    /** auto: the system espeak-ng when installed, else the bundled one; none: stock Asterisk sounds. */
    engine: z.enum(['auto', 'bundled', 'espeak-ng', 'command', 'none']).optional(),
    command: z.array(z.string().min(1)).min(1).optional(),
    voices: z.record(z.string().regex(/^[a-z]{2}(?:[_-][A-Za-z]{2})?$/), z.string().min(1)).optional(),
    timeout: durationSchema.optional(),
    format: z.enum(['wav', 'wav16']).optional(),
    delivery: z.enum(['http', 'directory']).optional(),
    cache_dir: z.string().min(1).optional(),
    directory: z.string().min(1).optional(),
    sound_path: z
      .string()
      .regex(/^[A-Za-z0-9_./-]+$/, { error: 'expected a sound path such as "lcr"' })
      .optional(),
    texts: promptMapSchema.optional(),
  })
  .refine((p) => (p.engine === 'command') === (p.command !== undefined), {
    error:
      'engine: command needs command: [program, arguments...], and command is only used with engine: command',
  })
  .refine((p) => (p.delivery === 'directory') === (p.directory !== undefined), {
    error:
      'delivery: directory needs directory: <path Asterisk reads sounds from>, and directory is only used with it',
  });

export const configSchema = z.strictObject({
  asterisk: asteriskSchema,
  settings: settingsSchema.optional(),
  notifications: notificationsSchema.optional(),
  prompts: promptsSchema.optional(),
  responders: z.array(responderSchema).min(1, { error: 'at least one responder is needed' }),
  schedules: z.array(scheduleSchema).optional(),
  escalation_policies: z.array(policySchema).min(1),
  teams: z.array(teamSchema).min(1),
  routes: z.array(routeSchema).min(1),
});

export type RawConfig = z.infer<typeof configSchema>;
export type RawPrompt = z.infer<typeof promptSchema>;
export type RawRoute = z.infer<typeof routeSchema>;
export type RawSchedule = z.infer<typeof scheduleSchema>;
export type RawLevel = z.infer<typeof levelSchema>;
