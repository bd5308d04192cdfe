/**
 * REST over the event WebSocket, as Asterisk 22 does it (res/ari/ari_websocket_requests.c and the
 * read loop of res/ari/ari_websockets.c): a text message `{"type":"RESTRequest", ...}` is one ARI
 * request, answered on the same socket by a `RESTResponse` message.
 *
 * Asterisk handles a socket's messages in its read thread, one at a time: it reads the next one
 * only once the previous request's handler has returned. So a request that waits (a bridge join
 * behind a prompt still playing) holds back every later request on that socket, while events keep
 * flowing (they are written by other threads). This module reproduces that with one promise chain
 * per socket.
 */
import * as http from 'node:http';
import type { WebSocket } from 'ws';
import type { IncomingRequest, Reply, RequestPipeline } from './dispatch';
import type { Event, RESTResponse } from '../ari/model/types.gen';
import { asteriskTimestamp } from './json';

type Json = Record<string, unknown>;

/** What a RESTResponse carries besides the fields Asterisk adds to every message it sends. */
export type RestResponseFields = Omit<RESTResponse, keyof Event>;

export interface SocketContext {
  ws: WebSocket;
  /** Writes one text message on the socket (when it is still open). */
  sendText: (text: string) => void;
  /** The TCP connection the WebSocket was upgraded on. */
  connection: number;
  /** The upgrade request's Host header: where api-docs say the API lives. */
  host: string | undefined;
  /** The socket's first application: Asterisk stamps it on every RESTResponse (session->app_name). */
  app: string;
  asteriskId: string;
}

const METHODS = new Set(['GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);

/** A message that parse_rest_request_msg refuses before anything is invoked. */
class Refused {
  constructor(
    readonly message: string,
    readonly request: IncomingRequest & { arrived: number },
    readonly uri: string,
  ) {}
}

export class RestOverWebSocket {
  constructor(
    private readonly pipeline: RequestPipeline,
    /** Every message written is checked against the model, as events are. */
    private readonly check: (message: Json) => void,
  ) {}

  /** Starts serving RESTRequests on a freshly upgraded event WebSocket. */
  serve(context: SocketContext): void {
    let chain = Promise.resolve();
    context.ws.on('message', (data: Buffer, isBinary: boolean) => {
      // ari_websockets.c:session_read ignores every frame but text ones.
      if (isBinary) return;
      const text = data.toString('utf8');
      const at = performance.now();
      chain = chain.then(() => this.process(context, text, at));
    });
  }

  private async process(context: SocketContext, text: string, at: number): Promise<void> {
    // A closed socket's read loop has ended: what it had not read yet is never handled.
    if (context.ws.readyState !== context.ws.OPEN) return;
    const arrived = await this.pipeline.accept(context.connection);
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      // Logged too, so the request log has every message the socket took up, in order.
      const { request } = this.parse(context, {}, at, arrived) as Refused;
      this.pipeline.logRejected(request, 400);
      return this.send(context, {
        transaction_id: '',
        request_id: '',
        status_code: 400,
        reason_phrase: 'Failed to parse request message JSON',
        uri: '',
      });
    }
    const envelope: Json =
      message !== null && typeof message === 'object' && !Array.isArray(message) ? (message as Json) : {};
    const ids = {
      transaction_id: typeof envelope['transaction_id'] === 'string' ? envelope['transaction_id'] : '',
      request_id: typeof envelope['request_id'] === 'string' ? envelope['request_id'] : '',
    };
    const parsed = this.parse(context, envelope, at, arrived);
    if (parsed instanceof Refused) {
      this.pipeline.logRejected(parsed.request, 400);
      return this.send(context, {
        ...ids,
        status_code: 400,
        reason_phrase: 'Bad request',
        uri: parsed.uri,
        content_type: 'application/json',
        message_body: JSON.stringify({ message: parsed.message }),
      });
    }
    const reply = await this.pipeline.handle(parsed.request, (r) => responseOf(r).status_code);
    this.send(context, { ...ids, ...responseOf(reply), uri: parsed.uri });
  }

  /** parse_rest_request_msg: the envelope's checks, in Asterisk's order. */
  private parse(
    context: SocketContext,
    envelope: Json,
    at: number,
    arrived: number,
  ): Refused | { request: IncomingRequest; uri: string } {
    const request: IncomingRequest & { arrived: number } = {
      at,
      arrived,
      method: typeof envelope['method'] === 'string' ? envelope['method'] : '',
      path: '',
      query: {},
      body: {},
      authenticated: true,
      transport: 'websocket',
      connection: context.connection,
      host: context.host,
    };
    const type = envelope['type'];
    if (typeof type !== 'string' || type === '') return new Refused("No 'type' property.", request, '');
    if (type !== 'RESTRequest') return new Refused('Unknown request type.', request, '');
    const fullUri = typeof envelope['uri'] === 'string' ? envelope['uri'] : '';
    if (fullUri === '') return new Refused("Empty or missing 'uri' property.", request, '');
    const questionMark = fullUri.indexOf('?');
    const uri = questionMark < 0 ? fullUri : fullUri.slice(0, questionMark);
    // The uri is relative to /ari/; the request log names it the way an HTTP request would.
    request.path = `/ari/${uri}`;
    if (questionMark >= 0) addAll(request.query, new URLSearchParams(fullUri.slice(questionMark + 1)));
    if (!METHODS.has(request.method))
      return new Refused("Unknown or missing 'method' property.", request, uri);
    const queryStrings = envelope['query_strings'];
    if (Array.isArray(queryStrings)) {
      for (const item of queryStrings as unknown[]) {
        const pair = item !== null && typeof item === 'object' ? (item as Json) : {};
        if (typeof pair['name'] !== 'string' || typeof pair['value'] !== 'string')
          return new Refused("Unable to parse 'query_strings' array.", request, uri);
        add(request.query, pair['name'], pair['value']);
      }
    }
    const body = typeof envelope['message_body'] === 'string' ? envelope['message_body'] : '';
    if (body === '') return { request, uri };
    const contentType = typeof envelope['content_type'] === 'string' ? envelope['content_type'] : '';
    if (contentType === '') return new Refused("No 'content_type' for 'message_body'.", request, uri);
    if (contentType === 'application/x-www-form-urlencoded') {
      // Form fields join the query string parameters (ast_variable_list_append).
      addAll(request.query, new URLSearchParams(body));
    } else if (contentType === 'application/json') {
      try {
        request.body = JSON.parse(body) as unknown;
      } catch {
        return new Refused("Unable to parse 'message_body' as 'application/json'.", request, uri);
      }
    } else {
      return new Refused('Unknown content type.', request, uri);
    }
    return { request, uri };
  }

  private send(context: SocketContext, fields: RestResponseFields): void {
    // ari_websocket_send_event adds application, timestamp and asterisk_id, as to every event.
    const message: Json = {
      type: 'RESTResponse',
      ...fields,
      application: context.app,
      timestamp: asteriskTimestamp(),
      asterisk_id: context.asteriskId,
    };
    this.check(message);
    context.sendText(JSON.stringify(message));
  }
}

/** send_rest_response: a file cannot travel in a RESTResponse, a JSON body travels as text. */
function responseOf(reply: Reply): Omit<RestResponseFields, 'transaction_id' | 'request_id' | 'uri'> {
  if (Buffer.isBuffer(reply.body))
    return { status_code: 406, reason_phrase: 'Not Acceptable.  Use HTTP GET' };
  const reason = reply.reason ?? http.STATUS_CODES[reply.status] ?? '';
  if (reply.body === undefined || reply.body === null)
    return { status_code: reply.status, reason_phrase: reason };
  return {
    status_code: reply.status,
    reason_phrase: reason,
    content_type: 'application/json',
    message_body: JSON.stringify(reply.body),
  };
}

function add(query: Record<string, string | string[]>, name: string, value: string): void {
  const existing = query[name];
  if (existing === undefined) query[name] = value;
  else query[name] = [...(Array.isArray(existing) ? existing : [existing]), value];
}

function addAll(query: Record<string, string | string[]>, params: URLSearchParams): void {
  for (const [name, value] of params) add(query, name, value);
}
