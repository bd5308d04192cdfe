import { loadConfigFile, type LoadedConfig } from '../../config/load';
import { ConfigError, formatIssues } from '../../config/issues';
import { CliFailure, type CliIo } from '../io';

export const DEFAULT_CONFIG = 'routes.yaml';

export function configPath(option: string | undefined): string {
  return option ?? process.env['LCR_CONFIG'] ?? DEFAULT_CONFIG;
}

/** Loads the configuration or prints its located errors and fails with exit code 1. */
export function loadOrFail(io: CliIo, file: string): LoadedConfig {
  try {
    const loaded = loadConfigFile(file);
    for (const line of formatIssues(loaded.warnings)) io.err(line);
    return loaded;
  } catch (error) {
    if (error instanceof ConfigError) {
      for (const line of formatIssues(error.issues, error.total)) io.err(line);
      throw new CliFailure(`${file}: ${error.total} error(s)`);
    }
    throw error;
  }
}
