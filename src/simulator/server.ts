/**
 * HTTP and WebSocket front of the simulated Asterisk, behaving as res_ari does: Basic or api_key
 * authentication, the API declarations served with basePath taken from the Host header, every
 * request checked against them, JSON errors with Asterisk's status codes, one event WebSocket per
 * application at /ari/events.
 */
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { AriEvent, SimAsterisk } from './engine';
import type { AriSpec } from './spec';
import { RequestPipeline, type Handlers } from './dispatch';
import { RestOverWebSocket } from './restOverWebSocket';
import { sendPerTurn } from '../util/writesPerTurn';

export type { RequestRecord } from './dispatch';

export interface ServerOptions {
  username: string;
  password: string;
  host?: string;
  port?: number;
  /** false: messages from the client on the event WebSocket are read and ignored (before 22.4). */
  restOverWebSocket?: boolean;
}

/** TCP connections by accept order, 1..: what delayConnections() and the request log name them by. */
const connectionNumbers = new WeakMap<Socket, number>();
function connectionNumber(socket: Socket): number {
  return connectionNumbers.get(socket) ?? 0;
}

export class AriHttpServer {
  readonly pipeline: RequestPipeline;
  private readonly server: http.Server;
  private readonly wss = new WebSocketServer({ noServer: true });
  /** Every open event WebSocket, with the applications it subscribed (its `app` parameter). */
  private readonly appsOf = new Map<WebSocket, readonly string[]>();
  private readonly restOverWebSocket: RestOverWebSocket;
  private connections = 0;
  /** While set, new event WebSockets are refused (an Asterisk restarting, a network cut). */
  refuseWebSocketsUntil = 0;

  constructor(
    private readonly engine: SimAsterisk,
    spec: AriSpec,
    handlers: Handlers,
    private readonly options: ServerOptions,
  ) {
    this.pipeline = new RequestPipeline(spec, handlers);
    this.restOverWebSocket = new RestOverWebSocket(this.pipeline, (message) => {
      for (const problem of spec.checkEvent(message)) this.pipeline.violations.push(`event ${problem}`);
    });
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 60_000;
    this.server.on('connection', (socket: Socket) => connectionNumbers.set(socket, ++this.connections));
    this.server.on('upgrade', (req, socket, head) => this.upgrade(req, socket, head));
  }

  get requests() {
    return this.pipeline.requests;
  }

  get violations(): string[] {
    return this.pipeline.violations;
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
    for (const socket of this.appsOf.keys()) socket.terminate();
    this.wss.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Closes every event WebSocket, as a network cut or an Asterisk restart would. */
  dropWebSockets(refuseForMs = 0): void {
    this.refuseWebSocketsUntil = Date.now() + refuseForMs;
    for (const socket of this.appsOf.keys()) socket.terminate();
  }

  /** Closes every event WebSocket with a close frame (1001 going away), accepting new ones at once. */
  closeWebSockets(): void {
    for (const socket of this.appsOf.keys()) socket.close(1001, 'going away');
  }

  get connectedSockets(): number {
    return this.appsOf.size;
  }

  /** Cuts the event WebSockets subscribed to `app` only. */
  dropWebSocketsOf(app: string): void {
    for (const [socket, apps] of this.appsOf) if (apps.includes(app)) socket.terminate();
  }

  /** Open event WebSockets subscribed to `app`. */
  socketsOf(app: string): number {
    let count = 0;
    for (const apps of this.appsOf.values()) if (apps.includes(app)) count++;
    return count;
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
      this.appsOf.set(ws, apps);
      // Events and RESTResponses share the socket; a turn's messages leave in one write, as the
      // daemon's requests do (a write per message was the bench process's largest cost).
      const send = sendPerTurn(ws);
      const sendText = (text: string): void => {
        if (ws.readyState === ws.OPEN) send(text);
      };
      const detach = apps.map((app) =>
        this.engine.attachSink(app, (event: AriEvent) => sendText(JSON.stringify(event))),
      );
      if (this.options.restOverWebSocket !== false)
        this.restOverWebSocket.serve({
          ws,
          sendText,
          connection: connectionNumber(req.socket),
          host: req.headers.host,
          app: apps[0]!,
          asteriskId: this.engine.asteriskId,
        });
      ws.on('close', () => {
        this.appsOf.delete(ws);
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
    const at = performance.now();
    const url = new URL(req.url ?? '/', 'http://localhost');
    const query: Record<string, string | string[]> = {};
    for (const key of new Set(url.searchParams.keys())) {
      const values = url.searchParams.getAll(key);
      query[key] = values.length === 1 ? values[0]! : values;
    }
    let body: unknown;
    let badBody = false;
    try {
      body = await this.readBody(req);
    } catch {
      badBody = true;
    }
    const reply = await this.pipeline.handle({
      at,
      method: req.method ?? 'GET',
      path: url.pathname,
      query,
      body,
      badBody,
      authenticated: this.authenticated(req, url),
      transport: 'http',
      connection: connectionNumber(req.socket),
      host: req.headers.host,
    });
    // Events of this turn are held on the WebSocket until its end (writesPerTurn); the answer
    // waits behind them, so a client still sees an event before the response that follows it.
    await new Promise<void>((resolve) => process.nextTick(resolve));
    const headers = reply.headers ?? {};
    if (reply.body === undefined) {
      res.writeHead(reply.status, headers).end();
      return;
    }
    const payload = Buffer.isBuffer(reply.body) ? reply.body : Buffer.from(JSON.stringify(reply.body));
    res
      .writeHead(reply.status, {
        'Content-Type': reply.contentType ?? 'application/json',
        'Content-Length': payload.length,
        ...headers,
      })
      .end(payload);
  }
}
