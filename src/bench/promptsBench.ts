/**
 * Issue 6: synthesizing and caching every prompt of routes.example.yaml from an empty cache, and
 * loading the same configuration again with a full cache (what a restart costs), per engine
 * available here: the bundled WebAssembly eSpeak NG always, the system espeak-ng when installed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfigFile } from '../config/load';
import type { PromptSettings } from '../config/model';
import { silentLogger } from '../log/logger';
import { systemEspeakVersion } from '../prompts/engines/system';
import { FLOW_PROMPTS } from '../callflow/flowPrompts';
import { createPromptLibrary } from '../prompts/setup';
import { ms, nowMs } from './stats';

export async function runPromptsBench(print: (line: string) => void): Promise<void> {
  const file = resolve(__dirname, '..', '..', 'routes.example.yaml');
  const base = loadConfigFile(file).config;
  const engines: Array<PromptSettings['engine']> = ['bundled'];
  if (systemEspeakVersion() !== undefined) engines.push('espeak-ng');
  else print('  (espeak-ng is not installed: only the bundled engine is measured)');
  for (const engine of engines) {
    const cacheDir = mkdtempSync(join(tmpdir(), 'lcr-bench-prompts-'));
    try {
      const config = { ...base, prompts: { ...base.prompts, engine, cacheDir } };
      const library = createPromptLibrary(config.prompts, silentLogger, () => 'http://127.0.0.1:8080');
      const coldStart = nowMs();
      const cold = await library.prepare(config, FLOW_PROMPTS);
      const coldMs = nowMs() - coldStart;
      // Timings of a run where prompts failed would flatter the engine: fail the group instead.
      if (cold.failures.length > 0)
        throw new Error(`${engine}: ${cold.failures.length} prompts failed: ${cold.failures[0]!.error}`);
      // A restart: a new library over the same cache directory.
      const warmStart = nowMs();
      const restarted = createPromptLibrary(config.prompts, silentLogger, () => 'http://127.0.0.1:8080');
      const warm = await restarted.prepare(config, FLOW_PROMPTS);
      const warmMs = nowMs() - warmStart;
      print(
        `  ${library.engineName}: ${cold.needed} audio files from an empty cache in ${ms(coldMs)} (${ms(coldMs / Math.max(1, cold.synthesized))} per prompt, ${cold.synthesized} synthesized); with a full cache ${ms(warmMs)} (${warm.synthesized} synthesized)`,
      );
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }
  }
}
