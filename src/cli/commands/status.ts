/**
 * `lcr status set|clear|list`: the status messages callers hear during an outage ("Database
 * outage, next update at 14:30"), on a route's greeting or once a team is chosen. Written to the
 * database the daemons share; each daemon plays it within a few seconds.
 */
import * as os from 'node:os';
import { clearStatus, setStatus } from '../../paging/statusMessages';
import { StatusStore } from '../../store/statusMessages';
import { CliFailure, EXIT_USAGE, type CliIo } from '../io';
import { formatInstant, renderTable } from '../table';
import { loadOrFail, withConfiguredDatabase } from './shared';

export interface StatusOptions {
  config?: string;
  db?: string;
  for?: string;
  until?: string;
  as?: string;
  json?: boolean;
}

const who = (options: StatusOptions): string => options.as ?? `cli:${os.userInfo().username}`;

export async function setStatusCommand(
  io: CliIo,
  configFile: string,
  target: string,
  text: string,
  options: StatusOptions,
): Promise<void> {
  const { config } = loadOrFail(io, configFile);
  await withConfiguredDatabase(config, options.db === undefined ? {} : { db: options.db }, async (sql) => {
    const result = await setStatus(
      sql,
      new StatusStore(sql),
      config,
      {
        target,
        text,
        ...(options.for === undefined ? {} : { for: options.for }),
        ...(options.until === undefined ? {} : { until: options.until }),
      },
      { id: who(options), via: 'cli' },
    );
    if (!result.ok) throw new CliFailure(result.error, EXIT_USAGE);
    io.out(
      `status message ${result.value.id} set on ${target} until ${formatInstant(result.value.expires_at)}`,
    );
    if (config.prompts.engine === 'none')
      io.err('note: prompts.engine is none, so callers cannot hear the text; set a speech engine');
  });
}

export async function clearStatusCommand(
  io: CliIo,
  configFile: string,
  target: string,
  options: StatusOptions,
): Promise<void> {
  const { config } = loadOrFail(io, configFile);
  await withConfiguredDatabase(config, options.db === undefined ? {} : { db: options.db }, async (sql) => {
    const result = await clearStatus(new StatusStore(sql), config, target, { id: who(options), via: 'cli' });
    if (!result.ok) throw new CliFailure(result.error, EXIT_USAGE);
    io.out(
      result.value === 0
        ? `no status message was playing on ${target}`
        : `status message on ${target} cleared`,
    );
  });
}

export async function listStatusCommand(
  io: CliIo,
  configFile: string,
  options: StatusOptions,
): Promise<void> {
  const { config } = loadOrFail(io, configFile);
  await withConfiguredDatabase(
    config,
    { ...(options.db === undefined ? {} : { db: options.db }), readonly: true },
    async (sql) => {
      const now = Date.now();
      const rows = await new StatusStore(sql).recent(50);
      if (options.json === true) return io.out(JSON.stringify({ statuses: rows }, null, 2));
      if (rows.length === 0) return io.out('no status messages');
      const state = (r: (typeof rows)[number]): string =>
        r.cleared_at !== null ? `cleared by ${r.cleared_by}` : r.expires_at <= now ? 'expired' : 'playing';
      io.out(
        renderTable(
          ['ID', 'ON', 'STATE', 'UNTIL', 'SET BY', 'TEXT'],
          rows.map((r) => [
            String(r.id),
            r.route_id ?? `team:${r.team_id}`,
            state(r),
            formatInstant(r.expires_at),
            r.set_by,
            r.text.length > 60 ? `${r.text.slice(0, 57)}...` : r.text,
          ]),
        ),
      );
    },
  );
}
