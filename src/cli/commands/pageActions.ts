/**
 * `lcr pages ack|resolve <id> [--as responder]`: changes a page from the command line, through the
 * same service as the phone and the HTTP API (timeline event, cancelled notifications, webhooks).
 * Works while the daemon runs: the daemon notices the change at its next look at the database.
 */
import * as os from 'node:os';
import { silentLogger } from '../../log/logger';
import { PagingService, type Actor } from '../../paging/service';
import { NotificationStore } from '../../store/notifications';
import { PageStore } from '../../store/pages';
import { CliFailure, EXIT_USAGE, type CliIo } from '../io';
import { formatInstant } from '../table';
import { loadOrFail, withConfiguredDatabase } from './shared';

export interface PageActionOptions {
  config?: string;
  db?: string;
  as?: string;
  note?: string;
}

export async function changePageCommand(
  io: CliIo,
  configFile: string,
  action: 'acknowledge' | 'resolve',
  id: string,
  options: PageActionOptions,
): Promise<void> {
  const pageId = Number(id);
  if (!Number.isInteger(pageId) || pageId <= 0)
    throw new CliFailure(`page ids are numbers, not "${id}"`, EXIT_USAGE);
  const { config } = loadOrFail(io, configFile);
  if (options.as !== undefined && !config.responders.has(options.as))
    throw new CliFailure(`--as: no responder "${options.as}" in ${config.source}`, EXIT_USAGE);
  const actor: Actor =
    options.as === undefined
      ? { id: `cli:${os.userInfo().username}`, via: 'cli' }
      : { id: options.as, via: 'cli', responderId: options.as };
  await withConfiguredDatabase(config, options.db === undefined ? {} : { db: options.db }, async (sql) => {
    const pages = new PageStore(sql);
    const paging = new PagingService({
      sql,
      config: () => config,
      pages,
      notifications: new NotificationStore(sql),
      logger: silentLogger,
    });
    const change =
      action === 'acknowledge'
        ? await paging.acknowledge(pageId, actor, options.note)
        : await paging.resolve(pageId, actor, options.note);
    if (change.ok) {
      const by =
        change.page.status === 'acknowledged' ? change.page.acknowledged_by : change.page.resolved_by;
      io.out(`page ${pageId} ${change.page.status} by ${by}`);
      const event = (await pages.events(pageId)).at(-1);
      const detail = event?.detail ? (JSON.parse(event.detail) as { on_call?: boolean }) : {};
      if (detail.on_call === false)
        io.err(`note: ${options.as} is not on call for ${change.page.team_id}; recorded as such`);
      return;
    }
    if (change.reason === 'not-found') throw new CliFailure(`no page with id ${pageId}`);
    const page = change.page!;
    const when = page.status === 'resolved' ? page.resolved_at : page.acknowledged_at;
    const who = page.status === 'resolved' ? page.resolved_by : page.acknowledged_by;
    throw new CliFailure(
      `page ${pageId} is already ${page.status} (by ${who} at ${formatInstant(when)}); nothing changed`,
    );
  });
}
