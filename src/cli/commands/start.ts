import { createLogger } from '../../log/logger';
import { openDatabase } from '../../store/database';
import type { CliIo } from '../io';
import { loadOrFail } from './shared';

/** Runs until SIGTERM or SIGINT. The ARI side arrives with the call flow. */
export async function startCommand(io: CliIo, file: string): Promise<void> {
  const { config } = loadOrFail(io, file);
  const logger = createLogger({ level: config.settings.logLevel, format: config.settings.logFormat });
  const db = openDatabase(config.settings.database);
  logger.info('lcr started', { config: config.source, database: config.settings.database });
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      logger.info('stopping', { signal });
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  db.close();
}
