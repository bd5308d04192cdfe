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
import type { RestCall } from './transport';
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
  private current: AriPort | undefined;
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
    this.port = new Proxy({} as AriPort, {
      get: (_target, property: string) => {
        return (...args: unknown[]) => {
          if (this.current === undefined) {
            return Promise.reject(new AriRequestError(property, 'not connected to Asterisk', undefined));
          }
          const method = (this.current as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[
            property
          ]!;
          return method.apply(this.current, args);
        };
      },
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
      this.current = this.portFor(client);
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
   * (events, and the answers of REST over WebSocket), and requests travel on it when Asterisk
   * declares REST over WebSocket (or the configuration says so), over HTTP otherwise.
   */
  private portFor(client: AriClient): AriPort {
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
    return new AriRestPort({
      send: <T>(call: RestCall): Promise<T> =>
        overSocket === undefined || call.binary === true ? http.send<T>(call) : overSocket.send<T>(call),
    });
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
