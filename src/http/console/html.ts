/**
 * The console's HTML: one layout (navigation, sign-out, the stylesheet and the small live-update
 * script), escaping, and times in the viewer's zone. Pages are whole documents that work without
 * JavaScript; the script only swaps in live fragments (events.ts).
 */
import type * as http from 'node:http';
import { DateTime } from 'luxon';
import { escapeHtml } from '../../util/html';

export const e = escapeHtml;

export type Section = 'now' | 'schedules' | 'calls' | 'pages';

const SECTIONS: ReadonlyArray<readonly [Section, string]> = [
  ['now', 'Now'],
  ['schedules', 'Schedules'],
  ['calls', 'Calls'],
  ['pages', 'Pages'],
];

/** What a page's layout needs about the request: who is signed in, and the form token. */
export interface PageFrame {
  viewerName: string;
  zone: string;
  csrf: string;
}

/**
 * Scripts and styles come from the console's own files only; media (voicemails) from the
 * console; nothing may frame it. Inline SVG is markup, not an image, so it needs no exception.
 */
const SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

export function sendPage(
  response: http.ServerResponse,
  status: number,
  document: string,
  extraHeaders: Record<string, string | string[]> = {},
): void {
  response.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': Buffer.byteLength(document),
    ...SECURITY_HEADERS,
    ...extraHeaders,
  });
  response.end(document);
}

export function redirect(
  response: http.ServerResponse,
  location: string,
  extraHeaders: Record<string, string | string[]> = {},
): void {
  response.writeHead(303, { Location: location, 'Cache-Control': 'no-store', ...extraHeaders });
  response.end();
}

function head(title: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${e(title)} · lcr</title><link rel="stylesheet" href="/console/assets/console.css"><script src="/console/assets/console.js" defer></script></head>`;
}

export function layout(frame: PageFrame, section: Section, title: string, body: string): string {
  const links = SECTIONS.map(
    ([id, label]) =>
      `<a href="/console/${id}"${id === section ? ' aria-current="page"' : ''}>${e(label)}</a>`,
  ).join('');
  return `${head(title)}<body data-section="${section}"><a class="skip" href="#main">Skip to content</a><header><nav aria-label="Console">${links}</nav><form method="post" action="/console/sign-out" class="who">${csrfField(frame.csrf)}<span>${e(frame.viewerName)}</span><button type="submit">Sign out</button></form></header><main id="main"><h1>${e(title)}</h1>${body}</main><footer>Times in ${e(frame.zone)}</footer></body></html>`;
}

/** A document outside the signed-in layout (the sign-in page). */
export function bare(title: string, body: string): string {
  return `${head(title)}<body><main id="main" class="narrow"><h1>${e(title)}</h1>${body}</main></body></html>`;
}

export function csrfField(token: string): string {
  return `<input type="hidden" name="csrf" value="${e(token)}">`;
}

export function formatTime(at: number, zone: string): string {
  return DateTime.fromMillis(at, { zone }).toFormat('ccc d LLL HH:mm');
}

export function formatTimeWithSeconds(at: number, zone: string): string {
  return DateTime.fromMillis(at, { zone }).toFormat('ccc d LLL HH:mm:ss');
}

export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}

/** A time as a <time> element: readable text, the exact instant for machines and the script. */
export function timeElement(at: number, zone: string): string {
  return `<time datetime="${new Date(at).toISOString()}">${e(formatTime(at, zone))}</time>`;
}

export function table(
  caption: string,
  headers: readonly string[],
  rows: readonly string[][],
  empty: string,
): string {
  if (rows.length === 0) return `<p class="empty">${e(empty)}</p>`;
  const head = headers.map((h) => `<th scope="col">${e(h)}</th>`).join('');
  const body = rows.map((cells) => `<tr>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('');
  return `<div class="scroll"><table><caption>${e(caption)}</caption><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>`;
}
