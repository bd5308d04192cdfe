/**
 * Prompt audio for Asterisk (`delivery: http`): `GET /prompts/<sha256>.wav`. A file's name is
 * the hash of what it says and how, so its content never changes: Asterisk's res_http_media_cache
 * may keep it for a year (Cache-Control) and revalidate cheaply (ETag). Read-only, no token:
 * prompts are the operator's public greetings, and Asterisk cannot send one.
 */
import * as fs from 'node:fs';
import { PROMPT_FILE } from '../prompts/cache';
import { sendJson, type Reply } from './reply';

export interface PromptFiles {
  /** The cache directory served, or undefined when prompts are not delivered over HTTP. */
  promptDir: () => string | undefined;
}

const CONTENT_TYPES: Record<string, string> = { wav: 'audio/wav', wav16: 'audio/wav' };

export function handlePrompt(
  deps: PromptFiles,
  url: URL,
  reply: Reply,
  ifNoneMatch: string | undefined,
): void {
  const dir = deps.promptDir();
  const match = PROMPT_FILE.exec(url.pathname.slice('/prompts/'.length));
  if (dir === undefined || match === null || (reply.method !== 'GET' && reply.method !== 'HEAD'))
    return sendJson(reply.response, 404, { error: 'not found' });
  let data: Buffer;
  try {
    data = fs.readFileSync(`${dir}/${match[0]}`);
  } catch {
    return sendJson(reply.response, 404, { error: 'not found' });
  }
  const etag = `"${match[1]}"`;
  const headers = {
    'Cache-Control': 'public, max-age=31536000, immutable',
    ETag: etag,
    'Content-Type': CONTENT_TYPES[match[2]!]!,
  };
  if (ifNoneMatch !== undefined && ifNoneMatch.split(/\s*,\s*/).includes(etag)) {
    reply.response.writeHead(304, headers);
    return void reply.response.end();
  }
  reply.response.writeHead(200, { ...headers, 'Content-Length': data.length });
  reply.response.end(reply.method === 'HEAD' ? undefined : data);
}
