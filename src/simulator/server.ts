/**
 * HTTP and WebSocket front of the simulated Asterisk, behaving as res_ari does: Basic or api_key
 * authentication, the API declarations served with basePath taken from the Host header, every
 * request checked against them, JSON errors with Asterisk's status codes, one event WebSocket per
 * application at /ari/events.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { RestError, type AriEvent, type SimAsterisk } from './engine';
import type { AriSpec } from './spec';
import type { RestResult } from './rest';

export interface RequestRecord {
  at: number;
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  body: unknown;
  status: number;
  operation?: string;
}

export interface ServerOptions {
  username: string;
  password: string;
  host?: string;
  port?: number;
}

type Handlers = Record<string, (params: import('./spec').RequestParams) => RestResult | Promise<RestResult>>;

export class AriHttpServer {
  readonly requests: RequestRecord[] = [];
  /** Requests Asterisk would accept or ignore but a correct client never sends (unknown parameters, unmodelled operations). */
  readonly violations: string[] = [];
  keepRequestLog = true;
  private readonly server: http.Server;
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly sockets = new Set<WebSocket>();
  /** Operations that answer late (an overloaded Asterisk): name -> delay in ms. */
  readonly stalls = new Map<string, number>();
  /** Requests held by a stall right now (tests wait for them to come back before stopping). */
  stalled = 0;
  /** While set, new event WebSockets are refused (an Asterisk restarting, a network cut). */
  refuseWebSocketsUntil = 0;

  constructor(
    private readonly engine: SimAsterisk,
    private readonly spec: AriSpec,
    private readonly handlers: Handlers,
    private readonly options: ServerOptions,
  ) {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 60_000;
    this.server.on('upgrade', (req, socket, head) => this.upgrade(req, socket, head));
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', () => resolve());
    });
    const address = this.server.address() as AddressInfo;
    return `http://${address.address}:${address.port}`;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.terminate();
    this.wss.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Closes every event WebSocket, as a network cut or an Asterisk restart would. */
  dropWebSockets(refuseForMs = 0): void {
    this.refuseWebSocketsUntil = Date.now() + refuseForMs;
    for (const socket of this.sockets) socket.terminate();
  }

  /** Closes every event WebSocket with a close frame (1001 going away), accepting new ones at once. */
  closeWebSockets(): void {
    for (const socket of this.sockets) socket.close(1001, 'going away');
  }

  get connectedSockets(): number {
    return this.sockets.size;
  }

  private authenticated(req: http.IncomingMessage, url: URL): boolean {
    const header = req.headers.authorization;
    let credentials: string | undefined;
    if (header?.startsWith('Basic ')) credentials = Buffer.from(header.slice(6), 'base64').toString('utf8');
    else credentials = url.searchParams.get('api_key') ?? undefined;
    return credentials === `${this.options.username}:${this.options.password}`;
  }

  private upgrade(req: http.IncomingMessage, socket: import('node:stream').Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const reject = (status: number, text: string): void => {
      socket.write(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      socket.destroy();
    };
    if (url.pathname !== '/ari/events') return reject(404, 'Not Found');
    if (!this.authenticated(req, url)) return reject(401, 'Unauthorized');
    if (Date.now() < this.refuseWebSocketsUntil) return reject(503, 'Service Unavailable');
    const apps = (url.searchParams.get('app') ?? '').split(',').filter((app) => app !== '');
    if (apps.length === 0) return reject(400, 'Bad Request');
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.sockets.add(ws);
      const send = (event: AriEvent): void => {
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(event));
      };
      const detach = apps.map((app) => this.engine.attachSink(app, send));
      ws.on('close', () => {
        this.sockets.delete(ws);
        detach.forEach((d) => d());
      });
      ws.on('error', () => ws.terminate());
    });
  }

  private async readBody(req: http.IncomingMessage): Promise<unknown> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    if (text === '') return {};
    if ((req.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded')) {
      return Object.fromEntries(new URLSearchParams(text));
    }
    return JSON.parse(text) as unknown;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    const query: Record<string, string | string[]> = {};
    for (const key of new Set(url.searchParams.keys())) {
      const values = url.searchParams.getAll(key);
      query[key] = values.length === 1 ? values[0]! : values;
    }
    const record: RequestRecord = {
      at: performance.now(),
      method,
      path: url.pathname,
      query,
      body: undefined,
      status: 0,
    };
    const send = (
      status: number,
      body?: unknown,
      contentType = 'application/json',
      headers: Record<string, string> = {},
    ): void => {
      record.status = status;
      if (this.keepRequestLog) this.requests.push(record);
      if (body === undefined) {
        res.writeHead(status, headers).end();
      } else if (Buffer.isBuffer(body)) {
        res
          .writeHead(status, { 'Content-Type': contentType, 'Content-Length': body.length, ...headers })
          .end(body);
      } else {
        const text = JSON.stringify(body);
        res
          .writeHead(status, {
            'Content-Type': contentType,
            'Content-Length': Buffer.byteLength(text),
            ...headers,
          })
          .end(text);
      }
    };
    try {
      record.body = await this.readBody(req);
    } catch {
      return send(400, { message: 'Error parsing request body' });
    }
    if (!url.pathname.startsWith('/ari/')) return send(404, { message: 'Not Found' });
    if (!this.authenticated(req, url)) {
      return send(401, { error: 'Authentication required' }, 'application/json', {
        'WWW-Authenticate': 'Basic realm="Asterisk REST Interface"',
      });
    }
    const ariPath = url.pathname.slice('/ari'.length);
    if (ariPath.endsWith('/'))
      return send(404, { message: `ARI URLs do not end with a slash. Try /ari${ariPath.slice(0, -1)}` });
    if (ariPath.startsWith('/api-docs/')) {
      if (method !== 'GET') return send(405, { message: 'Unsupported method' });
      const document = this.spec.servedDocument(ariPath.slice('/api-docs/'.length), req.headers.host);
      return document === undefined ? send(404, { message: 'Resource not found' }) : send(200, document);
    }
    const validation = this.spec.validate(method, ariPath, query, record.body);
    if (!validation.ok) return send(validation.status, { message: validation.message });
    record.operation = validation.match.name;
    for (const name of validation.missing) {
      this.violations.push(
        `${method} ${ariPath}: required parameter "${name}" missing for ${validation.match.name}`,
      );
    }
    for (const name of validation.unknown) {
      this.violations.push(
        `${method} ${ariPath}: parameter "${name}" is not declared for ${validation.match.name}`,
      );
    }
    const stall = this.stalls.get(validation.match.name);
    if (stall !== undefined) {
      this.stalled++;
      await new Promise((resolve) => setTimeout(resolve, stall));
      this.stalled--;
    }
    const handler = this.handlers[validation.match.name];
    if (handler === undefined) {
      this.violations.push(`${method} ${ariPath}: ${validation.match.name} is valid ARI but not simulated`);
      return send(501, { message: 'Not implemented by the simulator' });
    }
    try {
      const result = await handler(validation.params);
      send(result.status, result.body, result.contentType);
    } catch (error) {
      if (error instanceof RestError) return send(error.status, error.body);
      this.violations.push(`${method} ${ariPath}: simulator error ${(error as Error).message}`);
      send(500, { message: 'Internal Server Error' });
    }
  }
}
