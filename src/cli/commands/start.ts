import { ConfigReloader } from '../../config/reload';
import { createLogger } from '../../log/logger';
import { Daemon, StartupError } from '../../daemon';
import { CliFailure, type CliIo } from '../io';
import { loadOrFail } from './shared';

/** Runs the daemon until SIGTERM or SIGINT; calls in progress are allowed to finish. */
export async function startCommand(io: CliIo, file: string): Promise<void> {
  const { config } = loadOrFail(io, file);
  const logger = createLogger({ level: config.settings.logLevel, format: config.settings.logFormat });
  let daemon: Daemon;
  try {
    daemon = await Daemon.open({ config, logger });
  } catch (error) {
    if (error instanceof StartupError || (error as Error).name === 'DatabaseError')
      throw new CliFailure((error as Error).message);
    throw error;
  }
  try {
    await daemon.start();
  } catch (error) {
    await daemon.stop();
    if (error instanceof StartupError) throw new CliFailure(error.message);
    throw error;
  }
  logger.info('lcr started', {
    config: config.source,
    database: daemon.sql.location,
    ...(daemon.cluster === undefined ? {} : { node: daemon.cluster.nodeId }),
    ari:
      config.asterisks.length === 1 ? config.asterisk.url : config.asterisks.map((a) => `${a.name} ${a.url}`),
    app: config.asterisk.app,
    http: daemon.httpUrl,
  });
  // SIGHUP or an edit of the file: validated like `lcr validate`, applied to new calls if valid.
  const reloader = new ConfigReloader(config.source, daemon, logger);
  reloader.watch();
  process.on('SIGHUP', () => void reloader.reload('SIGHUP'));
  const signal = await new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  // The drain time in force now (a reload may have changed it).
  const drainMs = daemon.currentConfig.settings.shutdown.drainSeconds * 1000;
  logger.info('stopping: no new calls; waiting for calls in progress', {
    signal,
    activeCalls: daemon.links.reduce((sum, link) => sum + link.router.activeCalls, 0),
    drainMs,
    newCalls: daemon.currentConfig.settings.shutdown.newCalls,
  });
  reloader.stop();
  await daemon.stop(drainMs);
  logger.info('stopped');
}
