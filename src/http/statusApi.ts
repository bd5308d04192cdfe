/**
 * The status messages over the JSON API: `GET /api/status`, `PUT /api/status/<route or team:id>`
 * with {"text": ..., "for": "2h"} (or "until"), `DELETE /api/status/<target>`. The same checks as
 * `lcr status` (paging/statusMessages.ts); a refusal is a 400 with the reason.
 */
import type { Config } from '../config/model';
import { clearStatus, setStatus } from '../paging/statusMessages';
import type { SqlSession } from '../store/sql/driver';
import type { StatusStore } from '../store/statusMessages';
import { HttpError, sendJson, type Reply } from './reply';

export interface StatusApiDependencies {
  config: () => Config;
  sql: SqlSession;
  statuses: StatusStore;
  /** A status message changed: the daemon's callers hear it at once, not at the next look. */
  onStatusChange?: () => void;
}

const text = (fields: Record<string, unknown>, name: string): string | undefined => {
  const value = fields[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new HttpError(400, `"${name}" must be a string`);
  return value;
};

export async function handleStatusApi(
  deps: StatusApiDependencies,
  target: string | undefined,
  fields: Record<string, unknown>,
  reply: Reply,
): Promise<void> {
  const { response, method } = reply;
  if (target === undefined && method === 'GET')
    return sendJson(response, 200, { statuses: await deps.statuses.live(Date.now()) });
  if (target === undefined)
    return sendJson(response, 405, { error: 'GET /api/status, or PUT/DELETE /api/status/<target>' });
  const actor = { id: text(fields, 'as') ?? 'api', via: 'http' as const };
  if (method === 'PUT' || method === 'POST') {
    const result = await setStatus(
      deps.sql,
      deps.statuses,
      deps.config(),
      {
        target,
        ...(text(fields, 'text') === undefined ? {} : { text: text(fields, 'text')! }),
        ...(text(fields, 'for') === undefined ? {} : { for: text(fields, 'for')! }),
        ...(text(fields, 'until') === undefined ? {} : { until: text(fields, 'until')! }),
      },
      actor,
    );
    if (!result.ok) return sendJson(response, 400, { error: result.error.replace(/--(for|until)/g, '"$1"') });
    deps.onStatusChange?.();
    return sendJson(response, 200, { status: result.value });
  }
  if (method === 'DELETE') {
    const result = await clearStatus(deps.statuses, deps.config(), target, actor);
    if (!result.ok) return sendJson(response, 404, { error: result.error });
    deps.onStatusChange?.();
    return sendJson(response, 200, { cleared: result.value });
  }
  sendJson(response, 405, { error: 'PUT or DELETE' });
}
