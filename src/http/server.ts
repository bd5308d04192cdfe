/**
 * The daemon's HTTP listener (loopback by default): health and metrics for monitoring, the
 * JSON API for pages and calls (bearer token), acknowledge links for responders (signed
 * single-use tokens), voicemail audio for Asterisk (signed URLs), prompt audio for Asterisk, and
 * the web console (console/, off unless configured). The router stays hand-written: a dozen
 * prefixes, each owned by one module, with the limits below set on Node's own server.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log/logger';
import { handleApi, type ApiDependencies } from './api';
import { handleAckLink } from './ackLink';
import { handleMedia } from './media';
import { handlePrompt, type PromptFiles } from './prompts';
import { sendJson, type Reply } from './reply';
import { tokenMatches } from './auth';
import { WebConsole } from './console/console';

export interface HttpDependencies extends ApiDependencies, PromptFiles {
  logger: Logger;
  /** The configured API token, or undefined when the API is not enabled. */
  apiToken: () => string | undefined;
  health: () => Promise<{ ok: boolean; checks: Record<string, unknown> }>;
  metrics: () => Promise<{ contentType: string; body: string }>;
}

const MAX_BODY = 64 * 1024;

/**
 * How long a client may take and how many may be connected. Without them, clients that send
 * their headers slowly pile up (800 of them were all still open after 75 s) until the listener
 * that Asterisk fetches prompts from, and monitoring polls, stops answering.
 */
export interface ListenerLimits {
  /** The whole request head must arrive within this. */
  headersTimeoutMs: number;
  /** The whole request, body included, must arrive within this. */
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxConnections: number;
}

export const DEFAULT_LISTENER_LIMITS: ListenerLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5000,
  maxConnections: 1000,
};

async function readBody(request: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw Object.assign(new Error('request body too large'), { status: 413 });
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export class HttpServer {
  private readonly server: http.Server;
  private readonly console: WebConsole;

  constructor(
    private readonly deps: HttpDependencies,
    limits: ListenerLimits = DEFAULT_LISTENER_LIMITS,
  ) {
    const options: http.ServerOptions = {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      // Node checks the two timeouts above this often (30 s by default, which lets them overrun).
      connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs),
    };
    this.server = http.createServer(options, (request, response) => {
      void this.handle(request, response).catch((error: Error & { status?: number }) => {
        if (error.status === undefined)
          deps.logger.error('HTTP request failed', { error: error.message, url: request.url });
        if (!response.headersSent)
          sendJson(response, error.status ?? 500, { error: error.status ? error.message : 'internal error' });
        else response.destroy();
      });
    });
    this.server.maxConnections = limits.maxConnections;
    this.console = new WebConsole(deps);
  }

  /** Listens on "host:port" (port 0: any free port); resolves with the address actually bound. */
  async listen(hostPort: string): Promise<{ host: string; port: number }> {
    const at = hostPort.lastIndexOf(':');
    const host = hostPort.slice(0, at).replace(/^\[|\]$/g, '') || '127.0.0.1';
    const port = Number(hostPort.slice(at + 1));
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const address = this.server.address() as AddressInfo;
    return { host: address.address, port: address.port };
  }

  async close(): Promise<void> {
    // Live-update streams never go idle: they are ended first, or close would wait for them.
    this.console.close();
    this.server.closeIdleConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://lcr.invalid');
    const method = request.method ?? 'GET';
    const reply: Reply = { response, method };
    if (url.pathname === '/healthz' && (method === 'GET' || method === 'HEAD')) {
      const health = await this.deps.health();
      return sendJson(response, health.ok ? 200 : 503, {
        status: health.ok ? 'ok' : 'failing',
        ...health.checks,
      });
    }
    if (url.pathname === '/metrics' && method === 'GET') {
      const metrics = await this.deps.metrics();
      response.writeHead(200, { 'Content-Type': metrics.contentType });
      response.end(metrics.body);
      return;
    }
    if (url.pathname.startsWith('/media/')) return handleMedia(this.deps, url, reply);
    if (url.pathname.startsWith('/prompts/'))
      return handlePrompt(this.deps, url, reply, request.headers['if-none-match']);
    if (url.pathname.startsWith('/ack/')) {
      const body = method === 'POST' ? await readBody(request) : '';
      return handleAckLink(this.deps, url, body, reply);
    }
    if (url.pathname === '/console' || url.pathname.startsWith('/console/'))
      return this.console.handle(request, response, url, () => readBody(request));
    if (url.pathname.startsWith('/api/')) {
      const token = this.deps.apiToken();
      if (token === undefined)
        return sendJson(response, 503, {
          error: 'the API is disabled: set settings.api_token_env (or api_token_file)',
        });
      if (!tokenMatches(request.headers.authorization, token)) {
        response.setHeader('WWW-Authenticate', 'Bearer realm="lcr"');
        return sendJson(response, 401, { error: 'unauthorized' });
      }
      const body = method === 'POST' || method === 'PUT' ? await readBody(request) : '';
      return handleApi(this.deps, url, body, reply);
    }
    sendJson(response, 404, { error: 'not found' });
  }
}
