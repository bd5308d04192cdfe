/**
 * Acknowledge links from emails and chat messages. GET shows what the page is about and a button;
 * only the POST acknowledges, because mail scanners and link previews fetch every link they see
 * and must not acknowledge pages (or use up the single-use token) on their own. When a caller
 * asked to be called back, the responder the link was mailed to also gets "Call the caller back":
 * lcr rings their phone, and once they press 1 there, the caller.
 */
import type { Responder } from '../config/model';
import type { Actor } from '../paging/service';
import { verifyAckToken, type AckClaims } from '../paging/links';
import type { PageRow } from '../store/pages';
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

interface LinkVisit {
  deps: ApiDependencies;
  claims: AckClaims;
  page: PageRow;
  /** The responder the link was made for; undefined for links posted to a shared channel. */
  who: Responder | undefined;
  title: string;
  about: string;
  reply: Reply;
}

export async function handleAckLink(
  deps: ApiDependencies,
  url: URL,
  body: string,
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
  const visit: LinkVisit = { deps, claims, page, who, title, about, reply };
  if (reply.method === 'GET' || reply.method === 'HEAD') {
    const form =
      page.status === 'triggered'
        ? `<form method="post"><button type="submit">Acknowledge${who ? ` as ${escapeHtml(who.name)}` : ''}</button></form>`
        : '';
    return sendHtml(reply.response, 200, title, about + form + (await callbackForm(visit)));
  }
  if (reply.method !== 'POST') return sendHtml(reply.response, 405, title, '<p>Use the button.</p>');
  if (new URLSearchParams(body).get('action') === 'callback') return callBack(visit, now);
  if (!(await deps.useLinkToken(claims.nonce, claims.expiresAt, now)))
    return sendHtml(reply.response, 410, title, `${about}<p>This link was already used.</p>`);
  const change = await deps.paging.acknowledge(page.id, actorOf(claims));
  if (change.ok)
    return sendHtml(
      reply.response,
      200,
      title,
      `<p>${escapeHtml(page.summary)}</p><p><strong>Acknowledged.</strong> Thank you.</p>${await callbackForm({ ...visit, page: change.page })}`,
    );
  sendHtml(
    reply.response,
    409,
    title,
    `${about}<p>Nothing changed: the page is ${escapeHtml(change.reason.replace('already-', 'already '))}.</p>`,
  );
}

function actorOf(claims: AckClaims): Actor {
  return claims.responderId === undefined
    ? { id: 'link', via: 'link' }
    : { id: claims.responderId, via: 'link', responderId: claims.responderId };
}

/** The "Call the caller back" button, for a responder with a phone while a caller waits for one. */
async function callbackForm(visit: LinkVisit): Promise<string> {
  const { deps, page, who } = visit;
  if (who === undefined || who.phones.length === 0 || page.status === 'resolved') return '';
  const request = await deps.pendingCallback(page.id);
  if (request === undefined) return '';
  const label = page.status === 'triggered' ? 'Acknowledge and call the caller back' : 'Call the caller back';
  return `<p>The caller asked to be called back at ${escapeHtml(request.callback_number!)}.</p><form method="post"><input type="hidden" name="action" value="callback"><button type="submit">${label}</button></form><p>lcr rings your phone (${escapeHtml(who.phones[0]!.configured)}); press 1 there and it calls the caller and connects you.</p>`;
}

async function callBack(visit: LinkVisit, now: number): Promise<void> {
  const { deps, claims, who, title, about, reply } = visit;
  const refuse = (status: number, why: string): void =>
    sendHtml(reply.response, status, title, `${about}<p>${escapeHtml(why)}</p>`);
  if (who === undefined)
    return refuse(403, 'This link was posted to a channel; only a link mailed to you can call back.');
  if (who.phones.length === 0) return refuse(409, 'You have no phone configured for lcr to ring.');
  let page = visit.page;
  if (page.status === 'resolved')
    return refuse(409, 'The page is resolved: nobody is waiting for a callback.');
  const request = await deps.pendingCallback(page.id);
  if (request === undefined) return refuse(409, 'Nobody on this page is waiting for a callback.');
  // Its own single use: the same link acknowledges once and calls back once.
  if (!(await deps.useLinkToken(`${claims.nonce}:callback`, claims.expiresAt, now)))
    return refuse(410, 'This link was already used to call the caller back.');
  if (page.status === 'triggered') {
    const change = await deps.paging.acknowledge(page.id, actorOf(claims));
    if (change.ok) page = change.page;
    else if (change.reason !== 'already-acknowledged')
      return refuse(409, `Nothing changed: the page is ${change.reason.replace('already-', 'already ')}.`);
  }
  deps.callBack(page, who);
  sendHtml(
    reply.response,
    202,
    title,
    `<p>${escapeHtml(page.summary)}</p><p><strong>Calling your phone (${escapeHtml(who.phones[0]!.configured)}) now.</strong> Answer and press 1, and lcr calls ${escapeHtml(request.callback_number!)} and connects you.</p>`,
  );
}
