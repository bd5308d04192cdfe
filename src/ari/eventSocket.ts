/**
 * ari-client connects, discovers the API and reconnects the event WebSocket; lcr reads the
 * socket's messages itself. ari-client's own handler turns every event into resource objects and
 * looks its model up by a linear search, which costs the event loop on every event and gives
 * nothing the call flow uses; and REST over WebSocket needs the `RESTResponse` messages, which
 * are answers, not events. These are ari-client 2.x internals (`_ws`, `_swagger`), checked at
 * run time: if they are missing, lcr falls back to ari-client's events and REST over HTTP.
 */
import { sendPerTurn } from '../util/writesPerTurn';
import type { MessageSocket } from './webSocketTransport';

interface RawSocket {
  readyState: number;
  send(text: string): void;
  listeners(event: string): Array<(...args: unknown[]) => void>;
  removeListener(event: string, listener: (...args: unknown[]) => void): void;
  on(event: string, listener: (...args: unknown[]) => void): void;
}

interface ClientInternals {
  _ws?: unknown;
  _swagger?: { apis?: { events?: { models?: Record<string, unknown> } } };
}

const OPEN = 1;

function rawSocketOf(client: unknown): RawSocket | undefined {
  const ws = (client as ClientInternals)._ws as Partial<RawSocket> | undefined;
  if (
    ws === undefined ||
    typeof ws.send !== 'function' ||
    typeof ws.listeners !== 'function' ||
    typeof ws.removeListener !== 'function' ||
    typeof ws.on !== 'function'
  )
    return undefined;
  return ws as RawSocket;
}

/** Whether the Asterisk ari-client discovered declares REST over WebSocket (events.json). */
export function declaresRestOverWebSocket(client: unknown): boolean {
  const models = (client as ClientInternals)._swagger?.apis?.events?.models;
  return models !== undefined && 'RESTRequest' in models && 'RESTResponse' in models;
}

export interface EventSocket extends MessageSocket {
  /** Called once when this socket closes (requests waiting on it then fail). */
  onClose(listener: () => void): void;
}

/**
 * Replaces ari-client's message handler on the socket it just opened with `onMessage` (the raw
 * text of every message). Called from ari-client's WebSocketConnected, before any message of the
 * new socket is read. Undefined when the internals are not there.
 */
export function takeOverMessages(
  client: unknown,
  onMessage: (text: string) => void,
): EventSocket | undefined {
  const ws = rawSocketOf(client);
  if (ws === undefined) return undefined;
  for (const listener of ws.listeners('message')) ws.removeListener('message', listener);
  ws.on('message', (data: unknown) => onMessage(String(data)));
  return {
    get open() {
      return ws.readyState === OPEN;
    },
    send: sendPerTurn(ws),
    onClose: (listener) => ws.on('close', () => listener()),
  };
}
