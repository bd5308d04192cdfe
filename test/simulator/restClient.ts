/**
 * A client for the simulator's event WebSocket that also speaks REST over it (RESTRequest /
 * RESTResponse), and plain HTTP requests on connections of their own, for the simulator's tests.
 * One simulator at a time: start() makes it the one the helpers talk to, stopAll() ends it.
 */
import * as http from 'node:http';
import WebSocket from 'ws';
import { AsteriskSimulator, type SimulatorOptions } from '../../src/simulator';
import { until } from '../helpers/harness';

export type Json = Record<string, unknown>;

let sim: AsteriskSimulator;
const sockets: WebSocket[] = [];
const agents: http.Agent[] = [];

export async function start(options: SimulatorOptions = {}): Promise<AsteriskSimulator> {
  sim = await AsteriskSimulator.start({ timeScale: 0.05, ...options });
  return sim;
}

export async function stopAll(): Promise<void> {
  for (const ws of sockets.splice(0)) ws.terminate();
  for (const agent of agents.splice(0)) agent.destroy();
  await sim.stop();
}

export interface Received {
  at: number;
  message: Json;
}

export interface EventSocket {
  ws: WebSocket;
  /** Events and responses, with the moment (performance.now()) each was received. */
  received: Received[];
  /** Sends a RESTRequest (request_id filled in) and resolves with its RESTResponse. */
  rest(request: Json): Promise<Json>;
  /** Sends raw text and resolves with the next RESTResponse not yet claimed. */
  raw(text: string): Promise<Json>;
}

let requestSequence = 0;

export async function connect(app = 'lcr'): Promise<EventSocket> {
  const ws = new WebSocket(`${sim.url.replace('http', 'ws')}/ari/events?app=${app}&api_key=lcr:lcr-secret`);
  sockets.push(ws);
  const received: Received[] = [];
  const waiting: Array<{ matches: (m: Json) => boolean; resolve: (m: Json) => void }> = [];
  ws.on('message', (data: Buffer) => {
    const message = JSON.parse(data.toString('utf8')) as Json;
    received.push({ at: performance.now(), message });
    if (message['type'] !== 'RESTResponse') return;
    const index = waiting.findIndex((w) => w.matches(message));
    if (index >= 0) waiting.splice(index, 1)[0]!.resolve(message);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const expect = (matches: (m: Json) => boolean) =>
    new Promise<Json>((resolve) => waiting.push({ matches, resolve }));
  return {
    ws,
    received,
    rest: (request) => {
      const id = `r${++requestSequence}`;
      const response = expect((m) => m['request_id'] === id);
      ws.send(JSON.stringify({ type: 'RESTRequest', transaction_id: 't', request_id: id, ...request }));
      return response;
    },
    raw: (text) => {
      const response = expect(() => true);
      ws.send(text);
      return response;
    },
  };
}

export const body = (response: Json): Json => JSON.parse(String(response['message_body'])) as Json;
export const types = (socket: EventSocket) => socket.received.map((r) => r.message['type']);
export const waitFor = (what: () => boolean, label: string) => until(() => what() || undefined, 5000, label);
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A caller in Stasis(lcr), answered. */
export async function caller(socket: EventSocket, from = '+15551230001'): Promise<string> {
  const call = sim.call({ to: '+15550100', from });
  await waitFor(
    () =>
      socket.received.some(
        (r) => r.message['type'] === 'StasisStart' && (r.message['channel'] as Json)['id'] === call.channelId,
      ),
    'StasisStart',
  );
  expect(
    (await socket.rest({ method: 'POST', uri: `channels/${call.channelId}/answer` }))['status_code'],
  ).toBe(204);
  return call.channelId;
}

export async function bridge(socket: EventSocket): Promise<string> {
  return String(body(await socket.rest({ method: 'POST', uri: 'bridges?type=mixing' }))['id']);
}

/** A plain HTTP request on its own keep-alive connection (one agent is one TCP connection). */
export function httpRequest(
  agent: http.Agent,
  method: string,
  path: string,
): Promise<{ status: number; at: number }> {
  return new Promise((resolve, reject) => {
    const request = http.request(`${sim.url}/ari${path}`, {
      method,
      agent,
      headers: { Authorization: `Basic ${Buffer.from('lcr:lcr-secret').toString('base64')}` },
    });
    request.on('response', (response) => {
      response.resume();
      response.on('end', () => resolve({ status: response.statusCode ?? 0, at: performance.now() }));
    });
    request.on('error', reject);
    request.end();
  });
}

export function connection(): http.Agent {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  agents.push(agent);
  return agent;
}
