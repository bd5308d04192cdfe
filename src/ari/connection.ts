/**
 * Keeps the daemon connected to Asterisk, forever. Asterisk down at start: retry with capped
 * exponential backoff. WebSocket lost later: ari-client retries a few times, then gives up with
 * WebSocketMaxRetries; we then start over from a fresh connection. The state is exposed for
 * health checks, and a `reconnected` event lets the call flow re-check its calls.
 */
import { EventEmitter } from 'node:events';
import * as ari from 'ari-client';
import type { Logger } from '../log/logger';
import { declaresRestOverWebSocket, takeOverMessages } from './eventSocket';
import { HttpTransport } from './httpPort';
import { OwnershipOverHttp, type ApplicationTaken } from './ownership';
import { AriRestPort } from './restPort';
import { RestSocket, RestSocketPool } from './restSockets';
import type { RestCall, RestTransport } from './transport';
import { AriRequestError, type AriEvent, type AriPort } from './types';
import { WebSocketTransport, type RestResponseMessage } from './webSocketTransport';

export type ConnectionStatus = 'connecting' | 'connected' | 'reconnecting' | 'stopped';

/** What carries the REST requests: `auto` picks the WebSocket when Asterisk declares it. */
export type RestTransportChoice = 'auto' | 'websocket' | 'http';

export interface ConnectionState {
  status: ConnectionStatus;
  /** Since when the status holds (epoch ms). */
  since: number;
  /** Failed attempts since the last successful connection. */
  attempts: number;
  reconnects: number;
  /** What carries the REST requests on the current connection. */
  rest?: 'websocket' | 'http';
  /** REST over WebSocket: how many of the sockets carrying it are open (the event WebSocket included). */
  restSockets?: { open: number; configured: number };
}

export interface ConnectionOptions {
  url: string;
  username: string;
  password: string;
  app: string;
  requestTimeoutMs: number;
  /** First retry delay and the cap of the exponential backoff. */
  minRetryMs?: number;
  maxRetryMs?: number;
  /**
   * The database this daemon runs on, to hold the application name in Asterisk against another
   * daemon (ownership.ts); checked before every new connection (not ari-client's own quick
   * WebSocket retries): a refusal counts as a failed attempt, logged and retried.
   */
  owner?: { database: string; heartbeatMs?: number | undefined };
  restTransport?: RestTransportChoice;
  /**
   * WebSockets that carry REST, the event WebSocket included (restSockets.ts): one call's
   * requests share one, calls are spread over them. 1 keeps everything on the event WebSocket.
   */
  restSockets?: number;
}

interface AriClient {
  on(event: string, listener: (...args: unknown[]) => void): void;
  removeAllListeners(event?: string): void;
  start(app: string): Promise<void>;
  stop(): void;
}

/** swagger-client prints a deprecation notice on every connect; it is not ours to show. */
async function quietly<T>(work: () => Promise<T>): Promise<T> {
  const original = console.log;
  console.log = () => undefined;
  try {
    return await work();
  } finally {
    console.log = original;
  }
}

export class AriConnection extends EventEmitter {
  private client: AriClient | undefined;
  /** What carries REST requests on the current connection; undefined while disconnected. */
  private current: RestTransport | undefined;
  /** The extra REST WebSockets (restSockets.ts), opened with the first connection that uses them. */
  private restSockets: RestSocket[] | undefined;
  /** Plain HTTP: files always, and every request when REST over WebSocket is not used. */
  private http: HttpTransport | undefined;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private wakeRetry: (() => void) | undefined;
  state: ConnectionState = { status: 'connecting', since: Date.now(), attempts: 0, reconnects: 0 };

  /** The REST side, usable whenever connected; requests while disconnected fail at once. */
  readonly port: AriPort;
  private readonly ownership: OwnershipOverHttp | undefined;

  constructor(
    private readonly options: ConnectionOptions,
    private readonly logger: Logger,
  ) {
    super();
    const { url, username, password, app, requestTimeoutMs, owner } = options;
    this.ownership =
      owner &&
      new OwnershipOverHttp(
        { baseUrl: url, username, password, timeoutMs: requestTimeoutMs },
        { app, database: owner.database, heartbeatMs: owner.heartbeatMs, logger },
      );
    // One port for the daemon's life; each request goes to whatever carries REST right now.
    this.port = new AriRestPort({
      send: <T>(call: RestCall): Promise<T> =>
        this.current === undefined
          ? Promise.reject(new AriRequestError(call.operation, 'not connected to Asterisk', undefined))
          : this.current.send<T>(call),
    });
  }

  /**
   * Before the first connection: the refusal when another daemon holds the application (the
   * daemon does not start), undefined otherwise (Asterisk unreachable: checked at each attempt).
   */
  async refusal(): Promise<ApplicationTaken | undefined> {
    return this.ownership?.refusal();
  }

  start(): void {
    void this.connectLoop();
    this.ownership?.startHeartbeat(() => this.state.status === 'connected');
  }

  /** After stop(): gives up the application name at once when `clear`, else lets it go stale. */
  async releaseApplication(clear: boolean): Promise<void> {
    await this.ownership?.stop(clear);
  }

  /** Resolves true once connected (at once when it is), or false after `timeoutMs`. */
  whenConnected(timeoutMs: number): Promise<boolean> {
    if (this.state.status === 'connected') return Promise.resolve(true);
    return new Promise((resolve) => {
      const settle = (connected: boolean): void => {
        clearTimeout(timer);
        this.off('connected', onConnected);
        this.off('reconnected', onConnected);
        resolve(connected);
      };
      const onConnected = (): void => settle(true);
      const timer = setTimeout(() => settle(false), timeoutMs);
      timer.unref();
      this.on('connected', onConnected);
      this.on('reconnected', onConnected);
    });
  }

  stop(): void {
    this.stopped = true;
    this.http?.close();
    this.http = undefined;
    for (const socket of this.restSockets ?? []) socket.stop();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.wakeRetry?.();
    this.teardown();
    this.setStatus('stopped');
  }

  private setStatus(status: ConnectionStatus): void {
    if (this.state.status !== status) this.state = { ...this.state, status, since: Date.now() };
  }

  private teardown(): void {
    const client = this.client;
    this.client = undefined;
    this.current = undefined;
    if (client) {
      client.removeAllListeners();
      client.on('error', () => undefined);
      try {
        client.stop();
      } catch {
        // The socket may never have opened.
      }
    }
  }

  private delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wakeRetry = resolve;
      this.retryTimer = setTimeout(resolve, ms);
    });
  }

  private async connectLoop(): Promise<void> {
    const min = this.options.minRetryMs ?? 500;
    const max = this.options.maxRetryMs ?? 30_000;
    while (!this.stopped) {
      try {
        await this.connectOnce();
        return;
      } catch (error) {
        this.teardown();
        if (this.stopped) return;
        this.state = { ...this.state, attempts: this.state.attempts + 1 };
        const wait = Math.min(max, min * 2 ** Math.min(this.state.attempts - 1, 16));
        this.logger.warn('cannot connect to Asterisk ARI; retrying', {
          url: this.options.url,
          attempt: this.state.attempts,
          retryInMs: wait,
          error: (error as Error).message,
        });
        await this.delay(wait);
      }
    }
  }

  private async connectOnce(): Promise<void> {
    // Before the WebSocket: once it opens, Asterisk would hand this daemon another daemon's calls.
    await this.ownership?.claim();
    if (this.stopped) return;
    const client = (await quietly(() =>
      ari.connect(this.options.url, this.options.username, this.options.password),
    )) as unknown as AriClient;
    if (this.stopped) return;
    this.client = client;
    // Until the socket is taken over (portFor), and for good if ari-client's internals change.
    client.on('*', (event) => this.emit('event', event as AriEvent));
    client.on('WebSocketReconnecting', () => {
      this.current = undefined;
      this.setStatus('reconnecting');
      this.logger.warn('ARI WebSocket lost; reconnecting');
    });
    client.on('WebSocketConnected', () => {
      if (this.client !== client) return;
      const wasReconnect = this.state.status === 'reconnecting';
      this.current = this.transportFor(client);
      this.countRestSockets();
      this.state = { ...this.state, attempts: 0 };
      this.setStatus('connected');
      if (wasReconnect) {
        this.state = { ...this.state, reconnects: this.state.reconnects + 1 };
        this.logger.info('ARI WebSocket back', { app: this.options.app });
        this.emit('reconnected');
      }
    });
    client.on('WebSocketMaxRetries', () => {
      if (this.client !== client || this.stopped) return;
      this.logger.warn('ARI WebSocket retries exhausted; starting a new connection');
      this.teardown();
      this.setStatus('reconnecting');
      void this.connectLoop();
    });
    await client.start(this.options.app);
    this.logger.info('connected to Asterisk ARI', { url: this.options.url, app: this.options.app });
    this.emit('connected');
  }

  /**
   * The REST side for the socket ari-client just opened: its messages are read here from now on
   * (events, and the answers of REST over WebSocket), and requests travel on it and the extra
   * REST sockets when Asterisk declares REST over WebSocket (or the configuration says so), over
   * HTTP otherwise.
   */
  private transportFor(client: AriClient): RestTransport {
    this.http ??= new HttpTransport({
      baseUrl: this.options.url,
      username: this.options.username,
      password: this.options.password,
      timeoutMs: this.options.requestTimeoutMs,
    });
    const http = this.http;
    const choice = this.options.restTransport ?? 'auto';
    let overSocket: WebSocketTransport | undefined;
    const socket = takeOverMessages(client, (text) => this.onMessage(text, overSocket));
    if (socket !== undefined) client.removeAllListeners('*');
    const useSocket =
      socket !== undefined &&
      (choice === 'websocket' || (choice === 'auto' && declaresRestOverWebSocket(client)));
    if (useSocket) {
      overSocket = new WebSocketTransport(socket, this.options.requestTimeoutMs);
      const transport = overSocket;
      socket.onClose(() => transport.closed());
    }
    if (this.state.rest !== (useSocket ? 'websocket' : 'http'))
      this.logger.info(
        useSocket ? 'REST requests over the event WebSocket' : 'REST requests over HTTP',
        useSocket
          ? {}
          : {
              why:
                choice === 'http'
                  ? 'asterisk.rest_transport is http'
                  : 'this Asterisk does not declare REST over WebSocket (20.14, 21.9, 22.4 and later do)',
            },
      );
    this.state = { ...this.state, rest: useSocket ? 'websocket' : 'http' };
    if (overSocket === undefined) {
      delete this.state.restSockets;
      return http;
    }
    const main = overSocket;
    const pool = new RestSocketPool(
      {
        get open() {
          return socket?.open ?? false;
        },
        transport: main,
      },
      this.extraRestSockets(),
    );
    return {
      send: <T>(call: RestCall): Promise<T> =>
        call.binary === true ? http.send<T>(call) : pool.send<T>(call),
    };
  }

  private extraRestSockets(): RestSocket[] {
    if (this.restSockets === undefined) {
      const { url, username, password, app, requestTimeoutMs } = this.options;
      const count = Math.max(0, (this.options.restSockets ?? 1) - 1);
      const onChange = (): void => this.countRestSockets();
      this.restSockets = Array.from(
        { length: count },
        (_, i) =>
          new RestSocket(
            { url, username, password, app, requestTimeoutMs, logger: this.logger, onChange },
            i + 1,
          ),
      );
      for (const socket of this.restSockets) socket.start();
    }
    return this.restSockets;
  }

  private countRestSockets(): void {
    if (this.state.rest !== 'websocket') return;
    const extras = this.restSockets ?? [];
    const open = (this.current === undefined ? 0 : 1) + extras.filter((s) => s.open).length;
    this.state = { ...this.state, restSockets: { open, configured: extras.length + 1 } };
  }

  private onMessage(text: string, overSocket: WebSocketTransport | undefined): void {
    let message: { type?: unknown };
    try {
      message = JSON.parse(text) as { type?: unknown };
    } catch {
      this.logger.warn('Asterisk sent a message that is not JSON; ignored', { length: text.length });
      return;
    }
    if (message.type === 'RESTResponse') overSocket?.deliver(message as RestResponseMessage);
    else this.emit('event', message as AriEvent);
  }
}
