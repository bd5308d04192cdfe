/**
 * Builds the prompt library a configuration asks for: which engine speaks (`auto` takes the
 * system espeak-ng when installed, else the bundled one), where audio is kept, how Asterisk gets it.
 */
import type { PromptSettings } from '../config/model';
import type { Logger } from '../log/logger';
import { directoryDelivery, httpDelivery, PromptCache } from './cache';
import { BundledEspeakEngine } from './engines/bundled';
import { CommandEngine, SystemEspeakEngine, systemEspeakVersion } from './engines/system';
import type { SpeechEngine } from './engines/types';
import { PromptLibrary } from './library';

export class PromptSetupError extends Error {}

export function createSpeechEngine(settings: PromptSettings): SpeechEngine | undefined {
  switch (settings.engine) {
    case 'none':
      return undefined;
    case 'bundled':
      return new BundledEspeakEngine();
    case 'command':
      return new CommandEngine(settings.command ?? []);
    case 'espeak-ng': {
      const version = systemEspeakVersion();
      if (version === undefined)
        throw new PromptSetupError(
          'prompts.engine is espeak-ng but the espeak-ng command is not installed (apt-get install espeak-ng), or use engine: bundled',
        );
      return new SystemEspeakEngine(version);
    }
    case 'auto': {
      const version = systemEspeakVersion();
      return version === undefined ? new BundledEspeakEngine() : new SystemEspeakEngine(version);
    }
  }
}

/** `mediaUrl` is read at each render: the listener's address is only known once it listens. */
export function createPromptLibrary(
  settings: PromptSettings,
  logger: Logger,
  mediaUrl: () => string,
): PromptLibrary {
  const cache = new PromptCache(settings.cacheDir, settings.format);
  if (cache.unwritable !== undefined)
    logger.error('new prompts cannot be stored; prompts not made yet play as stock sounds', {
      problem: cache.unwritable,
    });
  const delivery =
    settings.delivery === 'directory'
      ? directoryDelivery(settings.soundPath ?? settings.cacheDir)
      : httpDelivery(mediaUrl, cache);
  return new PromptLibrary({ settings, engine: createSpeechEngine(settings), cache, delivery, logger });
}
