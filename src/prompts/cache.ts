/**
 * Prompt audio on disk, one file per content hash: `<sha256>.wav` (8 kHz) or `<sha256>.wav16`.
 * The hash covers everything that changes the audio (engine, voice, language, format, text), so
 * a file never changes under its name: Asterisk may cache it forever, and a restart with the same
 * configuration synthesizes nothing. Files appear atomically (written aside, then renamed), so
 * Asterisk reading the shared directory never plays half a prompt.
 */
import { createHash, randomBytes } from 'node:crypto';
import { accessSync, constants, mkdirSync, readdirSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PromptSettings } from '../config/model';

export const PROMPT_FILE = /^([0-9a-f]{64})\.(wav|wav16)$/;

export function promptHash(parts: readonly string[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

export class PromptCacheError extends Error {}

export class PromptCache {
  readonly extension: 'wav' | 'wav16';
  private readonly present = new Set<string>();

  /** Why new audio cannot be stored here, if it cannot: audio already present still plays. */
  readonly unwritable: string | undefined;

  constructor(
    readonly dir: string,
    readonly format: PromptSettings['format'],
  ) {
    this.extension = format;
    let unwritable: string | undefined;
    try {
      mkdirSync(dir, { recursive: true });
      accessSync(dir, constants.W_OK);
    } catch (error) {
      unwritable = `prompt cache directory ${dir} is not writable (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): fix its owner or permissions, or set prompts.cache_dir`;
    }
    this.unwritable = unwritable;
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      // Missing or unreadable: nothing cached.
    }
    for (const name of names) {
      const match = PROMPT_FILE.exec(name);
      if (match && match[2] === this.extension) this.present.add(match[1]!);
    }
  }

  has(hash: string): boolean {
    return this.present.has(hash);
  }

  fileName(hash: string): string {
    return `${hash}.${this.extension}`;
  }

  path(hash: string): string {
    return join(this.dir, this.fileName(hash));
  }

  async store(hash: string, audio: Buffer): Promise<void> {
    if (this.unwritable !== undefined) throw new PromptCacheError(this.unwritable);
    const aside = join(this.dir, `.${hash}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      await writeFile(aside, audio, { mode: 0o644 });
      await rename(aside, this.path(hash));
    } catch (error) {
      await rm(aside, { force: true });
      throw new PromptCacheError(`cannot write ${this.path(hash)}: ${(error as Error).message}`);
    }
    this.present.add(hash);
  }

  get size(): number {
    return this.present.size;
  }
}

/** How Asterisk is told to play a cached prompt. */
export interface PromptDelivery {
  uri(hash: string): string;
}

/**
 * `sound:http://<media_url>/prompts/<sha256>.wav`: fetched and cached by res_http_media_cache.
 * The 64-character hash keeps every URL far above the 30 characters Asterisk issue #444 needs.
 */
export function httpDelivery(mediaUrl: () => string, cache: PromptCache): PromptDelivery {
  return { uri: (hash) => `sound:${mediaUrl()}/prompts/${cache.fileName(hash)}` };
}

/** `sound:<sound_path>/<sha256>`: Asterisk reads the file from the shared directory itself. */
export function directoryDelivery(soundPath: string): PromptDelivery {
  const base = soundPath.replace(/\/+$/, '');
  return { uri: (hash) => `sound:${base}/${hash}` };
}
