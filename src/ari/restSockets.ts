/**
 * REST over several WebSockets, one call's requests always on the same one. Asterisk reads each
 * ARI WebSocket on one thread and runs every RESTRequest to its answer before it reads the next
 * (res/ari/ari_websockets.c), so on a single socket a bridge join (a few milliseconds of the
 * channels' own time) holds back every other call's requests behind it; at 1,000 calls the
 * simulator showed that wait as the largest share of accept -> bridged. Each extra socket is
 * served by its own thread in Asterisk. Order still holds where it matters: every request of
 * one call carries the call's key (AriPort.forCall), a key picks its socket, and a key whose
 * requests are in flight on a socket stays on it until they are answered, so a socket that
 * comes back never lets a request overtake its call's earlier ones.
 *
 * An extra socket is an ARI events WebSocket of its own application (`<app>-rest-<n>`), which
 * Asterisk requires for every events WebSocket; no channel ever enters it, so it carries only
 * REST. Events it would carry are ignored.
 */
import { WebSocket } from 'ws';
import type { Logger } from '../log/logger';
import { sendPerTurn } from '../util/writesPerTurn';
import type { RestCall, RestTransport } from './transport';
import { WebSocketTransport, type RestResponseMessage } from './webSocketTransport';

export interface RestSocketOptions {
  /** ARI's base URL, as configured (http[s]://host:port[/prefix]). */
  url: string;
  username: string;
  password: string;
  /** The application each extra socket registers: the daemon's, with `-rest-<n>` appended. */
  app: string;
  requestTimeoutMs: number;
  logger: Logger;
  /** First reconnect delay, doubling to 30 s. */
  retryMs?: number;
  /** Told whenever the socket opens or closes. */
  onChange?: () => void;
}

/** A member of the pool: a transport, and whether it can take a request now. */
interface Member {
  readonly open: boolean;
  readonly transport: RestTransport;
}

/** Closed between the pick and the send: the request fails as on a closed main socket. */
const CLOSED = new WebSocketTransport({ open: false, send: () => undefined }, 0);

/** The application name of the `index`th extra socket (1-based). */
export function restSocketApp(app: string, index: number): string {
  return `${app}-rest-${index}`;
}

/** One extra WebSocket that carries REST only; reconnects by itself until stopped. */
export class RestSocket implements Member {
  private ws: WebSocket | undefined;
  private current: WebSocketTransport | undefined;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private failures = 0;

  constructor(
    private readonly options: RestSocketOptions,
    readonly index: number,
  ) {}

  get open(): boolean {
    return this.current !== undefined && this.ws?.readyState === WebSocket.OPEN;
  }

  readonly transport: RestTransport = {
    send: <T>(call: RestCall): Promise<T> => (this.current ?? CLOSED).send<T>(call),
  };

  start(): void {
    if (this.stopped || this.ws !== undefined) return;
    const base = new URL(this.options.url);
    base.protocol = base.protocol === 'https:' ? 'wss:' : 'ws:';
    const target = new URL(`${base.pathname.replace(/\/$/, '')}/ari/events`, base);
    target.searchParams.set('app', restSocketApp(this.options.app, this.index));
    target.searchParams.set('subscribeAll', 'false');
    const credentials = Buffer.from(`${this.options.username}:${this.options.password}`).toString('base64');
    const ws = new WebSocket(target, { headers: { Authorization: `Basic ${credentials}` } });
    this.ws = ws;
    ws.on('open', () => {
      this.current = new WebSocketTransport(
        {
          get open() {
            return ws.readyState === WebSocket.OPEN;
          },
          send: sendPerTurn(ws),
        },
        this.options.requestTimeoutMs,
      );
      if (this.failures > 0) this.options.logger.info('REST WebSocket back', { socket: this.index });
      this.failures = 0;
      this.options.onChange?.();
    });
    ws.on('message', (data: Buffer) => this.read(data.toString('utf8')));
    ws.on('error', () => undefined); // 'close' follows, and retries
    ws.on('close', () => {
      this.current?.closed();
      this.current = undefined;
      this.ws = undefined;
      this.options.onChange?.();
      if (this.stopped) return;
      this.failures++;
      const wait = Math.min(30_000, (this.options.retryMs ?? 1000) * 2 ** Math.min(this.failures - 1, 5));
      if (this.failures === 1)
        this.options.logger.warn('REST WebSocket lost; its calls use the event WebSocket meanwhile', {
          socket: this.index,
          retryInMs: wait,
        });
      this.timer = setTimeout(() => this.start(), wait);
    });
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.ws?.terminate();
  }

  private read(text: string): void {
    let message: { type?: unknown };
    try {
      message = JSON.parse(text) as { type?: unknown };
    } catch {
      return;
    }
    if (message.type === 'RESTResponse') this.current?.deliver(message as RestResponseMessage);
  }
}

/** FNV-1a: a cheap, stable spread of keys over the sockets. */
function spread(key: string, over: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % over;
}

/** The key of a request that came without one: its first channel, else none (the main socket). */
function keyOf(call: RestCall): string | undefined {
  if (call.affinity !== undefined) return call.affinity;
  const lane = call.lanes.find((l) => l.startsWith('channel:'));
  return lane?.slice('channel:'.length);
}

export class RestSocketPool implements RestTransport {
  /** Keys with requests in flight: the member carrying them, and how many. */
  private readonly inFlight = new Map<string, { member: Member; count: number }>();
  private readonly members: Member[];

  constructor(main: Member, extras: readonly Member[]) {
    this.members = [main, ...extras];
  }

  send<T>(call: RestCall): Promise<T> {
    const key = keyOf(call);
    if (key === undefined) return this.members[0]!.transport.send<T>(call);
    let held = this.inFlight.get(key);
    if (held === undefined || !held.member.open) {
      const member = this.memberFor(key);
      // A closed member's requests have all failed (or will at once): nothing left to wait for.
      held = { member, count: 0 };
      this.inFlight.set(key, held);
    }
    const entry = held;
    entry.count++;
    const settle = (): void => {
      entry.count--;
      if (entry.count <= 0 && this.inFlight.get(key) === entry) this.inFlight.delete(key);
    };
    const result = entry.member.transport.send<T>(call);
    result.then(settle, settle);
    return result;
  }

  private memberFor(key: string): Member {
    const member = this.members[spread(key, this.members.length)]!;
    return member.open ? member : this.members[0]!;
  }
}
