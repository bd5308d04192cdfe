/**
 * Doctor checks for prompts: every prompt of the configuration is made (and so cached for the
 * daemon: running `lcr doctor` before `lcr start` also warms the cache), and Asterisk can reach
 * them where they are delivered.
 */
import { FLOW_PROMPTS } from '../callflow/flowPrompts';
import type { Config } from '../config/model';
import { listenerAddresses } from '../config/startup';
import { silentLogger } from '../log/logger';
import { createPromptLibrary } from '../prompts/setup';
import type { CheckResult } from './checks';

const LOOPBACK = /^(127\.|localhost$|\[?::1\]?$)/;

export async function checkPrompts(config: Config): Promise<CheckResult[]> {
  const settings = config.prompts;
  let library;
  try {
    library = createPromptLibrary(settings, silentLogger, () => mediaBase(config));
  } catch (error) {
    return [{ status: 'fail', title: `prompts: ${(error as Error).message}`, fix: 'fix prompts.engine' }];
  }
  if (settings.engine === 'none')
    return [{ status: 'info', title: 'text prompts play as stock Asterisk sounds (prompts.engine: none)' }];
  const report = await library.prepare(config, FLOW_PROMPTS);
  const results: CheckResult[] = [];
  if (report.failures.length === 0)
    results.push({
      status: 'pass',
      title: `prompts synthesizable: ${report.needed} audio files ready with ${library.engineName} (${report.synthesized} made now) in ${settings.cacheDir}`,
    });
  for (const failure of report.failures.slice(0, 5))
    results.push({
      status: 'fail',
      title: `prompt ${failure.where}: ${failure.error}`,
      fix: /not writable/.test(failure.error)
        ? 'give the user running lcr write access to the cache directory, or set prompts.cache_dir'
        : settings.engine === 'command'
          ? 'run prompts.command by hand with a short text to see what it needs (model path, voice)'
          : 'check the voice for the route language (prompts.voices) and the audio file',
    });
  if (report.failures.length > 5)
    results.push({
      status: 'fail',
      title: `... and ${report.failures.length - 5} more prompts could not be made`,
    });
  results.push(deliveryCheck(config));
  return results;
}

/** Derived as the daemon derives it, so the check looks at the address Asterisk will be given. */
function mediaBase(config: Config): string {
  return listenerAddresses(config.settings).media;
}

function deliveryCheck(config: Config): CheckResult {
  const settings = config.prompts;
  if (settings.delivery === 'directory')
    return {
      status: 'info',
      title: `prompts are written to ${settings.cacheDir} and played as sound:${settings.soundPath}/<hash>`,
      fix: 'that directory must be readable by Asterisk (shared volume or the same machine)',
    };
  const asteriskHost = new URL(config.asterisk.url).hostname;
  const mediaHost = new URL(mediaBase(config)).hostname;
  if (!LOOPBACK.test(asteriskHost) && (LOOPBACK.test(mediaHost) || mediaHost === '0.0.0.0'))
    return {
      status: 'fail',
      title: `Asterisk at ${asteriskHost} cannot fetch prompts from ${mediaBase(config)}`,
      fix: 'set settings.http_listen to an address Asterisk reaches and settings.media_url to http://<that address>:<port>',
    };
  return { status: 'pass', title: `Asterisk fetches prompts from ${mediaBase(config)}/prompts/` };
}
