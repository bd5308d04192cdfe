/** Read-only listings of what the daemon stored: `lcr calls` and `lcr pages`. */
import { openDatabase } from '../../store/database';
import { CallStore } from '../../store/calls';
import { PageStore } from '../../store/pages';
import { PAGE_STATUSES, type PageStatus } from '../../domain/enums';
import { NotificationStore } from '../../store/notifications';
import type { SqlDatabase } from '../../store/sql/driver';
import { SqliteDatabase } from '../../store/sql/sqlite';
import { CliFailure, EXIT_USAGE, type CliIo } from '../io';
import { formatInstant, formatSeconds, renderTable } from '../table';
import { loadOrFail, withConfiguredDatabase } from './shared';

export interface DatabaseOptions {
  config?: string;
  db?: string;
}

export interface ListOptions extends DatabaseOptions {
  json?: boolean;
  limit?: string;
}

/** Runs `use` on the daemon's database, opened read-only where it is a file (the daemon may go on writing). */
function withSql<T>(
  io: CliIo,
  configFile: string,
  options: DatabaseOptions,
  use: (sql: SqlDatabase) => Promise<T>,
): Promise<T> {
  const config = options.db === undefined ? loadOrFail(io, configFile).config : undefined;
  if (config === undefined) return withFile(options.db!, use);
  return withConfiguredDatabase(config, { readonly: true }, use);
}

async function withFile<T>(file: string, use: (sql: SqlDatabase) => Promise<T>): Promise<T> {
  const sql = new SqliteDatabase(openDatabase(file, { readonly: true }), `sqlite:${file}`);
  try {
    return await use(sql);
  } finally {
    await sql.close();
  }
}

function parseLimit(text: string | undefined): number {
  const limit = Number(text ?? '50');
  if (!Number.isInteger(limit) || limit <= 0)
    throw new CliFailure(`--limit must be a positive whole number`, EXIT_USAGE);
  return limit;
}

export async function listCallsCommand(io: CliIo, configFile: string, options: ListOptions): Promise<void> {
  const calls = await withSql(io, configFile, options, (sql) =>
    new CallStore(sql).listCalls(parseLimit(options.limit)),
  );
  if (options.json) return io.out(JSON.stringify(calls, null, 2));
  io.out(
    renderTable(
      ['ID', 'STARTED', 'CALLER', 'DIALED', 'ROUTE', 'OPTION', 'OUTCOME', 'DURATION'],
      calls.map((c) => [
        c.id,
        formatInstant(c.started_at),
        c.caller_number || '-',
        c.dialed_number || '-',
        c.route_id ?? '-',
        c.option_key ?? '-',
        c.outcome ?? (c.ended_at === null ? 'in progress' : '-'),
        formatSeconds(c.started_at, c.ended_at),
      ]),
    ),
  );
}

export async function showCallCommand(
  io: CliIo,
  configFile: string,
  id: string,
  options: ListOptions,
): Promise<void> {
  const story = await withSql(io, configFile, options, async (sql) => {
    const store = new CallStore(sql);
    const call = await store.getCall(id);
    if (call === undefined) throw new CliFailure(`no call with id "${id}"`);
    return { call, legs: await store.legsOfCall(id), voicemails: await store.voicemailsOfCall(id) };
  });
  if (options.json) return io.out(JSON.stringify(story, null, 2));
  const { call, legs, voicemails } = story;
  const lines = [
    `Call ${call.id}`,
    `  caller     ${call.caller_number || '-'} ${call.caller_name}`.trimEnd(),
    `  dialed     ${call.dialed_number || '-'}`,
    `  route      ${call.route_id ?? '-'} (${call.routing ?? '-'}), option ${call.option_key ?? '-'}, team ${call.team_id ?? '-'}`,
    `  outcome    ${call.outcome ?? 'in progress'}${call.outcome_detail ? ` (${call.outcome_detail})` : ''}`,
    `  started    ${formatInstant(call.started_at)}, answered ${formatInstant(call.answered_at)}, ended ${formatInstant(call.ended_at)} (${formatSeconds(call.started_at, call.ended_at)})`,
  ];
  if (call.connected_responder_id)
    lines.push(`  connected  ${call.connected_responder_id} at ${formatInstant(call.connected_at)}`);
  if (legs.length > 0) {
    lines.push('', 'Responder legs:');
    lines.push(
      renderTable(
        ['LEVEL', 'RESPONDER', 'PHONE', 'RESULT', 'CAUSE', 'STARTED', 'RANG/TALKED'],
        legs.map((l) => [
          String(l.level + 1) + (l.round > 0 ? ` (round ${l.round + 1})` : ''),
          l.responder_id,
          l.phone ?? '-',
          l.result + (l.reason ? ` (${l.reason})` : ''),
          l.hangup_cause === null ? '-' : String(l.hangup_cause),
          formatInstant(l.started_at),
          formatSeconds(l.started_at, l.ended_at),
        ]),
      )
        .split('\n')
        .map((line) => '  ' + line)
        .join('\n'),
    );
  }
  for (const vm of voicemails) {
    lines.push(
      '',
      `Voicemail ${vm.id}: ${vm.duration_seconds ?? '?'}s${vm.too_short ? ' (too short)' : ''}, ended by ${vm.ended_by ?? '-'}, file ${vm.file_path ?? `not stored (${vm.fetch_error ?? 'unknown'})`}`,
    );
  }
  io.out(lines.join('\n'));
}

export async function listPagesCommand(
  io: CliIo,
  configFile: string,
  options: ListOptions & { status?: string },
): Promise<void> {
  if (options.status !== undefined && !PAGE_STATUSES.includes(options.status as PageStatus)) {
    throw new CliFailure(`--status must be one of ${PAGE_STATUSES.join(', ')}`, EXIT_USAGE);
  }
  const pages = await withSql(io, configFile, options, (sql) =>
    new PageStore(sql).list(parseLimit(options.limit), options.status as PageStatus | undefined),
  );
  if (options.json) return io.out(JSON.stringify(pages, null, 2));
  io.out(
    renderTable(
      ['ID', 'CREATED', 'STATUS', 'TEAM', 'LEVEL', 'CALLER', 'CALLERS', 'SUMMARY'],
      pages.map((p) => [
        String(p.id),
        formatInstant(p.created_at),
        p.status,
        p.team_id,
        String(p.escalation_level + 1),
        p.caller_number ?? '-',
        String(p.caller_count),
        p.summary,
      ]),
    ),
  );
}

export async function showPageCommand(
  io: CliIo,
  configFile: string,
  id: string,
  options: ListOptions,
): Promise<void> {
  const pageId = Number(id);
  if (!Number.isInteger(pageId)) throw new CliFailure(`page ids are numbers, not "${id}"`, EXIT_USAGE);
  const story = await withSql(io, configFile, options, async (sql) => {
    const store = new PageStore(sql);
    const page = await store.get(pageId);
    if (page === undefined) throw new CliFailure(`no page with id ${pageId}`);
    const notifications = await new NotificationStore(sql).ofPageWithAttempts(pageId);
    return {
      page,
      assignments: await store.assignments(pageId),
      callers: await store.callers(pageId),
      events: await store.events(pageId),
      notifications,
    };
  });
  if (options.json) return io.out(JSON.stringify(story, null, 2));
  const { page, assignments, callers, events, notifications } = story;
  const lines = [
    `Page ${page.id}: ${page.summary}`,
    `  status     ${page.status}`,
    `  team       ${page.team_id}, escalation level ${page.escalation_level + 1}${page.escalation_round > 0 ? `, round ${page.escalation_round + 1}` : ''}`,
    `  caller     ${page.caller_number ?? '-'}, call ${page.call_id ?? '-'}, voicemail ${page.voicemail_id ?? '-'}`,
    `  assigned   ${assignments.map((a) => `${a.responder_id} (level ${a.level + 1})`).join(', ') || 'nobody'}`,
    `  callers    ${callers.length}`,
    ...callers.map(
      (c) =>
        `    ${formatInstant(c.at)}  ${c.caller_number ?? 'unknown'}${c.duration_seconds === null ? '' : `, a ${c.duration_seconds}s message`}${c.callback_number === null ? '' : `, call back at ${c.callback_number}`}  (call ${c.call_id ?? '-'})`,
    ),
    '',
    'Timeline:',
    ...events.map(
      (e) =>
        `  ${formatInstant(e.at)}  ${e.type.padEnd(13)} by ${e.actor} via ${e.via}${e.detail ? `  ${e.detail}` : ''}`,
    ),
  ];
  if (notifications.length > 0) {
    lines.push('', 'Notifications:');
    for (const n of notifications) {
      lines.push(
        `  #${n.id} ${n.channel} to ${n.responder_id ?? n.webhook_id}: ${n.status}${n.attempts > 0 ? `, ${n.attempts} attempt(s)` : ''}${n.status === 'pending' ? `, due ${formatInstant(n.due_at)}` : ''}`,
      );
      for (const a of n.attempts_made)
        lines.push(`      ${formatInstant(a.started_at)}  ${a.ok ? 'ok  ' : 'FAIL'}  ${a.detail}`);
    }
  }
  io.out(lines.join('\n'));
}
