/**
 * Voicemail audio for Asterisk (a page call plays the message with `sound:http://...`).
 * Asterisk cannot send a bearer token, so the URL itself is signed and expires.
 * res_http_media_cache keeps a file for max-age; the content of a voicemail never changes.
 */
import { verifyMediaSignature } from '../paging/links';
import type { ApiDependencies } from './api';
import { sendVoicemail } from './api';
import { sendJson, type Reply } from './reply';

export async function handleMedia(deps: ApiDependencies, url: URL, reply: Reply): Promise<void> {
  const match = /^\/media\/voicemail\/([A-Za-z0-9-]{1,64})\.wav$/.exec(url.pathname);
  const expiresAt = Number(url.searchParams.get('e'));
  const signature = url.searchParams.get('s') ?? '';
  if (
    match === null ||
    (reply.method !== 'GET' && reply.method !== 'HEAD') ||
    !verifyMediaSignature(deps.linkSecret, match[1]!, expiresAt, signature, Date.now())
  )
    return sendJson(reply.response, 404, { error: 'not found' });
  await sendVoicemail(deps, match[1]!, reply, {
    'Cache-Control': 'private, max-age=3600',
    'Content-Disposition': 'inline',
  });
}
