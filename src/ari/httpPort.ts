/**
 * ARI's REST side over plain HTTP with a keep-alive agent. The agent spreads requests over
 * several sockets, and Asterisk serves each socket on its own thread, so two requests sent back
 * to back can reach it in either order: each request waits for the earlier ones on its lanes
 * (OrderedLanes), which keeps every channel's commands in order at the cost of a round trip
 * between them. REST over the event WebSocket (webSocketTransport.ts) needs no such wait; this is
 * the transport for an Asterisk without it, and for files (stored recordings), which only HTTP
 * carries. Every request times out; failures are AriRequestError with status.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { OrderedLanes } from './lanes';
import { AriRestPort } from './restPort';
import { errorMessageOf, searchOf, type RestCall, type RestTransport } from './transport';
import { AriRequestError } from './types';

export interface HttpPortOptions {
  baseUrl: string;
  username: string;
  password: string;
  timeoutMs: number;
}

export class HttpTransport implements RestTransport {
  private readonly base: URL;
  private readonly basePath: string;
  private readonly client: typeof http | typeof https;
  private readonly agent: http.Agent;
  private readonly authorization: string;
  readonly lanes = new OrderedLanes();

  constructor(private readonly options: HttpPortOptions) {
    this.base = new URL(options.baseUrl);
    this.basePath = `${this.base.pathname.replace(/\/$/, '')}/ari`;
    this.client = this.base.protocol === 'https:' ? https : http;
    this.agent = new this.client.Agent({ keepAlive: true, maxSockets: 64 });
    this.authorization = `Basic ${Buffer.from(`${options.username}:${options.password}`).toString('base64')}`;
  }

  close(): void {
    this.agent.destroy();
  }

  send<T>(call: RestCall): Promise<T> {
    return this.lanes.run(call.lanes, () => this.request<T>(call));
  }

  private request<T>(call: RestCall): Promise<T> {
    const { operation } = call;
    const search = searchOf(call.query);
    const text = call.body === undefined ? undefined : JSON.stringify(call.body);
    const headers: http.OutgoingHttpHeaders = { Authorization: this.authorization };
    if (text !== undefined)
      Object.assign(headers, {
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(text),
      });
    return new Promise<T>((resolve, reject) => {
      const request = this.client.request(
        {
          protocol: this.base.protocol,
          hostname: this.base.hostname,
          port: this.base.port,
          method: call.method,
          path: `${this.basePath}${call.path}${search.size > 0 ? `?${search}` : ''}`,
          headers,
          agent: this.agent,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            clearTimeout(timer);
            const data = Buffer.concat(chunks);
            const status = response.statusCode ?? 0;
            if (status >= 200 && status < 300) {
              if (call.binary === true) return resolve(data as T);
              return resolve((data.length > 0 ? JSON.parse(data.toString('utf8')) : undefined) as T);
            }
            reject(new AriRequestError(operation, errorMessageOf(data.toString('utf8'), status), status));
          });
          response.on('error', (error) => reject(new AriRequestError(operation, error.message, undefined)));
        },
      );
      const timer = setTimeout(() => {
        request.destroy();
        reject(
          new AriRequestError(
            operation,
            `no answer from Asterisk within ${this.options.timeoutMs} ms`,
            undefined,
            true,
          ),
        );
      }, this.options.timeoutMs);
      request.on('error', (error) => {
        clearTimeout(timer);
        reject(new AriRequestError(operation, error.message, undefined));
      });
      request.end(text);
    });
  }
}

/** Every AriPort operation over HTTP alone (ownership checks, command-line tools). */
export class AriHttpPort extends AriRestPort {
  private readonly http: HttpTransport;

  constructor(options: HttpPortOptions) {
    const transport = new HttpTransport(options);
    super(transport);
    this.http = transport;
  }

  close(): void {
    this.http.close();
  }
}
