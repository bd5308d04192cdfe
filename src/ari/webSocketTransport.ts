/**
 * REST over the event WebSocket (Asterisk 20.14, 21.9, 22.4 and later): requests travel as
 * `RESTRequest` messages on the application's own WebSocket and come back as `RESTResponse`.
 * Asterisk reads that socket on one thread and runs each request to its answer before reading
 * the next (res/ari/ari_websockets.c), so requests reach it exactly in the order they were
 * written, with no wait between them: the accept sequence (stop the prompt, stop the hold audio,
 * join the bridge) leaves in one go. The cost of that order: a request that waits in Asterisk (a
 * bridge join behind a playing prompt) holds back the ones behind it, so the call flow stops a
 * channel's media before it asks anything of that channel that waits.
 */
import { randomBytes } from 'node:crypto';
import type { RESTResponse } from './model/types.gen';
import { errorMessageOf, type RestCall, type RestTransport } from './transport';
import { AriRequestError } from './types';

/** The part of the event WebSocket the transport writes to. */
export interface MessageSocket {
  readonly open: boolean;
  send(text: string): void;
}

/** The part of Asterisk's answer (RESTResponse, events.json) the transport reads. */
export type RestResponseMessage = Pick<RESTResponse, 'type' | 'request_id' | 'status_code' | 'message_body'> &
  Partial<Pick<RESTResponse, 'reason_phrase'>>;

interface Pending {
  operation: string;
  resolve: (value: unknown) => void;
  reject: (error: AriRequestError) => void;
  timer: NodeJS.Timeout;
}

export class WebSocketTransport implements RestTransport {
  private readonly pending = new Map<string, Pending>();
  private readonly prefix = randomBytes(3).toString('hex');
  private sequence = 0;

  constructor(
    private readonly socket: MessageSocket,
    private readonly timeoutMs: number,
  ) {}

  /** Requests sent and not answered yet. */
  get inFlight(): number {
    return this.pending.size;
  }

  send<T>(call: RestCall): Promise<T> {
    const { operation } = call;
    if (!this.socket.open)
      return Promise.reject(new AriRequestError(operation, 'the WebSocket to Asterisk is closed', undefined));
    this.sequence += 1;
    const id = `${this.prefix}-${this.sequence}`;
    const queryStrings = Object.entries(call.query ?? {})
      .filter((entry): entry is [string, string | number | boolean] => entry[1] !== undefined)
      .map(([name, value]) => ({ name, value: String(value) }));
    const message = {
      type: 'RESTRequest',
      request_id: id,
      transaction_id: id,
      method: call.method,
      // Relative to /ari/, as Asterisk resolves it; parameters as name/value pairs need no escaping.
      uri: call.path.slice(1),
      ...(queryStrings.length === 0 ? {} : { query_strings: queryStrings }),
      ...(call.body === undefined
        ? {}
        : { content_type: 'application/json', message_body: JSON.stringify(call.body) }),
    };
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          new AriRequestError(
            operation,
            `no answer from Asterisk within ${this.timeoutMs} ms`,
            undefined,
            true,
          ),
        );
      }, this.timeoutMs);
      this.pending.set(id, { operation, resolve: resolve as (value: unknown) => void, reject, timer });
      try {
        this.socket.send(JSON.stringify(message));
      } catch (error) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(new AriRequestError(operation, (error as Error).message, undefined));
      }
    });
  }

  /** A RESTResponse from the socket; one for a request that already timed out is dropped. */
  deliver(response: RestResponseMessage): void {
    const waiting = this.pending.get(response.request_id);
    if (waiting === undefined) return;
    this.pending.delete(response.request_id);
    clearTimeout(waiting.timer);
    const status = response.status_code;
    const body = response.message_body ?? '';
    if (status >= 200 && status < 300) {
      try {
        waiting.resolve(body === '' ? undefined : JSON.parse(body));
      } catch {
        waiting.reject(new AriRequestError(waiting.operation, 'Asterisk answered with invalid JSON', status));
      }
      return;
    }
    waiting.reject(
      new AriRequestError(
        waiting.operation,
        errorMessageOf(body, status) || response.reason_phrase || `status ${status}`,
        status,
      ),
    );
  }

  /**
   * The socket closed: requests still waiting may or may not have run in Asterisk; they fail now
   * rather than at their timeout, and the call flow treats them like any lost request.
   */
  closed(): void {
    for (const [id, waiting] of this.pending) {
      clearTimeout(waiting.timer);
      this.pending.delete(id);
      waiting.reject(
        new AriRequestError(
          waiting.operation,
          'the WebSocket to Asterisk closed before the answer',
          undefined,
        ),
      );
    }
  }
}
