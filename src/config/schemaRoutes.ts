/** The `routes` section of the YAML file: hotline numbers, their menu, voicemail and direct routing. */
import { z } from 'zod';
import { normaliseDialedNumber } from './dialString';
import { hotlineCountryCode } from '../util/callbackNumbers';
import {
  compact,
  duration,
  idSchema,
  LANGUAGE_PATTERN,
  promptMapSchema,
  promptSchema,
  quotedNumberHint,
} from './fields';
import { hoursSchema, urgencySchema } from './schemaHours';
import { numberPatternSchema, screeningSchema } from './schemaScreening';
import { ringStrategySchema } from './schemaOncall';

const optionSchema = z
  .strictObject({
    key: z
      .union([z.number().int().min(1).max(9), z.string().regex(/^[1-9]$/)], {
        error: 'expected a keypad key from 1 to 9',
      })
      .describe('the keypad key, 1 to 9'),
    team: idSchema.describe('the id of the team this option reaches'),
    label: z.string().min(1).describe('spoken in the menu: "For <label>, press <key>"'),
    prompt: promptSchema.optional().describe('replaces the menu line of this option'),
    urgency: urgencySchema.optional().describe("urgency of this option's pages (default the route's)"),
  })
  .transform((o) =>
    compact({ key: String(o.key), teamId: o.team, label: o.label, prompt: o.prompt, urgency: o.urgency }),
  );

/** What a call outside the route's hours gets, after the outside-hours greeting. */
const outsideHoursSchema = z
  .strictObject({
    action: z
      .enum(['message', 'voicemail', 'menu', 'direct'], {
        error: 'expected action "message", "voicemail", "menu" or "direct"',
      })
      .default('voicemail')
      .describe(
        "message: hang up after the greeting; voicemail: a message for the chosen team; menu: `options` instead of the route's; direct: direct routing with `escalation_policy`",
      ),
    greeting: promptSchema.optional().describe('the outside-hours greeting (default built-in: closed)'),
    options: z.array(optionSchema).min(1).optional().describe('action menu: the options offered instead'),
    escalation_policy: idSchema.optional().describe("action direct: the policy rung instead of the team's"),
    urgency: urgencySchema.default('low').describe('urgency of the pages these calls make'),
  })
  .refine((o) => o.action !== 'menu' || o.options !== undefined, {
    error: 'action menu needs options',
    path: ['options'],
  })
  .refine((o) => o.action !== 'direct' || o.escalation_policy !== undefined, {
    error: 'action direct needs escalation_policy',
    path: ['escalation_policy'],
  })
  .transform((o) =>
    compact({
      action: o.action,
      greeting: o.greeting,
      options: o.options,
      policyId: o.escalation_policy,
      urgency: o.urgency,
    }),
  );

const menuSchema = z
  .strictObject({
    prompt: promptSchema.optional().describe('replaces the whole menu prompt'),
    timeout: duration('6s', 'how long to wait for a key'),
    tries: z.number().int().min(1).max(10).default(3).describe('how many times the menu is offered'),
    invalid_prompt: promptSchema.optional().describe('played after a key that is no option'),
    fallback: z
      .union([z.literal('first'), z.literal('hangup'), z.number().int().min(1).max(9)])
      .default('first')
      .describe('after the last try: the first option, a key, or hangup'),
  })
  .transform((m) =>
    compact({
      prompt: m.prompt,
      timeoutSeconds: m.timeout,
      tries: m.tries,
      invalidPrompt: m.invalid_prompt,
      /** 'first', 'hangup' or a key. */
      fallback: String(m.fallback),
    }),
  );

const voicemailSchema = z
  .strictObject({
    prompt: promptSchema.optional().describe('played before the tone'),
    thanks: promptSchema.optional().describe('played after the message'),
    max_duration: duration('3m', 'longest message'),
    max_silence: duration('10s', 'silence that ends the message'),
    min_duration: duration('2s', 'shorter messages are kept but marked'),
    page_on_abandon: z
      .boolean()
      .default(false)
      .describe('page the team when a caller hangs up before leaving a message'),
  })
  .transform((v) =>
    compact({
      prompt: v.prompt,
      thanks: v.thanks,
      maxDurationSeconds: v.max_duration,
      maxSilenceSeconds: v.max_silence,
      minDurationSeconds: v.min_duration,
      pageOnAbandon: v.page_on_abandon,
    }),
  );

const dedupeSchema = z
  .strictObject({
    scope: z
      .enum(['option', 'team', 'off'], { error: 'expected scope "option", "team" or "off"' })
      .default('option')
      .describe(
        'which open page a new message joins: option (same route and menu key), team (any of the team), off (always a new page)',
      ),
    window: duration('2h', 'a page takes new callers while its latest caller is this recent'),
    update_every: duration(
      '1m',
      'at most one update per page this often to each responder and webhook; it tells the latest count',
    ),
  })
  .transform((d) => ({ scope: d.scope, windowSeconds: d.window, updateEverySeconds: d.update_every }));

const callbackSchema = z
  .strictObject({
    offer: z
      .boolean()
      .default(false)
      .describe(
        'after a message (and when nobody answers a direct call), offer to be called back: at the calling number, or at digits entered and read back',
      ),
    dial: z
      .strictObject({
        endpoint: z
          .string()
          .regex(/^[A-Za-z][A-Za-z0-9_]*\/[A-Za-z0-9_.+@:#*=/{}-]+$/, {
            error: 'expected a dial string with {number}, e.g. "PJSIP/{number}@trunk"',
          })
          .refine((e) => e.includes('{number}'), { error: 'the endpoint needs {number}' })
          .optional()
          .describe('how the caller is dialled (default settings.trunk_template): {number} is E.164'),
        caller_id: z
          .string()
          .min(1)
          .optional()
          .describe("what the caller's phone shows (default the route's name and first number)"),
        ring_timeout: duration('30s', 'how long the caller is rung'),
      })
      .prefault({})
      .describe('calling the caller back'),
    allow: z
      .array(numberPatternSchema)
      .optional()
      .describe(
        "numbers that may be called back (default: the hotline's own country, from its first number)",
      ),
    deny: z
      .array(numberPatternSchema)
      .optional()
      .describe(
        "never called back, added to the defaults: that country's premium-rate prefixes where lcr knows them (for +1 also the Caribbean and Atlantic countries billed as international); a default is lifted by listing the same pattern in allow",
      ),
  })
  .transform((c) =>
    compact({
      offer: c.offer,
      endpoint: c.dial.endpoint,
      callerId: c.dial.caller_id,
      ringTimeoutSeconds: c.dial.ring_timeout,
      allow: c.allow,
      deny: c.deny,
    }),
  );

const holdSchema = z
  .union(
    [
      z.literal('ringback'),
      z.strictObject({ moh: z.string().min(1).describe('an Asterisk music-on-hold class') }),
      z.strictObject({ sound: z.string().min(1).describe('a sound Asterisk has, played in a loop') }),
    ],
    { error: 'expected "ringback", {moh: <class>} or {sound: <name>}' },
  )
  .transform((raw) => {
    if (raw === 'ringback') return { kind: 'ringback' as const };
    if ('moh' in raw) return { kind: 'moh' as const, mohClass: raw.moh };
    return { kind: 'sound' as const, sound: raw.sound.replace(/^sound:/, '') };
  });

const directSchema = z
  .strictObject({
    strategy: ringStrategySchema
      .default('simultaneous')
      .describe('how phones of a level ring: simultaneous, sequential, random'),
    hold: holdSchema
      .prefault('ringback')
      .describe('what the caller hears meanwhile: ringback, {moh: class} or {sound: name}'),
    still_trying_every: duration('0s', 'how often the caller hears "still trying" (0: never)'),
    still_trying_prompt: promptSchema.optional().describe('replaces the "still trying" prompt'),
    caller_id: z
      .enum(['hotline', 'caller'])
      .default('hotline')
      .describe("the number responders' phones show: the hotline's or the caller's"),
    confirm_prompt: promptSchema.optional().describe('replaces "press 1 to accept"'),
    confirm_timeout: duration('15s', 'how long an answering responder has to press 1'),
    on_no_answer: z
      .enum(['voicemail', 'hangup'])
      .default('voicemail')
      .describe('when nobody accepts: take a voicemail (a page) or hang up'),
    no_answer_prompt: promptSchema.optional().describe('played when nobody accepts'),
    skip_already_dialed: z
      .boolean()
      .default(false)
      .describe('do not ring again a phone an earlier level already rang'),
    page: z
      .enum(['never', 'on_answer', 'on_call_start'], {
        error: 'expected page "never", "on_answer" or "on_call_start"',
      })
      .optional()
      .describe(
        'a page on the record for direct calls: never; on_answer (acknowledged by who took it); on_call_start (opened as the first phones ring, chat webhooks only; acknowledged by who takes it, else it goes on as the voicemail page)',
      ),
    page_on_connect: z.boolean().optional().describe('older spelling of page: on_answer'),
    resolve_on_hangup: z
      .boolean()
      .optional()
      .describe("resolve the call's page when the call ends (default: true when the call is paged)"),
  })
  .refine((d) => d.page === undefined || d.page_on_connect === undefined, {
    error: 'give page (never, on_answer, on_call_start) or its older spelling page_on_connect, not both',
    path: ['page_on_connect'],
  })
  .transform((d) =>
    compact({
      strategy: d.strategy,
      hold: d.hold,
      stillTryingEverySeconds: d.still_trying_every,
      stillTryingPrompt: d.still_trying_prompt,
      callerId: d.caller_id,
      confirmPrompt: d.confirm_prompt,
      confirmTimeoutSeconds: d.confirm_timeout,
      onNoAnswer: d.on_no_answer,
      noAnswerPrompt: d.no_answer_prompt,
      skipAlreadyDialed: d.skip_already_dialed,
      page: d.page ?? (d.page_on_connect === true ? ('on_answer' as const) : ('never' as const)),
      resolveOnHangup:
        d.resolve_on_hangup ?? (d.page ?? (d.page_on_connect === true ? 'on_answer' : 'never')) !== 'never',
    }),
  );

export const routeSchema = z
  .strictObject({
    id: idSchema.describe('the route id'),
    name: z.string().min(1).describe('what responders hear ("Call from <name> for <team>")'),
    numbers: z
      .array(
        z
          .string({ error: quotedNumberHint })
          .regex(/^\+?[0-9][0-9 ().-]*$/, { error: 'expected a dialed number such as "+1 555 0100"' }),
      )
      .min(1, { error: 'a route needs at least one dialed number' })
      .describe('dialed numbers (DIDs), compared digits only; no number may belong to two routes'),
    region: z
      .string()
      .regex(/^[A-Z]{2}$/, { error: 'expected a two-letter region code such as "US"' })
      .optional()
      .describe('two-letter region code of the hotline (US)'),
    language: z
      .string()
      .regex(LANGUAGE_PATTERN)
      .default('en')
      .describe("language (and so voice) of this route's prompt texts"),
    active: z.boolean().default(true).describe('an inactive route plays inactive_message and hangs up'),
    inactive_message: promptSchema.optional().describe('played by an inactive route'),
    greeting: promptSchema.optional().describe('played after answering (default built-in)'),
    routing: z
      .enum(['voicemail', 'direct'], { error: 'expected routing "voicemail" or "direct"' })
      .describe('voicemail (a page for the team) or direct (connected live to the on-call responder)'),
    options: z
      .array(optionSchema)
      .min(1, { error: 'a route needs at least one option' })
      .describe('1 to 9 menu options; with one option there is no menu'),
    menu: menuSchema.prefault({}).describe('the keypad menu'),
    voicemail: voicemailSchema.prefault({}).describe('recording the message'),
    direct: directSchema.prefault({}).describe('direct routing: ringing the on-call responders'),
    callback: callbackSchema.prefault({}).describe('callbacks instead of dead ends'),
    dedupe: dedupeSchema
      .prefault({})
      .describe('one page per outage: callers join the open page instead of opening their own'),
    prompts: promptMapSchema
      .prefault({})
      .describe('any prompt for this route only, by name (see prompts.texts)'),
    urgency: urgencySchema.default('high').describe("urgency of this route's pages: high or low"),
    hours: hoursSchema.optional().describe('support hours; without them the route is always open'),
    outside_hours: outsideHoursSchema
      .prefault({})
      .describe('what a call outside the hours gets (only with hours)'),
    screening: screeningSchema
      .optional()
      .describe('caller screening on this route: replaces the top-level keys it sets'),
  })
  .refine(
    (r) =>
      !r.callback.offer ||
      r.callback.allow !== undefined ||
      hotlineCountryCode(r.numbers, r.region) !== undefined,
    {
      error:
        'callback.offer needs to know which numbers may be called back: give the route an E.164 number ("+1 555 0100"), a region, or callback.allow',
      path: ['callback', 'allow'],
    },
  )
  .transform((r) =>
    compact({
      id: r.id,
      name: r.name,
      numbers: r.numbers,
      /** Digits-only forms of `numbers`, used to match the dialed extension. */
      normalisedNumbers: r.numbers.map(normaliseDialedNumber),
      region: r.region,
      language: r.language,
      active: r.active,
      inactiveMessage: r.inactive_message,
      greeting: r.greeting,
      routing: r.routing,
      options: r.options,
      /** Prompts replaced for this route only. */
      prompts: r.prompts,
      menu: r.menu,
      voicemail: r.voicemail,
      direct: r.direct,
      dedupe: r.dedupe,
      callback: r.callback,
      urgency: r.urgency,
      hours: r.hours,
      outsideHours: r.outside_hours,
      screening: r.screening,
    }),
  );
