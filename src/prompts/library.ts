/**
 * The prompt renderer the daemon runs with: text is spoken by the configured engine, operator
 * files are converted, and everything is made ahead of time by prepare() when a configuration
 * loads, so render() only looks files up. A prompt that could not be made plays the audio that
 * prompt had before (after a reload) or the stock Asterisk sounds with its meaning: never silence.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import type { Logger } from '../log/logger';
import type { Config, Prompt, PromptSettings } from '../config/model';
import {
  fillTemplate,
  type PromptDeclaration,
  type PromptRenderer,
  type PromptScope,
  type RenderedPrompt,
} from './render';
import { promptHash, type PromptCache, type PromptDelivery } from './cache';
import { convertAudioFile } from './convert';
import type { SpeechEngine } from './engines/types';
import { DEFAULT_TEXTS, DYNAMIC_PLACEHOLDERS, NUMBER_PLACEHOLDERS, type PromptSlot } from './slots';
import { STOCK_FALLBACK } from './stockSounds';
import { toTelephoneWav } from './wav';

/** The built-in texts are English whatever the route's language, so they are spoken in English. */
const BUILT_IN_LANGUAGE = 'en';
const SPOKEN_DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
const UNKNOWN_CALLER = 'unknown';
const GIVE_UP_AFTER_FAILURES = 3;

type Piece =
  | { kind: 'speech'; text: string; language: string }
  | { kind: 'digits'; digits: string; language: string }
  /** Said by Asterisk itself (`number:N`): nothing to make ahead. */
  | { kind: 'number'; value: string };

/** Placeholders a render fills in per call, never baked into a cached piece. */
const perCall = (name: string): boolean => DYNAMIC_PLACEHOLDERS.has(name) || NUMBER_PLACEHOLDERS.has(name);

export interface PrepareReport {
  /** Distinct audio files this configuration plays. */
  needed: number;
  synthesized: number;
  converted: number;
  failures: Array<{ where: string; error: string }>;
  elapsedMs: number;
}

export interface PromptLibraryOptions {
  settings: PromptSettings;
  /** Undefined with `engine: none`: text prompts play as stock sounds. */
  engine: SpeechEngine | undefined;
  cache: PromptCache;
  delivery: PromptDelivery;
  logger: Logger;
}

/** Printable text: control characters become spaces, so engines and logs see one clean line. */
export function speakable(text: string): string {
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  const controls = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
  return text.replace(controls, ' ').replace(/\s+/g, ' ').trim();
}

export class PromptLibrary implements PromptRenderer {
  /** Prompts rendered before their audio existed (should stay 0; a metric and the tests watch it). */
  misses = 0;
  /**
   * Prompts rendered that no flow declared (a flow's declaration is missing them, so their audio
   * is never made ahead). Should stay empty; the integration harness checks it after every test.
   */
  readonly undeclared: string[] = [];
  /** What the last prepare() found, for /healthz and /metrics. */
  lastReport: PrepareReport | undefined;
  /** Every prompt declared since the start: a call keeps the configuration it started under. */
  private readonly declared = new Set<string>();
  private readonly settings: PromptSettings;
  private readonly files = new Map<string, string>();
  private readonly lastGood = new Map<string, string[]>();
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly failed = new Map<string, string>();
  /**
   * Speech hashes by language and text: every render of a spoken prompt looks up each piece's
   * file (and each digit of a caller's number) by its SHA-256, the same few hundred strings for
   * every call. The engine, voices and format they also cover are fixed for this library.
   */
  private readonly hashes = new Map<string, string>();
  /** Audio file paths in the YAML are relative to the YAML file. */
  private configDir = '.';

  constructor(private readonly options: PromptLibraryOptions) {
    this.settings = options.settings;
  }

  get engineName(): string {
    return this.options.engine?.name ?? 'none (stock Asterisk sounds)';
  }

  voiceFor(language: string): string {
    const voices = this.settings.voices;
    const base = language.toLowerCase().replace('_', '-');
    return voices[language] ?? voices[base] ?? voices[base.slice(0, 2)] ?? (base === 'en' ? 'en-us' : base);
  }

  /**
   * Makes every prompt the flows declare they can play under `config` (src/callflow/flowPrompts.ts)
   * that is not on disk yet. Never throws: failures are reported.
   */
  async prepare(config: Config, declarations: readonly PromptDeclaration[]): Promise<PrepareReport> {
    const started = performance.now();
    const report: PrepareReport = { needed: 0, synthesized: 0, converted: 0, failures: [], elapsedMs: 0 };
    const uses = declarations.flatMap((declare) => declare(config));
    for (const use of uses) this.declared.add(this.identity(use.slot, use.override, use.vars, use.scope));
    this.configDir = dirname(config.source);
    const files = new Map<string, string>();
    for (const use of uses) {
      const prompt = this.effective(use.slot, use.override, use.scope);
      if (prompt?.kind !== 'file') continue;
      const file = resolve(this.configDir, prompt.path);
      if (!files.has(file)) files.set(file, use.where);
    }
    for (const [path, where] of files) {
      try {
        const made = await this.prepareFile(path);
        report.converted += made ? 1 : 0;
      } catch (error) {
        report.failures.push({ where: `${where} (${path})`, error: (error as Error).message });
      }
    }
    const pieces = new Map<string, { piece: Piece & { kind: 'speech' }; where: string }>();
    for (const use of uses) {
      for (const piece of this.pieces(use.slot, use.override, use.vars, use.scope) ?? []) {
        if (piece.kind === 'number') continue;
        const speech: Array<Piece & { kind: 'speech' }> =
          piece.kind === 'speech'
            ? [piece]
            : [...SPOKEN_DIGITS, UNKNOWN_CALLER].map((text) => ({
                kind: 'speech',
                text,
                language: piece.language,
              }));
        for (const each of speech) pieces.set(this.speechHash(each), { piece: each, where: use.where });
      }
    }
    report.needed = pieces.size + files.size;
    if (this.options.engine !== undefined) {
      const queue = [...pieces].filter(([hash]) => !this.options.cache.has(hash));
      // An engine that fails every time (a missing model, a command that hangs) would otherwise
      // hold the start for a timeout per prompt: after a few failures and no success, stop trying.
      let failedInARow = 0;
      let lastError = '';
      const worker = async (): Promise<void> => {
        for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
          const [hash, { piece, where }] = next;
          const label = `${where}: "${abbreviate(piece.text)}"`;
          if (failedInARow >= GIVE_UP_AFTER_FAILURES && report.synthesized === 0) {
            report.failures.push({
              where: label,
              error: `not attempted: the engine failed ${failedInARow} times in a row (${lastError})`,
            });
            continue;
          }
          await this.synthesize(hash, piece);
          const error = this.failed.get(hash);
          if (error === undefined) {
            report.synthesized++;
            failedInARow = 0;
          } else {
            report.failures.push({ where: label, error });
            failedInARow++;
            lastError = error;
          }
        }
      };
      const workers = Math.max(1, Math.min(4, availableParallelism()));
      await Promise.all(Array.from({ length: workers }, worker));
    }
    for (const use of uses) {
      const media = this.mediaOf(use.slot, use.override, use.vars, use.scope);
      if (media !== undefined) this.lastGood.set(positionKey(use.slot, use.vars, use.scope), media);
    }
    for (const failure of report.failures)
      this.options.logger.warn(
        'prompt could not be made; the previous audio or stock sounds play instead',
        failure,
      );
    report.elapsedMs = performance.now() - started;
    this.lastReport = report;
    return report;
  }

  render(
    slot: PromptSlot,
    override: Prompt | undefined,
    vars: Record<string, string> = {},
    scope?: PromptScope,
  ): RenderedPrompt {
    const identity = this.identity(slot, override, vars, scope);
    if (!this.declared.has(identity)) {
      this.declared.add(identity);
      this.undeclared.push(identity);
      this.options.logger.warn('a flow played a prompt it does not declare (its audio is not made ahead)', {
        slot,
        vars,
      });
    }
    const prompt = this.effective(slot, override, scope);
    if (prompt?.kind === 'sound')
      return { media: [`sound:${prompt.sound}`], text: `[sound ${prompt.sound}]` };
    const text =
      prompt?.kind === 'file'
        ? `[file ${prompt.path}]`
        : speakable(fillTemplate(prompt?.kind === 'text' ? prompt.text : DEFAULT_TEXTS[slot], vars));
    if (this.options.engine === undefined && prompt?.kind !== 'file')
      return { media: STOCK_FALLBACK[slot](vars), text };
    const media = this.mediaOf(slot, override, vars, scope);
    if (media !== undefined) return { media, text };
    this.misses++;
    // Made in the background for the next caller, unless it already failed: a broken engine is
    // not started again for every call; the next reload tries again.
    for (const piece of this.pieces(slot, override, vars, scope) ?? []) {
      const hash = piece.kind === 'speech' ? this.speechHash(piece) : undefined;
      if (piece.kind === 'speech' && hash !== undefined && !this.failed.has(hash))
        void this.synthesize(hash, piece);
    }
    const previous = this.lastGood.get(positionKey(slot, vars, scope));
    this.options.logger.warn('prompt not ready; playing its previous audio or stock sounds', { slot, text });
    return { media: previous ?? STOCK_FALLBACK[slot](vars), text };
  }

  /**
   * Makes the audio of a text known only at run time (a status message set while the daemon runs).
   * Resolves with whether it is there; false with no speech engine or when the engine failed.
   */
  async prepareText(text: string, language: string): Promise<boolean> {
    const piece = { kind: 'speech' as const, text: speakable(text), language };
    const hash = this.speechHash(piece);
    await this.synthesize(hash, piece);
    return this.options.cache.has(hash);
  }

  /** The audio prepareText made for `text`, or undefined while there is none. */
  spokenText(text: string, language: string): RenderedPrompt | undefined {
    const hash = this.speechHash({ text: speakable(text), language });
    return this.options.engine !== undefined && this.options.cache.has(hash)
      ? { media: [this.options.delivery.uri(hash)], text: speakable(text) }
      : undefined;
  }

  /** What makes two renders the same prompt: what is said, in which language, with which fixed values. */
  private identity(
    slot: PromptSlot,
    override: Prompt | undefined,
    vars: Record<string, string>,
    scope: PromptScope | undefined,
  ): string {
    return `${positionKey(slot, vars, scope)} ${promptJson(this.effective(slot, override, scope))}`;
  }

  private effective(
    slot: PromptSlot,
    override: Prompt | undefined,
    scope: PromptScope | undefined,
  ): Prompt | undefined {
    return override ?? scope?.prompts[slot] ?? this.settings.texts[slot];
  }

  /** The audio pieces a prompt is made of, or undefined when it is a file or a sound. */
  private pieces(
    slot: PromptSlot,
    override: Prompt | undefined,
    vars: Record<string, string>,
    scope: PromptScope | undefined,
  ): Piece[] | undefined {
    const prompt = this.effective(slot, override, scope);
    if (prompt !== undefined && prompt.kind !== 'text') return undefined;
    const template = prompt?.text ?? DEFAULT_TEXTS[slot];
    const language = prompt === undefined ? BUILT_IN_LANGUAGE : (scope?.language ?? BUILT_IN_LANGUAGE);
    const pieces: Piece[] = [];
    // Fixed placeholders are filled in; dynamic ones split the text into separately cached parts.
    const fixed = Object.fromEntries(Object.entries(vars).filter(([name]) => !perCall(name)));
    for (const part of fillTemplate(template, fixed).split(/(\{\w+\})/)) {
      const name = /^\{(\w+)\}$/.exec(part)?.[1];
      if (name !== undefined && NUMBER_PLACEHOLDERS.has(name)) {
        const value = (vars[name] ?? '').replace(/\D/g, '');
        if (value !== '') pieces.push({ kind: 'number', value: String(Number(value)) });
        continue;
      }
      if (name !== undefined && DYNAMIC_PLACEHOLDERS.has(name)) {
        pieces.push({ kind: 'digits', digits: (vars[name] ?? '').replace(/\D/g, ''), language });
        continue;
      }
      const text = speakable(part);
      if (/[\p{L}\p{N}]/u.test(text)) pieces.push({ kind: 'speech', text, language });
    }
    return pieces;
  }

  private mediaOf(
    slot: PromptSlot,
    override: Prompt | undefined,
    vars: Record<string, string>,
    scope: PromptScope | undefined,
  ): string[] | undefined {
    const prompt = this.effective(slot, override, scope);
    if (prompt?.kind === 'file') {
      const hash = this.files.get(resolve(this.configDir, prompt.path));
      return hash === undefined || !this.options.cache.has(hash)
        ? undefined
        : [this.options.delivery.uri(hash)];
    }
    const media: string[] = [];
    for (const piece of this.pieces(slot, override, vars, scope) ?? []) {
      if (piece.kind === 'number') {
        media.push(`number:${piece.value}`);
        continue;
      }
      const texts =
        piece.kind === 'speech' ? [piece.text] : piece.digits === '' ? [UNKNOWN_CALLER] : [...piece.digits];
      for (const text of texts) {
        const hash = this.speechHash({ kind: 'speech', text, language: piece.language });
        if (!this.options.cache.has(hash)) return undefined;
        media.push(this.options.delivery.uri(hash));
      }
    }
    return media;
  }

  private speechHash(piece: { kind?: string; text: string; language: string }): string {
    const key = `${piece.language}\u0000${piece.text}`;
    const known = this.hashes.get(key);
    if (known !== undefined) return known;
    // Texts come from the configuration and digits, so this stays small; a bound all the same.
    if (this.hashes.size >= 10_000) this.hashes.clear();
    const hash = this.computeSpeechHash(piece);
    this.hashes.set(key, hash);
    return hash;
  }

  private computeSpeechHash(piece: { text: string; language: string }): string {
    const engine = this.options.engine?.identity ?? 'none';
    return promptHash([
      'speech',
      engine,
      this.voiceFor(piece.language),
      piece.language,
      this.settings.format,
      piece.text,
    ]);
  }

  private sampleRate(): 8000 | 16000 {
    return this.settings.format === 'wav16' ? 16000 : 8000;
  }

  /** One synthesis per hash at a time; a failure is remembered so it is reported, not retried in a loop. */
  private synthesize(hash: string, piece: { text: string; language: string }): Promise<void> {
    const engine = this.options.engine;
    if (engine === undefined || this.options.cache.has(hash)) return Promise.resolve();
    const running = this.inFlight.get(hash);
    if (running !== undefined) return running;
    const job = (async () => {
      try {
        const wav = await engine.synthesize(
          { text: piece.text, voice: this.voiceFor(piece.language), language: piece.language },
          this.settings.timeoutSeconds * 1000,
        );
        await this.options.cache.store(hash, toTelephoneWav(wav, this.sampleRate()));
        this.failed.delete(hash);
      } catch (error) {
        this.failed.set(hash, (error as Error).message);
      } finally {
        this.inFlight.delete(hash);
      }
    })();
    this.inFlight.set(hash, job);
    return job;
  }

  /** An operator's audio file, converted once per content. Returns whether it had to be made. */
  private async prepareFile(path: string): Promise<boolean> {
    const content = await readFile(path).catch((error: Error) => {
      throw new Error(`cannot read the audio file: ${error.message}`);
    });
    const contentHash = createHash('sha256').update(content).digest('hex');
    const hash = promptHash(['file', contentHash, this.settings.format]);
    this.files.set(path, hash);
    if (this.options.cache.has(hash)) return false;
    const converted = await convertAudioFile(
      content,
      path,
      this.sampleRate(),
      this.settings.timeoutSeconds * 1000,
    );
    await this.options.cache.store(hash, converted);
    return true;
  }
}

function positionKey(slot: PromptSlot, vars: Record<string, string>, scope: PromptScope | undefined): string {
  const fixed = Object.entries(vars).filter(([name]) => !perCall(name) && name !== 'callerDigits');
  // By name (names are unique): the default sort turns every [name, value] pair into a string to compare.
  fixed.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([slot, scope?.language ?? '', fixed]);
}

/** A prompt's JSON, once per prompt object (they come from the configuration and do not change). */
const promptJsons = new WeakMap<Prompt, string>();
function promptJson(prompt: Prompt | undefined): string {
  if (prompt === undefined) return 'null';
  let json = promptJsons.get(prompt);
  if (json === undefined) promptJsons.set(prompt, (json = JSON.stringify(prompt)));
  return json;
}

function abbreviate(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
