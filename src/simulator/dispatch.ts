/**
 * The one road every ARI request takes once read, whichever transport carried it (an HTTP request
 * or a RESTRequest on the event WebSocket): a connection's delay, the arrival order, the checks
 * against the declarations, stalls, the handler, and the request log. Asterisk's ast_ari_invoke
 * is likewise shared by both transports, so the two must not drift apart here either.
 */
import { RestError } from './engine';
import type { AriSpec, RequestParams } from './spec';
import type { RestResult } from './rest';

export interface RequestRecord {
  /** performance.now() when the request was read, before any connection delay. */
  at: number;
  /** performance.now() when its answer was written. */
  answeredAt: number;
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  body: unknown;
  status: number;
  operation?: string;
  transport: 'http' | 'websocket';
  /** The TCP connection it came on, numbered 1.. in accept order (a WebSocket keeps its connection's number). */
  connection: number;
  /** Order in which requests were accepted for handling (after any connection delay), 1.. per simulator. */
  arrived: number;
}

/** A request as read off a transport, before any check. */
export interface IncomingRequest {
  at: number;
  method: string;
  /** The pathname, /ari/... */
  path: string;
  query: Record<string, string | string[]>;
  body: unknown;
  /** The body could not be parsed: answered 400 once the request is accepted. */
  badBody?: boolean;
  /** HTTP checks credentials per request; a WebSocket's were checked when it was upgraded. */
  authenticated: boolean;
  transport: 'http' | 'websocket';
  connection: number;
  host: string | undefined;
  /** Already taken up by accept() (a WebSocket waits out its delay before reading the envelope). */
  arrived?: number;
}

export interface Reply {
  status: number;
  body?: unknown;
  contentType?: string;
  headers?: Record<string, string>;
  /** Asterisk's reason phrase when it is not the usual one for the status. */
  reason?: string;
}

export type Handlers = Record<string, (params: RequestParams) => RestResult | Promise<RestResult>>;

export class RequestPipeline {
  readonly requests: RequestRecord[] = [];
  /** Requests Asterisk would accept or ignore but a correct client never sends (unknown parameters, unmodelled operations). */
  readonly violations: string[] = [];
  keepRequestLog = true;
  /** Operations that answer late (an overloaded Asterisk): name -> delay in ms. */
  readonly stalls = new Map<string, number>();
  /** Requests held by a stall right now (tests wait for them to come back before stopping). */
  stalled = 0;
  /** How long requests read on a connection wait before they are handled (a slow network path). */
  connectionDelay: (connection: number) => number = () => 0;
  private arrivals = 0;

  constructor(
    private readonly spec: AriSpec,
    private readonly handlers: Handlers,
  ) {}

  /**
   * @param wireStatus the status the transport will actually send for this reply, when it differs
   *   (a file asked for over the WebSocket goes out as 406); the log records what was sent.
   */
  async handle(
    request: IncomingRequest,
    wireStatus: (reply: Reply) => number = (r) => r.status,
  ): Promise<Reply> {
    const arrived = request.arrived ?? (await this.accept(request.connection));
    const record = recordOf(request, arrived);
    const reply = await this.answer(request, record);
    this.log(record, wireStatus(reply));
    return reply;
  }

  /**
   * Takes up the next request read on a connection: waits out the connection's delay, then gives
   * it its place in the arrival order.
   */
  async accept(connection: number): Promise<number> {
    const delay = this.connectionDelay(connection);
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    return ++this.arrivals;
  }

  /** Logs a request answered before it reached the pipeline (a malformed RESTRequest). */
  logRejected(request: IncomingRequest & { arrived: number }, status: number): void {
    this.log(recordOf(request, request.arrived), status);
  }

  private log(record: RequestRecord, status: number): void {
    record.status = status;
    record.answeredAt = performance.now();
    if (this.keepRequestLog) this.requests.push(record);
  }

  private async answer(request: IncomingRequest, record: RequestRecord): Promise<Reply> {
    const { method, path } = request;
    if (request.badBody) return { status: 400, body: { message: 'Error parsing request body' } };
    if (!path.startsWith('/ari/')) return { status: 404, body: { message: 'Not Found' } };
    if (!request.authenticated) {
      return {
        status: 401,
        body: { error: 'Authentication required' },
        headers: { 'WWW-Authenticate': 'Basic realm="Asterisk REST Interface"' },
      };
    }
    const ariPath = path.slice('/ari'.length);
    if (ariPath.endsWith('/'))
      return {
        status: 404,
        body: { message: `ARI URLs do not end with a slash. Try /ari${ariPath.slice(0, -1)}` },
      };
    if (ariPath.startsWith('/api-docs/')) {
      if (method !== 'GET') return { status: 405, body: { message: 'Unsupported method' } };
      const document = this.spec.servedDocument(ariPath.slice('/api-docs/'.length), request.host);
      return document === undefined
        ? { status: 404, body: { message: 'Resource not found' } }
        : { status: 200, body: document };
    }
    // res_ari.c:ast_ari_invoke refuses this before looking at any parameter.
    if (request.transport === 'websocket' && method === 'GET' && ariPath === '/events') {
      return {
        status: 400,
        reason: 'Bad request',
        body: { message: "Can't upgrade to websocket from a websocket" },
      };
    }
    const validation = this.spec.validate(method, ariPath, request.query, request.body);
    if (!validation.ok) return { status: validation.status, body: { message: validation.message } };
    const name = validation.match.name;
    record.operation = name;
    for (const missing of validation.missing) {
      this.violations.push(`${method} ${ariPath}: required parameter "${missing}" missing for ${name}`);
    }
    for (const unknown of validation.unknown) {
      this.violations.push(`${method} ${ariPath}: parameter "${unknown}" is not declared for ${name}`);
    }
    const stall = this.stalls.get(name);
    if (stall !== undefined) {
      this.stalled++;
      await new Promise((resolve) => setTimeout(resolve, stall));
      this.stalled--;
    }
    const handler = this.handlers[name];
    if (handler === undefined) {
      this.violations.push(`${method} ${ariPath}: ${name} is valid ARI but not simulated`);
      return { status: 501, body: { message: 'Not implemented by the simulator' } };
    }
    try {
      const result = await handler(validation.params);
      return {
        status: result.status,
        body: result.body,
        ...(result.contentType === undefined ? {} : { contentType: result.contentType }),
      };
    } catch (error) {
      if (error instanceof RestError) return { status: error.status, body: error.body };
      this.violations.push(`${method} ${ariPath}: simulator error ${(error as Error).message}`);
      return { status: 500, body: { message: 'Internal Server Error' } };
    }
  }
}

/** A request's log entry before it is answered. */
function recordOf(request: IncomingRequest, arrived: number): RequestRecord {
  return {
    at: request.at,
    answeredAt: 0,
    method: request.method,
    path: request.path,
    query: request.query,
    body: request.body,
    status: 0,
    transport: request.transport,
    connection: request.connection,
    arrived,
  };
}
