/**
 * The JSON API (bearer token checked by the listener): pages with their timeline and
 * notifications, acknowledge / resolve / escalate, calls, and voicemail audio.
 */
import * as fs from 'node:fs';
import type { Config, Responder } from '../config/model';
import type { Actor, PagingService } from '../paging/service';
import type { CallStore } from '../store/calls';
import type { NotificationStore } from '../store/notifications';
import type { PageCallerRow, PageChange, PageRow, PageStore } from '../store/pages';
import { voicemailFile } from '../store/voicemailFile';
import { PAGE_STATUSES, type PageStatus } from '../domain/enums';
import { HttpError, sendJson, type Reply } from './reply';
import { handleStatusApi, type StatusApiDependencies } from './statusApi';

export interface ApiDependencies extends StatusApiDependencies {
  config: () => Config;
  pages: PageStore;
  calls: CallStore;
  notifications: NotificationStore;
  paging: PagingService;
  voicemailDir: () => string;
  linkSecret: Buffer;
  /** Records a token as used (its expiry says when the record may be pruned); false when it already was. */
  useLinkToken: (nonce: string, expiresAt: number, at: number) => Promise<boolean>;
  /** The page's callback request nobody has answered yet, if any. */
  pendingCallback: (pageId: number) => Promise<PageCallerRow | undefined>;
  /** Rings the responder's phone, then the caller: started here, carried on in the background. */
  callBack: (page: PageRow, responder: Responder) => void;
}

function limitOf(url: URL): number {
  const limit = Number(url.searchParams.get('limit') ?? '50');
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
    throw new HttpError(400, 'limit must be 1 to 1000');
  return limit;
}

function parseJsonBody(body: string): Record<string, unknown> {
  if (body.trim() === '') return {};
  try {
    const value = JSON.parse(body) as unknown;
    if (typeof value === 'object' && value !== null && !Array.isArray(value))
      return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new HttpError(400, 'the body must be a JSON object, e.g. {"as": "alice", "note": "on it"}');
}

function actorOf(config: Config, body: Record<string, unknown>): Actor {
  const as = body['as'];
  if (as === undefined) return { id: 'api', via: 'http' };
  if (typeof as !== 'string' || !config.responders.has(as))
    throw new HttpError(400, `"as" must be the id of a configured responder`);
  return { id: as, via: 'http', responderId: as };
}

export async function pageStory(
  deps: ApiDependencies,
  pageId: number,
): Promise<Record<string, unknown> | undefined> {
  const page = await deps.pages.get(pageId);
  if (page === undefined) return undefined;
  const [assignments, events, notifications, callers] = await Promise.all([
    deps.pages.assignments(pageId),
    deps.pages.events(pageId),
    deps.notifications.ofPageWithAttempts(pageId),
    deps.pages.callers(pageId),
  ]);
  return {
    page,
    callers,
    assignments,
    timeline: events.map((e) => ({
      ...e,
      detail: e.detail === null ? null : (JSON.parse(e.detail) as unknown),
    })),
    notifications,
  };
}

function changeReply(reply: Reply, change: PageChange): void {
  if (change.ok) return sendJson(reply.response, 200, { page: change.page });
  if (change.reason === 'not-found') return sendJson(reply.response, 404, { error: 'no such page' });
  sendJson(reply.response, 409, {
    error: `page is ${change.reason.replace('already-', 'already ')}`,
    page: change.page,
  });
}

export async function handleApi(deps: ApiDependencies, url: URL, body: string, reply: Reply): Promise<void> {
  const { response, method } = reply;
  const parts = url.pathname.split('/').filter(Boolean).slice(1);
  const [collection, id, action] = parts;
  if (collection === 'pages' && id === undefined && method === 'GET') {
    const status = url.searchParams.get('status');
    if (status !== null && !PAGE_STATUSES.includes(status as PageStatus))
      throw new HttpError(400, `status must be one of ${PAGE_STATUSES.join(', ')}`);
    return sendJson(response, 200, {
      pages: await deps.pages.list(limitOf(url), (status ?? undefined) as PageStatus | undefined),
    });
  }
  if (collection === 'pages' && id !== undefined && /^\d{1,12}$/.test(id)) {
    const pageId = Number(id);
    if (action === undefined && method === 'GET') {
      const story = await pageStory(deps, pageId);
      return story === undefined
        ? sendJson(response, 404, { error: 'no such page' })
        : sendJson(response, 200, story);
    }
    if (
      method === 'POST' &&
      (action === 'acknowledge' || action === 'ack' || action === 'resolve' || action === 'escalate')
    ) {
      const fields = parseJsonBody(body);
      const actor = actorOf(deps.config(), fields);
      const note = typeof fields['note'] === 'string' ? fields['note'].slice(0, 2000) : undefined;
      if (action === 'resolve') return changeReply(reply, await deps.paging.resolve(pageId, actor, note));
      if (action === 'escalate') {
        const result = await deps.paging.escalateNow(pageId, actor);
        if (result.ok) return sendJson(response, 200, { page: result.page });
        return sendJson(response, result.reason === 'not-found' ? 404 : 409, {
          error: `cannot escalate: ${result.reason}`,
          page: result.page,
        });
      }
      return changeReply(reply, await deps.paging.acknowledge(pageId, actor, note));
    }
  }
  if (collection === 'status' && action === undefined)
    return handleStatusApi(
      deps,
      id === undefined ? undefined : decodeURIComponent(id),
      parseJsonBody(body),
      reply,
    );
  if (collection === 'calls' && id === undefined && method === 'GET')
    return sendJson(response, 200, { calls: await deps.calls.listCalls(limitOf(url)) });
  if (collection === 'calls' && id !== undefined && action === undefined && method === 'GET') {
    const call = await deps.calls.getCall(id);
    if (call === undefined) return sendJson(response, 404, { error: 'no such call' });
    return sendJson(response, 200, {
      call,
      legs: await deps.calls.legsOfCall(id),
      voicemails: await deps.calls.voicemailsOfCall(id),
    });
  }
  if (collection === 'voicemails' && id !== undefined && action === 'audio' && method === 'GET')
    return sendVoicemail(deps, id, reply);
  sendJson(response, 404, { error: 'not found' });
}

export async function sendVoicemail(
  deps: Pick<ApiDependencies, 'calls' | 'voicemailDir'>,
  id: string,
  reply: Reply,
  extraHeaders: Record<string, string> = {},
): Promise<void> {
  const file = await voicemailFile(deps.calls, deps.voicemailDir(), id);
  if (file === undefined) return sendJson(reply.response, 404, { error: 'no such voicemail' });
  const data = fs.readFileSync(file);
  reply.response.writeHead(200, {
    'Content-Type': 'audio/wav',
    'Content-Length': data.length,
    'Content-Disposition': `attachment; filename="voicemail-${id}.wav"`,
    'Cache-Control': 'private, no-store',
    ...extraHeaders,
  });
  reply.response.end(reply.method === 'HEAD' ? undefined : data);
}
