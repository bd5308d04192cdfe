/**
 * Acknowledge links from emails and chat messages. GET shows what the page is about and a button;
 * only the POST acknowledges, because mail scanners and link previews fetch every link they see
 * and must not acknowledge pages (or use up the single-use token) on their own.
 */
import type { Actor } from '../paging/service';
import { verifyAckToken } from '../paging/links';
import { escapeHtml } from '../util/html';
import type { ApiDependencies } from './api';
import { sendHtml, type Reply } from './reply';

const REFUSALS: Record<string, [number, string]> = {
  malformed: [404, 'This link is not valid.'],
  'bad-signature': [404, 'This link is not valid.'],
  expired: [410, 'This link has expired. Acknowledge the page by phone or with `lcr pages ack`.'],
};

/** The token of `/ack/<token>`; undefined when its percent-encoding is broken (`%E0%A4%A`). */
function tokenOf(url: URL): string | undefined {
  try {
    return decodeURIComponent(url.pathname.slice('/ack/'.length));
  } catch {
    return undefined;
  }
}

export async function handleAckLink(
  deps: ApiDependencies,
  url: URL,
  _body: string,
  reply: Reply,
): Promise<void> {
  const token = tokenOf(url);
  const now = Date.now();
  // A broken encoding is one more invalid link, answered like the others and not logged.
  const check =
    token === undefined
      ? { ok: false as const, reason: 'malformed' as const }
      : verifyAckToken(deps.linkSecret, token, now);
  if (!check.ok) {
    const [status, message] = REFUSALS[check.reason]!;
    return sendHtml(reply.response, status, 'Cannot acknowledge', `<p>${escapeHtml(message)}</p>`);
  }
  const { claims } = check;
  const page = await deps.pages.get(claims.pageId);
  if (page === undefined)
    return sendHtml(reply.response, 404, 'Cannot acknowledge', '<p>This page no longer exists.</p>');
  const config = deps.config();
  const who = claims.responderId === undefined ? undefined : config.responders.get(claims.responderId);
  const title = `Page #${page.id}`;
  const about = `<p>${escapeHtml(page.summary)}</p><p>Status: <strong>${escapeHtml(page.status)}</strong>${
    page.acknowledged_by
      ? ` (acknowledged by ${escapeHtml(config.responders.get(page.acknowledged_by)?.name ?? page.acknowledged_by)})`
      : ''
  }</p>`;
  if (reply.method === 'GET' || reply.method === 'HEAD') {
    const form =
      page.status === 'triggered'
        ? `<form method="post"><button type="submit">Acknowledge${who ? ` as ${escapeHtml(who.name)}` : ''}</button></form>`
        : '';
    return sendHtml(reply.response, 200, title, about + form);
  }
  if (reply.method !== 'POST') return sendHtml(reply.response, 405, title, '<p>Use the button.</p>');
  if (!(await deps.useLinkToken(claims.nonce, claims.expiresAt, now)))
    return sendHtml(reply.response, 410, title, `${about}<p>This link was already used.</p>`);
  const actor: Actor =
    claims.responderId === undefined
      ? { id: 'link', via: 'link' }
      : { id: claims.responderId, via: 'link', responderId: claims.responderId };
  const change = await deps.paging.acknowledge(page.id, actor);
  if (change.ok)
    return sendHtml(
      reply.response,
      200,
      title,
      `<p>${escapeHtml(page.summary)}</p><p><strong>Acknowledged.</strong> Thank you.</p>`,
    );
  sendHtml(
    reply.response,
    409,
    title,
    `${about}<p>Nothing changed: the page is ${escapeHtml(change.reason.replace('already-', 'already '))}.</p>`,
  );
}
