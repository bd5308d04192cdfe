/**
 * Field schemas shared by the sections of the YAML file: ids, time zones, durations, phones,
 * prompts, secrets. Each checks one value and turns it into what the daemon works with
 * (durations into seconds, prompts into a tagged union), so that the model types are the
 * schema's output types and nothing is written twice.
 */
import { z } from 'zod';
import { IANAZone } from 'luxon';
import { PROMPT_SLOTS, yamlSlotName, type PromptSlot } from '../domain/promptSlots';
import { DURATION_PATTERN, parseDurationSeconds } from './duration';
import { DIAL_STRING_PATTERN, looksLikePhoneNumber } from './dialString';

const ID_PATTERN = /^[a-z0-9][a-z0-9_-]*$/i;

export const quotedNumberHint =
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

/** Seconds as a number, or "30s", "10m", "1h30m", "2d", "1w"; the output is seconds. */
export const durationSchema = z
  .union([z.number().nonnegative(), z.string().regex(DURATION_PATTERN)], {
    error: 'expected a duration: seconds as a number, or a string such as "30s", "10m", "1h30m", "2d", "1w"',
  })
  .transform(parseDurationSeconds);

/**
 * A duration with its default as the operator would write it: the default is parsed like a
 * written value (prefault), so the JSON Schema shows "30s" and the daemon gets 30.
 */
export function duration(fallback: string, description: string) {
  return durationSchema.prefault(fallback).describe(description);
}

export const LANGUAGE_PATTERN = /^[a-z]{2}(?:[_-][A-Za-z]{2})?$/;

export const phoneSchema = z
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

const soundName = (sound: string): string => sound.replace(/^sound:/, '');

export const promptSchema = z
  .union(
    [
      promptTextSchema.describe('text to speak, or "sound:<name>" for a sound Asterisk has'),
      z.strictObject({ text: promptTextSchema.describe('text to speak') }),
      z.strictObject({
        sound: z.string().min(1).describe('a sound Asterisk already has, e.g. custom/greeting'),
      }),
      z.strictObject({
        file: z.string().min(1).describe('an audio file, relative to the configuration file'),
      }),
    ],
    { error: 'expected a prompt: text, "sound:<name>", {text: ...}, {sound: <name>} or {file: <path>}' },
  )
  .transform((raw) => {
    if (typeof raw === 'string')
      return raw.startsWith('sound:')
        ? { kind: 'sound' as const, sound: soundName(raw) }
        : { kind: 'text' as const, text: raw };
    if ('text' in raw) return { kind: 'text' as const, text: raw.text };
    if ('sound' in raw) return { kind: 'sound' as const, sound: soundName(raw.sound) };
    return { kind: 'file' as const, path: raw.file };
  });

export type Prompt = z.output<typeof promptSchema>;
export type PromptTexts = Partial<Record<PromptSlot, Prompt>>;

/** Prompt replacements by their YAML name (`no_answer`), handed out by slot (`noAnswer`). */
export const promptMapSchema = z
  .partialRecord(
    z.enum(PROMPT_SLOTS.map(yamlSlotName) as [string, ...string[]], {
      error: (issue) =>
        `unknown prompt "${String(issue.input)}"; known prompts: ${PROMPT_SLOTS.map(yamlSlotName).join(', ')}`,
    }),
    promptSchema,
  )
  .transform((raw): PromptTexts => {
    const texts: PromptTexts = {};
    for (const slot of PROMPT_SLOTS) {
      const prompt = raw[yamlSlotName(slot)];
      if (prompt !== undefined) texts[slot] = prompt;
    }
    return texts;
  });

const envNameSchema = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'expected an environment variable name' });

/** A secret as the operator gave it; read with resolveSecret() when needed. */
export type Secret =
  | { kind: 'plain'; value: string }
  | { kind: 'env'; name: string }
  | { kind: 'file'; path: string }
  | { kind: 'none' };

/** A secret given inline, through an environment variable, or in a file: at most one of them. */
export function secretFields<N extends string>(name: N, what: string) {
  return {
    [name]: z.string().min(1).optional().describe(`${what}, written in the YAML itself (not recommended)`),
    [`${name}_env`]: envNameSchema.optional().describe(`the environment variable holding ${what}`),
    [`${name}_file`]: z
      .string()
      .min(1)
      .optional()
      .describe(`a file whose first line is ${what} (relative to the configuration file)`),
  } as { [K in N | `${N}_env` | `${N}_file`]: z.ZodOptional<z.ZodString> };
}

export function atMostOneSecret(name: string) {
  return (value: Record<string, unknown>): boolean =>
    [value[name], value[`${name}_env`], value[`${name}_file`]].filter((v) => v !== undefined).length <= 1;
}

export function toSecret(raw: Record<string, unknown>, name: string): Secret {
  const plain = raw[name];
  const env = raw[`${name}_env`];
  const file = raw[`${name}_file`];
  if (typeof plain === 'string') return { kind: 'plain', value: plain };
  if (typeof env === 'string') return { kind: 'env', name: env };
  if (typeof file === 'string') return { kind: 'file', path: file };
  return { kind: 'none' };
}

type UndefinedKeys<T> = { [K in keyof T]-?: undefined extends T[K] ? K : never }[keyof T];
/** `{ a: string | undefined }` as `{ a?: string }`: what the model's optional keys look like. */
export type Compact<T> = {
  [K in keyof T as K extends UndefinedKeys<T> ? never : K]: T[K];
} & { [K in UndefinedKeys<T>]?: Exclude<T[K], undefined> };

/**
 * Drops the keys a transform left undefined, so that an unset optional key is absent from the
 * model (as in the YAML) rather than present with the value undefined.
 */
export function compact<T extends object>(value: T): Compact<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Compact<T>;
}
