/**
 * Caller screening (`screening`, at the top for every route and on a route for itself, key by
 * key): blocked numbers, an allow list for direct routing, withheld numbers, a rate limit per
 * caller, and press-to-continue. The top level has the defaults; a route's keys replace them.
 */
import { z } from 'zod';
import { compact, duration, durationSchema, promptSchema } from './fields';

/** E.164 digits with wildcards: `*` any run of digits, `?` one digit; `+` and spaces ignored. */
export const numberPatternSchema = z
  .string({ error: 'expected a number pattern in quotes, such as "+1 900*"' })
  .regex(/^\+?[0-9*? ().-]+$/, {
    error: 'expected a number pattern: digits, * (any digits) and ? (one digit), such as "+1 900*"',
  })
  .transform((text) => text.replace(/[^0-9*?]/g, ''))
  .refine((digits) => digits.length > 0, { error: 'a number pattern needs at least one digit or wildcard' });

const rateLimitSchema = z
  .strictObject({
    calls: z.number().int().min(1).describe('calls a caller may make to direct routing within `per`'),
    per: durationSchema.describe('the window, e.g. 10m'),
  })
  .transform((r) => ({ calls: r.calls, perSeconds: r.per }));

const pressToContinueSchema = z
  .strictObject({
    key: z
      .union([z.number().int().min(0).max(9), z.string().regex(/^[0-9*#]$/)], {
        error: 'expected a keypad key: 0 to 9, * or #',
      })
      .describe('the key a caller presses to go on'),
    prompt: promptSchema.optional().describe('replaces "To reach the on-call team, press <key>."'),
    timeout: duration('5s', 'how long to wait for the key'),
    tries: z.number().int().min(1).max(5).default(2).describe('times the prompt is played'),
  })
  .transform((p) =>
    compact({ key: String(p.key), prompt: p.prompt, timeoutSeconds: p.timeout, tries: p.tries }),
  );

const PIN = z.string().regex(/^[0-9]{3,12}$/, { error: 'expected a PIN of 3 to 12 digits, in quotes' });

const pinSchema = z
  .strictObject({
    pins: z.array(PIN).optional().describe('PINs any caller may enter'),
    pins_file: z
      .string()
      .min(1)
      .optional()
      .describe('a file beside this one with a PIN a line (# comments); keep it readable by lcr only'),
    team_pins: z
      .record(z.string(), PIN)
      .optional()
      .describe('a PIN per team id, for callers of that team only'),
    prompt: promptSchema.optional().describe('replaces "Please enter your PIN, then press the pound key."'),
    tries: z
      .number()
      .int()
      .min(1)
      .max(5)
      .default(3)
      .describe('wrong PINs before the caller goes to voicemail'),
  })
  .refine((p) => p.pins !== undefined || p.pins_file !== undefined || p.team_pins !== undefined, {
    error: 'pin needs pins, pins_file or team_pins',
  })
  .transform((p) =>
    compact({
      pins: p.pins ?? [],
      pinsFile: p.pins_file,
      teamPins: p.team_pins ?? {},
      prompt: p.prompt,
      tries: p.tries,
    }),
  );

const ANONYMOUS = ['allow', 'voicemail', 'refuse'] as const;

/** The keys, none with a default: what a route sets replaces the top level's. */
const screeningKeys = {
  block: z
    .array(numberPatternSchema)
    .optional()
    .describe('numbers and prefixes ("+1 900*") that hear a short message (or nothing) and are hung up'),
  blocked_hears: z
    .enum(['message', 'nothing'])
    .optional()
    .describe(
      'what a blocked caller hears: message (the blocked prompt, then hang up) or nothing (not answered)',
    ),
  allow: z
    .array(numberPatternSchema)
    .optional()
    .describe('when set, only these numbers reach direct routing; other callers go to voicemail'),
  anonymous: z
    .enum(ANONYMOUS, { error: 'expected anonymous "allow", "voicemail" or "refuse"' })
    .optional()
    .describe(
      'withheld or anonymous numbers: allow (the default), voicemail (never direct routing) or refuse',
    ),
  rate_limit: rateLimitSchema
    .optional()
    .describe(
      'at most `calls` calls per `per` from one number reach direct routing; further ones go to voicemail',
    ),
  press_to_continue: pressToContinueSchema
    .optional()
    .describe('before the menu, the caller must press `key` (stops most robocalls); no key: hung up'),
  pin: pinSchema
    .optional()
    .describe('direct routing asks for a PIN before anyone is rung; after `tries` wrong ones, voicemail'),
};

export const screeningSchema = z.strictObject(screeningKeys).transform((s) =>
  compact({
    block: s.block,
    blockedHears: s.blocked_hears,
    allow: s.allow,
    anonymous: s.anonymous,
    rateLimit: s.rate_limit,
    pressToContinue: s.press_to_continue,
    pin: s.pin,
  }),
);

export type ParsedScreening = z.output<typeof screeningSchema>;

/** A route's screening once merged with the top level's (build.ts): the defaults filled. */
export type Screening = Omit<ParsedScreening, 'blockedHears' | 'anonymous' | 'block'> & {
  block: string[];
  blockedHears: 'message' | 'nothing';
  anonymous: (typeof ANONYMOUS)[number];
};

export function mergeScreening(
  top: ParsedScreening | undefined,
  route: ParsedScreening | undefined,
): Screening {
  const merged = { ...top, ...route };
  return {
    ...merged,
    block: merged.block ?? [],
    blockedHears: merged.blockedHears ?? 'message',
    anonymous: merged.anonymous ?? 'allow',
  };
}
