/**
 * The shape of the YAML file, as the operator writes it (snake_case keys), and the single source
 * of every key, enum, default and description: `lcr schema` exports it as JSON Schema for editors
 * (its input side), and the model the daemon runs on is its output (model.ts derives the types).
 *
 * This schema checks structure and single values; references between sections are checked in
 * crossref.ts, and what needs the whole file (instants in a schedule's zone, dial strings
 * through the trunk template, paths relative to the file) is done in build.ts.
 */
import * as path from 'node:path';
import { z } from 'zod';
import { LOG_FORMATS, LOG_LEVELS, PAGE_EVENTS } from '../domain/enums';
import { DEFAULT_TRUNK_TEMPLATE, DIAL_STRING_PATTERN } from './dialString';
import {
  atMostOneSecret,
  compact,
  duration,
  durationSchema,
  idSchema,
  LANGUAGE_PATTERN,
  promptMapSchema,
  secretFields,
  timeZoneSchema,
  toSecret,
} from './fields';
import { policySchema, responderSchema, scheduleSchema, teamSchema } from './schemaOncall';
import { routeSchema } from './schemaRoutes';
import { screeningSchema } from './schemaScreening';

export { isValidTimeZone, MAX_PROMPT_CHARACTERS } from './fields';

const stripSlash = (url: string | undefined): string | undefined => url?.replace(/\/+$/, '');

/**
 * A Stasis application name. Bounded because it is part of the ids of the channels and bridges
 * the daemon creates (callflow/marks.ts), which Asterisk keeps under 149 characters.
 */
const appNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]+$/, { error: 'expected a Stasis application name: letters, digits, "-" and "_"' })
  .max(40, { error: 'a Stasis application name of at most 40 characters' });

const asteriskSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[A-Za-z0-9_.:-]+$/, { error: 'expected a short name: letters, digits, ".", ":", "-" and "_"' })
      .max(60)
      .optional()
      .describe(
        "this Asterisk's name in the call log, /healthz and /metrics (default: the host and port of url); keep it when the url changes",
      ),
    url: z
      .url({ error: 'expected the ARI base URL, e.g. "http://127.0.0.1:8088"' })
      .describe('ARI base URL, e.g. http://127.0.0.1:8088'),
    username: z.string().min(1).describe('ARI user (ari.conf)'),
    ...secretFields('password', 'the ARI password'),
    app: appNameSchema
      .default('lcr')
      .describe('the Stasis application name used in the dialplan: Stasis(lcr)'),
    peers: z
      .array(appNameSchema)
      .default([])
      .describe(
        "the Stasis applications of the other daemons on this Asterisk, which the dialplan tries after this one's (lcr doctor checks it)",
      ),
    request_timeout: duration('10s', 'every REST request to Asterisk gives up after this'),
    rest_transport: z
      .enum(['auto', 'websocket', 'http'])
      .default('auto')
      .describe(
        'what carries REST requests: auto (the event WebSocket when Asterisk declares it: 20.14, 21.9, 22.4 and later), websocket or http',
      ),
    rest_sockets: z
      .number()
      .int()
      .min(1)
      .max(16)
      .default(4)
      .describe(
        'WebSockets that carry REST requests when they go over WebSocket, the event WebSocket included: each call keeps to one, calls are spread over them, so that a slow request (a bridge join) holds back only the calls on its socket. Each extra one is an ARI application named <app>-rest-<n>',
      ),
  })
  .refine(atMostOneSecret('password'), {
    error: 'give only one of password, password_env, password_file',
  })
  .refine((a) => !a.peers.includes(a.app), {
    error: "peers lists the other daemons' applications, not this one's own app",
    path: ['peers'],
  })
  .transform((a) => ({
    name: a.name ?? new URL(a.url).host,
    url: a.url.replace(/\/+$/, ''),
    username: a.username,
    password: toSecret(a, 'password'),
    app: a.app,
    peers: a.peers,
    requestTimeoutSeconds: a.request_timeout,
    restTransport: a.rest_transport,
    restSockets: a.rest_sockets,
  }));

/**
 * Several Asterisks: each is told apart by its name in the call log, and the daemon is one
 * Stasis application on all of them (the name its dialplans, its peers and its lease know it by).
 */
function checkAsteriskList(list: Array<z.output<typeof asteriskSchema>>, ctx: z.RefinementCtx): void {
  const seen = new Map<string, number>();
  list.forEach((asterisk, index) => {
    const first = seen.get(asterisk.name);
    if (first !== undefined)
      ctx.addIssue({
        code: 'custom',
        message: `the name ${asterisk.name} is already asterisk[${first}]'s: give each Asterisk its own name`,
        path: [index, 'name'],
      });
    else seen.set(asterisk.name, index);
    if (asterisk.app !== list[0]!.app)
      ctx.addIssue({
        code: 'custom',
        message: `every Asterisk of one daemon uses the same application name (${list[0]!.app}, as asterisk[0]): its dialplans, its peers and its lease know it by that name`,
        path: [index, 'app'],
      });
  });
}

/** `settings.database` as PostgreSQL, shared by several daemons (src/store/sql/postgres.ts). */
const postgresSchema = z
  .strictObject({
    url: z
      .string()
      .regex(/^postgres(ql)?:\/\/[^\s]+$/, { error: 'expected postgres://user@host:port/database' })
      .refine((url) => !/^postgres(ql)?:\/\/[^/@]*:[^/@]*@/.test(url), {
        error: 'put the password in password_env or password_file, not in the URL',
      })
      .describe('postgres://user@host:port/database (the password goes in password_env or password_file)'),
    ...secretFields('password', 'the database password'),
    pool_size: z.number().int().min(2).max(100).default(10).describe('connections this daemon keeps open'),
    lease: duration(
      '10s',
      "how long an engine lease lasts without renewal: how long a dead daemon's escalations and notifications wait for another to take them over",
    ),
  })
  .refine(atMostOneSecret('password'), { error: 'give only one of password, password_env, password_file' })
  .transform((d) => ({
    url: d.url,
    password: toSecret(d, 'password'),
    poolSize: d.pool_size,
    leaseSeconds: d.lease,
  }));

export type PostgresSettings = z.output<typeof postgresSchema>;

const settingsSchema = z
  .strictObject({
    storage_dir: z
      .string()
      .min(1)
      .default('./data')
      .describe('voicemails and the database, relative to the configuration file'),
    database: z
      .union([z.string().min(1), postgresSchema])
      .optional()
      .describe(
        'a SQLite file (default <storage_dir>/lcr.db, one daemon), or { url: postgres://…, password_env | password_file, pool_size, lease } shared by several daemons',
      ),
    node_id: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, { error: 'letters, digits, ".", "_" and "-", at most 64' })
      .optional()
      .describe(
        "this daemon's name among those sharing a PostgreSQL database (default <host name>-<asterisk.app>)",
      ),
    http_listen: z
      .string()
      .regex(/^[^\s:]*:\d{1,5}$|^\[[0-9a-f:]+\]:\d{1,5}$/i, { error: 'expected "host:port"' })
      .default('127.0.0.1:8080')
      .describe('the HTTP listener, host:port; keep it on loopback or behind a reverse proxy'),
    log_level: z.enum(LOG_LEVELS).default('info').describe('error, warn, info or debug'),
    log_format: z
      .enum(LOG_FORMATS)
      .default('auto')
      .describe('json (one object a line), text, or auto (text on a terminal, JSON otherwise)'),
    trunk_template: z
      .string()
      .refine((t) => t.includes('{number}') && DIAL_STRING_PATTERN.test(t.replace('{number}', '1')), {
        error: 'expected a dial string containing {number}, e.g. "PJSIP/{number}@trunk"',
      })
      .default(DEFAULT_TRUNK_TEMPLATE)
      .describe('how E.164 phone numbers are turned into dial strings'),
    timezone: timeZoneSchema.default('UTC').describe('default zone for responders and for lcr oncall --at'),
    public_url: z
      .url({ error: 'expected a URL such as "https://lcr.example.com"' })
      .optional()
      .describe(
        'how responders reach the listener: the base of ack links in emails and chat (default http://<http_listen>)',
      ),
    media_url: z
      .url({ error: 'expected a URL such as "http://10.0.0.5:8080"' })
      .optional()
      .describe(
        'how Asterisk reaches the listener to fetch prompts and voicemails (default http://<http_listen>)',
      ),
    ...secretFields('api_token', 'the bearer token of the HTTP API (without one the API answers 503)'),
    console: z
      .strictObject({
        enabled: z
          .boolean()
          .default(false)
          .describe(
            "serve the web console under /console; people sign in with their responder's console_password or the API token",
          ),
        session: duration('12h', 'how long a console sign-in lasts'),
      })
      .prefault({})
      .describe('the web console (off unless enabled)'),
    shutdown: z
      .strictObject({
        drain: duration('30s', 'how long calls in progress may go on after SIGTERM'),
        new_calls: z
          .enum(['prompt', 'dialplan'], { error: 'expected new_calls "prompt" or "dialplan"' })
          .default('prompt')
          .describe(
            'callers arriving while stopping hear "please call again" (prompt) or go back to the dialplan',
          ),
        on_drain_timeout: z
          .enum(['leave', 'hangup'], { error: 'expected on_drain_timeout "leave" or "hangup"' })
          .default('leave')
          .describe(
            'calls still in progress when the drain ends stay up in Asterisk for the next start to adopt (leave) or are told and hung up (hangup)',
          ),
      })
      .prefault({})
      .describe('what happens on SIGTERM'),
  })
  .refine(atMostOneSecret('api_token'), {
    error: 'give only one of api_token, api_token_env, api_token_file',
  })
  .transform((s) =>
    compact({
      /** Relative to the configuration file until build.ts resolves it. */
      storageDir: s.storage_dir,
      database:
        typeof s.database === 'string' || s.database === undefined
          ? (s.database ?? path.join(s.storage_dir, 'lcr.db'))
          : path.join(s.storage_dir, 'lcr.db'),
      /** Set: the database is this PostgreSQL, and `database` only names where SQLite would be. */
      postgres: typeof s.database === 'object' ? s.database : undefined,
      nodeId: s.node_id,
      httpListen: s.http_listen,
      logLevel: s.log_level,
      logFormat: s.log_format,
      trunkTemplate: s.trunk_template,
      timezone: s.timezone,
      /** Base URL people use to reach the HTTP listener (ack links); undefined: the listener's own address. */
      publicUrl: stripSlash(s.public_url),
      /** Base URL Asterisk uses to fetch audio from the daemon; undefined: the listener's own address. */
      mediaUrl: stripSlash(s.media_url),
      apiToken: toSecret(s, 'api_token'),
      console: { enabled: s.console.enabled, sessionSeconds: s.console.session },
      shutdown: {
        drainSeconds: s.shutdown.drain,
        newCalls: s.shutdown.new_calls,
        onDrainTimeout: s.shutdown.on_drain_timeout,
      },
    }),
  );

const webhookSchema = z
  .strictObject({
    id: idSchema.describe('names the webhook in logs and lcr pages show'),
    url: z.url({ error: 'expected the URL to POST to' }).describe('the URL to POST to'),
    format: z.enum(['generic', 'slack', 'teams']).default('generic').describe('generic JSON, slack or teams'),
    ...secretFields('secret', 'the secret that signs generic payloads'),
    teams: z.array(idSchema).min(1).optional().describe('only pages of these teams (default all)'),
    events: z
      .array(z.enum(PAGE_EVENTS))
      .min(1)
      .default([...PAGE_EVENTS])
      .describe(`which page events are posted (default all: ${PAGE_EVENTS.join(', ')})`),
    timeout: duration('10s', 'a request that takes longer fails and is retried'),
    max_attempts: z.number().int().min(1).max(50).default(10).describe('attempts before giving up'),
  })
  .refine(atMostOneSecret('secret'), { error: 'give only one of secret, secret_env, secret_file' })
  .transform((w) =>
    compact({
      id: w.id,
      url: w.url,
      format: w.format,
      secret: toSecret(w, 'secret'),
      /** Undefined: every team. */
      teams: w.teams,
      events: w.events,
      timeoutSeconds: w.timeout,
      maxAttempts: w.max_attempts,
    }),
  );

const emailSchema = z
  .strictObject({
    host: z.string().min(1).describe('the SMTP server'),
    port: z
      .number()
      .int()
      .min(1)
      .max(65535)
      .optional()
      .describe('SMTP port (default 587; 465 with tls: implicit, 25 with tls: none)'),
    tls: z
      .enum(['starttls', 'implicit', 'none'])
      .optional()
      .describe('starttls, implicit or none (default starttls; implicit on port 465)'),
    username: z.string().min(1).optional().describe('SMTP user, when the server wants one'),
    ...secretFields('password', 'the SMTP password'),
    from: z.string().min(3).describe('the sender, e.g. "Acme pages <pages@example.com>"'),
    timeout: duration('20s', 'a server that takes longer fails the attempt'),
    max_attempts: z.number().int().min(1).max(20).default(5).describe('attempts before giving up'),
  })
  .refine(atMostOneSecret('password'), { error: 'give only one of password, password_env, password_file' })
  .transform((e) => {
    // Port and TLS default from each other: 465 means implicit TLS, implicit TLS means 465.
    const tls = e.tls ?? (e.port === 465 ? 'implicit' : 'starttls');
    return compact({
      host: e.host,
      port: e.port ?? (tls === 'implicit' ? 465 : tls === 'none' ? 25 : 587),
      tls,
      username: e.username,
      password: toSecret(e, 'password'),
      from: e.from,
      timeoutSeconds: e.timeout,
      maxAttempts: e.max_attempts,
    });
  });

const notificationsSchema = z
  .strictObject({
    phone: z
      .strictObject({
        ring_timeout: duration('30s', 'each phone of the responder rings this long; then the next phone'),
        caller_id: z
          .string()
          .min(1)
          .default('lcr')
          .describe("what the responder's phone shows, e.g. '\"Acme pages\" <+15550100>'"),
        announce_times: z
          .number()
          .int()
          .min(1)
          .max(10)
          .default(3)
          .describe('times the page is announced before the call gives up'),
        status_message_for: durationSchema
          .refine((seconds) => seconds <= 7 * 86400, { error: 'a status message plays at most 7d' })
          .prefault('2h')
          .describe(
            "a responder who acknowledges by phone may record a status message for the team's callers; it plays this long (0: not offered)",
          ),
      })
      .prefault({})
      .describe('page calls'),
    email: emailSchema.optional().describe('page emails over SMTP (default off)'),
    webhooks: z.array(webhookSchema).default([]).describe('chat and HTTP receivers of page events'),
    ack_link_ttl: duration('24h', 'how long the acknowledge links in emails and chat work (each works once)'),
  })
  .transform((n) =>
    compact({
      phone: {
        ringTimeoutSeconds: n.phone.ring_timeout,
        callerId: n.phone.caller_id,
        announceTimes: n.phone.announce_times,
        statusMessageForSeconds: n.phone.status_message_for,
      },
      email: n.email,
      webhooks: n.webhooks,
      ackLinkTtlSeconds: n.ack_link_ttl,
    }),
  );

const promptsSchema = z
  .strictObject({
    engine: z
      .enum(['auto', 'bundled', 'espeak-ng', 'command', 'none'])
      .default('auto')
      .describe(
        'auto (system espeak-ng if installed, else the bundled one), bundled, espeak-ng, command, none (stock sounds)',
      ),
    command: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe(
        'with engine: command, the program and its arguments; placeholders {output}, {text}, {voice}, {language}',
      ),
    voices: z
      .record(z.string().regex(LANGUAGE_PATTERN), z.string().min(1))
      .default({})
      .describe('language to engine voice, e.g. { en: en-us, de: de+f3 }; otherwise the language code'),
    timeout: duration('30s', 'an engine that takes longer is killed and the prompt reported'),
    format: z
      .enum(['wav', 'wav16'])
      .default('wav')
      .describe('wav (8 kHz) or wav16 (16 kHz, for wideband phones)'),
    delivery: z
      .enum(['http', 'directory'])
      .default('http')
      .describe('http (Asterisk fetches from media_url) or directory (a directory Asterisk reads)'),
    cache_dir: z
      .string()
      .min(1)
      .optional()
      .describe('where audio is kept with http delivery (default <storage_dir>/prompts)'),
    directory: z
      .string()
      .min(1)
      .optional()
      .describe('with delivery: directory, where the daemon writes the audio'),
    sound_path: z
      .string()
      .regex(/^[A-Za-z0-9_./-]+$/, { error: 'expected a sound path such as "lcr"' })
      .optional()
      .describe('with delivery: directory, how Asterisk names that directory (default its absolute path)'),
    texts: promptMapSchema.prefault({}).describe('replacements for any prompt, every route, by name'),
  })
  .refine((p) => (p.engine === 'command') === (p.command !== undefined), {
    error:
      'engine: command needs command: [program, arguments...], and command is only used with engine: command',
  })
  .refine((p) => (p.delivery === 'directory') === (p.directory !== undefined), {
    error:
      'delivery: directory needs directory: <path Asterisk reads sounds from>, and directory is only used with it',
  })
  .transform((p) =>
    compact({
      engine: p.engine,
      command: p.command,
      /** Voice per language ("de" -> "de+f3"); languages not listed use the language code itself. */
      voices: p.voices,
      timeoutSeconds: p.timeout,
      format: p.format,
      delivery: p.delivery,
      /** Relative to the configuration file, and undefined for the default, until build.ts resolves it. */
      cacheDir: p.cache_dir,
      directory: p.directory,
      soundPath: p.sound_path,
      texts: p.texts,
    }),
  );

export const configSchema = z.strictObject({
  asterisk: z
    .union([
      asteriskSchema,
      z
        .array(asteriskSchema)
        .min(1, { error: 'list at least one Asterisk' })
        .max(16)
        .superRefine(checkAsteriskList),
    ])
    .describe(
      'the connection to Asterisk (ARI); a list connects this daemon to several, and a call is served (its responders rung) through the Asterisk it came in on',
    ),
  settings: settingsSchema.prefault({}).describe('storage, the HTTP listener, logging, defaults'),
  notifications: notificationsSchema
    .prefault({})
    .describe('how pages reach responders: phone, email, webhooks'),
  prompts: promptsSchema.prefault({}).describe('how prompts are made and delivered, and their texts'),
  responders: z
    .array(responderSchema)
    .min(1, { error: 'at least one responder is needed' })
    .describe('the people who can be called and paged'),
  schedules: z.array(scheduleSchema).default([]).describe('on-call rotations'),
  escalation_policies: z.array(policySchema).min(1).describe('who is reached, level by level'),
  teams: z
    .array(teamSchema)
    .min(1)
    .describe('what callers choose in the menu; each has an escalation policy'),
  routes: z.array(routeSchema).min(1).describe('hotline numbers and what callers hear on them'),
  screening: screeningSchema
    .optional()
    .describe("caller screening for every route (a route's own screening keys replace these)"),
});

/** The file as written (once validated): what crossref.ts checks, in the operator's terms. */
export type RawConfig = z.input<typeof configSchema>;
/** The file as the schema turns it: build.ts finishes it into the model. */
export type ParsedConfig = z.output<typeof configSchema>;
export type ParsedSettings = z.output<typeof settingsSchema>;
export type ParsedPrompts = z.output<typeof promptsSchema>;
export type NotificationSettings = z.output<typeof notificationsSchema>;
export type AsteriskSettings = z.output<typeof asteriskSchema>;
