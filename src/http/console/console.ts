/**
 * The web console under /console: sign-in, then Now, Schedules, Calls and Pages, live updates,
 * voicemail audio and the page actions. Off unless settings.console.enabled; every page but the
 * sign-in and the static assets needs a session (access.ts), every form post a CSRF token.
 */
import type * as http from 'node:http';
import { isValidTimeZone } from '../../config/schema';
import type { Logger } from '../../log/logger';
import type { Actor } from '../../paging/service';
import type { LiveCall } from '../../store/callSearch';
import type { PageRow } from '../../store/pages';
import { sendVoicemail, type ApiDependencies } from '../api';
import { sendJson } from '../reply';
import {
  checkSignIn,
  cookiesOf,
  csrfMatches,
  csrfToken,
  newSignInCookie,
  OPERATOR,
  SESSION_COOKIE,
  sessionCookieValue,
  setCookie,
  SIGN_IN_COOKIE,
  signInKey,
  SignInLimiter,
  viewerOf,
  type Viewer,
} from './access';
import { ASSETS } from './assets';
import { callsBody, callStoryBody, filterOf } from './callsView';
import { LiveUpdates } from './events';
import { bare, csrfField, e, layout, redirect, sendPage, type PageFrame, type Section } from './html';
import { healthSection, liveCallsFragment, onCallSection, openPagesFragment } from './nowView';
import { pagesBody, pageStoryBody, statusOf } from './pagesView';
import { schedulesBody } from './schedulesView';

export interface ConsoleDependencies extends ApiDependencies {
  logger: Logger;
  apiToken: () => string | undefined;
  health: () => Promise<{ ok: boolean; checks: Record<string, unknown> }>;
}

interface NowData {
  calls: LiveCall[];
  pages: PageRow[];
}

/** What a page action did, by the word its redirect carries (never text from the request). */
const FLASH: ReadonlyMap<string, string> = new Map(
  Object.entries({
    acknowledged: 'Acknowledged: escalation stopped.',
    resolved: 'Resolved.',
    escalated: 'Escalated to the next level.',
    'already-acknowledged': 'Someone acknowledged this page already.',
    'already-resolved': 'This page is resolved already.',
    'cannot-escalate': 'This page cannot be escalated now.',
  }),
);

const ACTIONS = new Set(['acknowledge', 'resolve', 'escalate']);

export class WebConsole {
  private readonly limiter = new SignInLimiter();
  private readonly live: LiveUpdates<NowData>;

  constructor(
    private readonly deps: ConsoleDependencies,
    private readonly now: () => number = Date.now,
  ) {
    this.live = new LiveUpdates(() => this.nowData(), deps.logger);
  }

  close(): void {
    this.live.close();
  }

  private async nowData(): Promise<NowData> {
    const [triggered, acknowledged] = await Promise.all([
      this.deps.pages.list(100, 'triggered'),
      this.deps.pages.list(100, 'acknowledged'),
    ]);
    const open = [...triggered, ...acknowledged];
    return {
      calls: await this.deps.calls.search.live(),
      pages: open.sort((a, b) => b.created_at - a.created_at),
    };
  }

  private get secure(): boolean {
    return this.deps.config().settings.publicUrl?.startsWith('https:') === true;
  }

  async handle(
    request: http.IncomingMessage,
    response: http.ServerResponse,
    url: URL,
    readBody: () => Promise<string>,
  ): Promise<void> {
    const config = this.deps.config();
    if (!config.settings.console.enabled)
      return sendJson(response, 404, { error: 'the console is off: set settings.console.enabled: true' });
    const method = request.method ?? 'GET';
    let parts: string[];
    try {
      parts = url.pathname.split('/').filter(Boolean).slice(1).map(decodeURIComponent);
    } catch {
      return sendJson(response, 404, { error: 'not found' });
    }
    const [section, id, action] = parts;
    if (section === 'assets' && id !== undefined && method === 'GET')
      return this.sendAsset(request, response, id);
    const cookies = cookiesOf(request.headers.cookie);
    if (section === 'sign-in') {
      if (method === 'GET')
        return this.signInPage(response, url.searchParams.get('next') ?? '', undefined, 200);
      if (method === 'POST') return this.signIn(request, response, cookies, await readBody());
    }
    const sessionCookie = cookies.get(SESSION_COOKIE);
    const viewerNow = (): Viewer | undefined =>
      viewerOf(this.deps.linkSecret, this.deps.config(), sessionCookie, this.now(), this.deps.apiToken());
    const viewer = viewerNow();
    if (viewer === undefined || sessionCookie === undefined) {
      // A live stream is not a page to go back to: its script is told, and says so.
      if (method === 'GET' && section !== 'events')
        return redirect(response, `/console/sign-in?next=${encodeURIComponent(url.pathname + url.search)}`);
      return sendJson(response, 401, { error: 'sign in first' });
    }
    const csrf = csrfToken(this.deps.linkSecret, sessionCookie);
    const frame: PageFrame = { viewerName: viewer.name, zone: viewer.zone, csrf };
    if (method === 'POST') {
      const form = new URLSearchParams(await readBody());
      if (!csrfMatches(this.deps.linkSecret, sessionCookie, form.get('csrf') ?? undefined))
        return sendJson(response, 403, {
          error: 'the form is stale or came from elsewhere: reload the page',
        });
      if (section === 'sign-out')
        return redirect(response, '/console/sign-in', {
          'Set-Cookie': setCookie(SESSION_COOKIE, '', { maxAgeSeconds: 0, secure: this.secure }),
        });
      if (
        section === 'pages' &&
        id !== undefined &&
        /^\d{1,12}$/.test(id) &&
        action !== undefined &&
        ACTIONS.has(action)
      )
        return this.pageAction(response, viewer, Number(id), action, form.get('note') ?? '');
      return sendJson(response, 404, { error: 'not found' });
    }
    if (method !== 'GET' && method !== 'HEAD')
      return sendJson(response, 405, { error: 'method not allowed' });
    const page = (s: Section, title: string, body: string, status = 200): void =>
      sendPage(response, status, layout(frame, s, title, body));
    const now = this.now();
    switch (section) {
      case undefined:
        return redirect(response, '/console/now');
      case 'now': {
        const data = await this.nowData();
        const health = await this.deps.health();
        return page(
          'now',
          'Now',
          `${onCallSection(config, now, viewer.zone)}<section aria-labelledby="live-h"><h2 id="live-h">Calls in progress</h2><p id="live-status" class="warn" role="status" hidden></p><div id="live-calls" aria-live="polite">${liveCallsFragment(config, data.calls, now, viewer.zone)}</div></section><section aria-labelledby="open-h"><h2 id="open-h">Open pages</h2><div id="open-pages">${openPagesFragment(config, data.pages, csrf, viewer.zone)}</div></section>${healthSection(health)}`,
        );
      }
      case 'events':
        if (method !== 'GET') return sendJson(response, 405, { error: 'method not allowed' });
        return this.live.attach(request, response, {
          // Checked again at every update: a session that expires or loses its credential ends.
          stillSignedIn: () => viewerNow() !== undefined && this.deps.config().settings.console.enabled,
          render: (data) => ({
            'live-calls': liveCallsFragment(this.deps.config(), data.calls, this.now(), viewer.zone),
            'open-pages': openPagesFragment(this.deps.config(), data.pages, csrf, viewer.zone),
          }),
        });
      case 'schedules':
        return page('schedules', 'Schedules', schedulesBody(config, now, viewer.zone));
      case 'calls': {
        if (id === undefined) {
          const { filter, problems, notes } = filterOf(url.searchParams, config, viewer.zone, now);
          return page(
            'calls',
            'Calls',
            callsBody(
              config,
              await this.deps.calls.search.search(filter),
              url.searchParams,
              problems,
              viewer.zone,
              notes,
            ),
          );
        }
        const call = await this.deps.calls.getCall(id);
        if (call === undefined) return page('calls', 'No such call', '<p>No call has this id.</p>', 404);
        const story = {
          call,
          legs: await this.deps.calls.legsOfCall(id),
          voicemails: await this.deps.calls.voicemailsOfCall(id),
          pages: await this.deps.pages.ofCall(id),
        };
        return page(
          'calls',
          `Call from ${call.caller_number || 'a withheld number'}`,
          callStoryBody(config, story, now, viewer.zone),
        );
      }
      case 'voicemails':
        if (id !== undefined && action === 'audio') {
          const disposition = url.searchParams.has('download') ? 'attachment' : 'inline';
          return sendVoicemail(
            this.deps,
            id,
            { response, method },
            { 'Content-Disposition': `${disposition}; filename="voicemail-${id}.wav"` },
          );
        }
        break;
      case 'pages': {
        if (id === undefined) {
          const status = statusOf(url.searchParams);
          const pages = await this.deps.pages.list(200, status);
          return page('pages', 'Pages', pagesBody(config, pages, status, csrf, viewer.zone));
        }
        const found = /^\d{1,12}$/.test(id) ? await this.deps.pages.get(Number(id)) : undefined;
        if (found === undefined) return page('pages', 'No such page', '<p>No page has this number.</p>', 404);
        const [events, assignments, notifications] = await Promise.all([
          this.deps.pages.events(found.id),
          this.deps.pages.assignments(found.id),
          this.deps.notifications.ofPageWithAttempts(found.id),
        ]);
        const story = { page: found, events, assignments, notifications };
        const flash = FLASH.get(url.searchParams.get('done') ?? '');
        return page('pages', `Page #${found.id}`, pageStoryBody(config, story, csrf, viewer.zone, flash));
      }
    }
    return page('now', 'Not found', '<p>There is no such page in the console.</p>', 404);
  }

  private sendAsset(request: http.IncomingMessage, response: http.ServerResponse, name: string): void {
    const asset = ASSETS.get(name);
    if (asset === undefined) return sendJson(response, 404, { error: 'not found' });
    const headers = { ETag: asset.etag, 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' };
    if (request.headers['if-none-match'] === asset.etag) {
      response.writeHead(304, headers);
      return void response.end();
    }
    response.writeHead(200, {
      ...headers,
      'Content-Type': asset.type,
      'Content-Length': Buffer.byteLength(asset.body),
    });
    response.end(asset.body);
  }

  private signInPage(
    response: http.ServerResponse,
    next: string,
    problem: string | undefined,
    status: number,
    extra: Record<string, string> = {},
  ): void {
    const cookie = newSignInCookie();
    const csrf = csrfToken(this.deps.linkSecret, cookie);
    const body = `${problem === undefined ? '' : `<p class="bad" role="alert">${e(problem)}</p>`}<form method="post" action="/console/sign-in">${csrfField(csrf)}<input type="hidden" name="next" value="${e(next)}"><input type="hidden" name="zone" value="">
<p><label>Responder id <input name="who" autocomplete="username" autocapitalize="none" spellcheck="false"></label></p>
<p><label>Password <input type="password" name="password" autocomplete="current-password" required></label></p>
<p><button type="submit">Sign in</button></p></form><p class="muted small">Operators: leave the responder id empty and give the API token.</p>`;
    sendPage(response, status, bare('Sign in to lcr', body), {
      'Set-Cookie': setCookie(SIGN_IN_COOKIE, cookie, { maxAgeSeconds: 3600, secure: this.secure }),
      ...extra,
    });
  }

  private signIn(
    request: http.IncomingMessage,
    response: http.ServerResponse,
    cookies: Map<string, string>,
    body: string,
  ): void {
    const form = new URLSearchParams(body);
    const next = form.get('next') ?? '';
    if (!csrfMatches(this.deps.linkSecret, cookies.get(SIGN_IN_COOKIE), form.get('csrf') ?? undefined))
      return this.signInPage(response, next, 'The sign-in form was stale: please try again.', 403);
    const who = (form.get('who') ?? '').trim();
    const now = this.now();
    const keys = [signInKey(this.deps.config(), request.socket.remoteAddress ?? '?', who)];
    const wait = this.limiter.retryAfter(keys, now);
    if (wait > 0)
      return this.signInPage(
        response,
        next,
        `Too many failed sign-ins: try again in ${Math.ceil(wait / 60)} min.`,
        429,
        { 'Retry-After': String(wait) },
      );
    const config = this.deps.config();
    const signedIn = checkSignIn(config, who, form.get('password') ?? '', this.deps.apiToken());
    if (signedIn === undefined) {
      this.limiter.failed(keys, now);
      return this.signInPage(response, next, 'Wrong responder id or password.', 401);
    }
    this.limiter.succeeded(keys);
    const zoneGiven = form.get('zone') ?? '';
    const zone =
      zoneGiven !== '' && isValidTimeZone(zoneGiven)
        ? zoneGiven
        : signedIn.id === OPERATOR
          ? config.settings.timezone
          : (config.responders.get(signedIn.id)?.timezone ?? config.settings.timezone);
    const lifetime = config.settings.console.sessionSeconds;
    const value = sessionCookieValue(
      this.deps.linkSecret,
      { id: signedIn.id, zone, expiresAt: now + lifetime * 1000 },
      signedIn.credential,
    );
    // Only a console address is a place to go back to: never another site.
    const target = /^\/console\/[^/\\]/.test(next) ? next : '/console/now';
    redirect(response, target, {
      'Set-Cookie': [
        setCookie(SESSION_COOKIE, value, { maxAgeSeconds: lifetime, secure: this.secure }),
        setCookie(SIGN_IN_COOKIE, '', { maxAgeSeconds: 0, secure: this.secure }),
      ],
    });
  }

  private async pageAction(
    response: http.ServerResponse,
    viewer: Viewer,
    pageId: number,
    action: string,
    noteText: string,
  ): Promise<void> {
    const actor: Actor =
      viewer.id === OPERATOR
        ? { id: OPERATOR, via: 'web' }
        : { id: viewer.id, via: 'web', responderId: viewer.id };
    const note = noteText.trim() === '' ? undefined : noteText.slice(0, 2000);
    let done: string;
    if (action === 'escalate') {
      const result = await this.deps.paging.escalateNow(pageId, actor);
      if (!result.ok && result.reason === 'not-found')
        return sendJson(response, 404, { error: 'no such page' });
      done = result.ok ? 'escalated' : 'cannot-escalate';
    } else {
      const change =
        action === 'resolve'
          ? await this.deps.paging.resolve(pageId, actor, note)
          : await this.deps.paging.acknowledge(pageId, actor, note);
      if (!change.ok && change.reason === 'not-found')
        return sendJson(response, 404, { error: 'no such page' });
      done = change.ok ? (action === 'resolve' ? 'resolved' : 'acknowledged') : change.reason;
    }
    redirect(response, `/console/pages/${pageId}?done=${done}`);
  }
}
