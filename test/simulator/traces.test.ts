/**
 * The simulator against recordings of a real Asterisk 22 (copies in test/fixtures/ari-traces): each trace's
 * requests are replayed over HTTP, the caller it placed through the trunk is played by a scripted
 * caller, and the simulator must answer with the same statuses and emit, channel by channel, the
 * same events in the same order.
 *
 * Compared per channel (and per bridge), because the interleaving of different channels' events
 * is a race in Asterisk too. Not compared: ChannelVarset, ChannelConnectedLine and ChannelDialplan
 * (dialplan bookkeeping the daemon never reads), and events of the second half of Local channels
 * (`;2`), which the simulator does not model.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { AsteriskSimulator, type Step } from '../../src/simulator';
import { wavFile } from '../../src/simulator/json';

interface TraceLine {
  t: number;
  dir: 'request' | 'response' | 'event' | 'note';
  method?: string;
  path?: string;
  query?: Record<string, string>;
  body?: unknown;
  harness?: boolean;
  status?: number;
  event?: Record<string, unknown> & { type: string };
  text?: string;
}

const TRACE_DIR = path.join(__dirname, '../fixtures/ari-traces');
const IGNORED_EVENTS = new Set(['ChannelVarset', 'ChannelConnectedLine', 'ChannelDialplan']);
type Json = Record<string, unknown>;

function readTrace(name: string): TraceLine[] {
  return fs
    .readFileSync(path.join(TRACE_DIR, name), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as TraceLine);
}

function compared(event: Json): boolean {
  const channel = event['channel'] as Json | undefined;
  return !IGNORED_EVENTS.has(event['type'] as string) && !String(channel?.['id'] ?? '').endsWith(';2');
}

/** The channel (or bridge) an event belongs to, for per-channel comparison. */
function ownerOf(event: Json): string {
  const channel = (event['channel'] ?? event['peer']) as Json | undefined;
  if (channel) return String(channel['id']);
  const target = ((event['playback'] ?? event['recording']) as Json | undefined)?.['target_uri'];
  if (typeof target === 'string') return target.replace(/^channel:/, '');
  return String((event['bridge'] as Json | undefined)?.['id'] ?? '?');
}

/** The facts of an event that must match: what the daemon reads. */
function essence(event: Json, mapId: (id: string) => string): Json {
  const channel = event['channel'] as Json | undefined;
  const playback = event['playback'] as Json | undefined;
  const recording = event['recording'] as Json | undefined;
  const bridge = event['bridge'] as Json | undefined;
  const out: Json = { type: event['type'] };
  if (channel) out['channelState'] = channel['state'];
  for (const key of ['cause', 'soft', 'dialstatus', 'digit', 'cause_txt'])
    if (key in event) out[key] = event[key];
  if (Array.isArray(event['args'])) out['args'] = (event['args'] as string[]).map(mapId);
  if (playback) {
    const media = String(playback['media_uri']).replace(/http:\/\/127\.0\.0\.1:\d+/, 'http://media-server');
    Object.assign(out, { playbackState: playback['state'], media });
  }
  if (recording) Object.assign(out, { recordingState: recording['state'], recordingName: recording['name'] });
  if (bridge) out['bridgeChannels'] = (bridge['channels'] as string[]).map(mapId);
  return out;
}

/** What the trace's caller did, from the variables the lab's dialplan read. */
function callerSteps(body: Json): Step[] {
  const vars = (body['variables'] ?? {}) as Record<string, string>;
  if (body['extension'] === 'caller-hangup') return [{ wait: 3000 }, { hangup: true }];
  const steps: Step[] = [{ wait: Number(vars['CALLER_DELAY'] ?? '0') * 1000 }];
  if (vars['CALLER_DIGITS'] && vars['CALLER_DIGITS'] !== 'none') steps.push({ press: vars['CALLER_DIGITS'] });
  const message = vars['CALLER_MSG'] ?? 'lab/caller-voicemail';
  if (message !== 'none') {
    for (const part of message.split('&')) {
      const silence = /^silence\/(\d+)$/.exec(part);
      steps.push(silence ? { wait: Number(silence[1]) * 1000 } : { speak: 7500 });
    }
  }
  steps.push({ wait: Number(vars['CALLER_HOLD'] ?? '0') * 1000 }, { hangup: true });
  return steps;
}

class ReplayClient {
  readonly events: Json[] = [];
  private ws: WebSocket | undefined;
  private readonly ids = new Map<string, string>();

  constructor(private readonly sim: AsteriskSimulator) {}

  async open(): Promise<void> {
    const url = `${this.sim.url.replace('http', 'ws')}/ari/events?app=lcr&api_key=${this.sim.username}:${this.sim.password}`;
    const ws = new WebSocket(url);
    ws.on('message', (data) => {
      const event = JSON.parse(String(data)) as Json;
      if (compared(event)) this.events.push(event);
    });
    await new Promise<void>((resolve, reject) => ws.once('open', () => resolve()).once('error', reject));
    this.ws = ws;
  }

  close(): void {
    this.ws?.terminate();
  }

  /** Ids the client chose itself (channelId, playbackId) are the same on both sides and never mapped. */
  map(traceId: string, simId: string): void {
    if (traceId === simId || this.ids.has(traceId) || this.seenIds().has(traceId)) return;
    this.ids.set(traceId, simId);
  }

  private seenIds(): Set<string> {
    const ids = new Set<string>();
    for (const event of this.events) {
      for (const key of ['channel', 'peer', 'bridge', 'playback']) {
        const id = (event[key] as Json | undefined)?.['id'];
        if (typeof id === 'string') ids.add(id);
      }
    }
    return ids;
  }

  mapId = (id: string): string => this.ids.get(id) ?? id;

  rewrite<T>(value: T): T {
    let text = JSON.stringify(value);
    for (const [from, to] of this.ids) text = text.split(from).join(to);
    return JSON.parse(text) as T;
  }

  async request(line: TraceLine, mediaBase: string | undefined): Promise<{ status: number; body: unknown }> {
    let target = this.rewrite(line.path!);
    const toMediaServer = <T>(value: T): T =>
      JSON.parse(JSON.stringify(value).replace(/http:\/\/127\.0\.0\.1:8097/g, mediaBase ?? '')) as T;
    const query = new URLSearchParams(
      toMediaServer(this.rewrite(line.query ?? {})) as Record<string, string>,
    );
    const body = line.body === undefined ? undefined : toMediaServer(this.rewrite(line.body));
    target += query.toString() ? `?${query}` : '';
    const response = await fetch(`${this.sim.url}${target}`, {
      method: line.method,
      headers: {
        Authorization: `Basic ${Buffer.from(`${this.sim.username}:${this.sim.password}`).toString('base64')}`,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = Buffer.from(await response.arrayBuffer());
    const type = response.headers.get('content-type') ?? '';
    return {
      status: response.status,
      body:
        type.includes('json') && text.length > 0 ? JSON.parse(text.toString('utf8')) : { bytes: text.length },
    };
  }
}

/** Binds trace ids to simulator ids where the i-th compared events of both sides correspond. */
function mapByPosition(client: ReplayClient, traceEvents: Json[]): void {
  const count = Math.min(traceEvents.length, client.events.length);
  for (let i = 0; i < count; i++) {
    const a = traceEvents[i]!;
    const b = client.events[i]!;
    if (a['type'] !== b['type']) continue;
    for (const key of ['channel', 'peer', 'bridge', 'playback']) {
      const ta = (a[key] as Json | undefined)?.['id'];
      const tb = (b[key] as Json | undefined)?.['id'];
      if (typeof ta === 'string' && typeof tb === 'string') client.map(ta, tb);
    }
  }
}

async function waitForEvents(client: ReplayClient, count: number, timeoutMs = 4000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (client.events.length < count && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 10));
}

function groupByOwner(events: Json[], mapId: (id: string) => string): Map<string, Json[]> {
  const groups = new Map<string, Json[]>();
  for (const event of events) {
    const owner = mapId(ownerOf(event));
    const list = groups.get(owner) ?? [];
    list.push(essence(event, mapId));
    groups.set(owner, list);
  }
  return groups;
}

interface Replayed {
  statuses: Array<[string, number, number]>;
  traceGroups: Map<string, Json[]>;
  simGroups: Map<string, Json[]>;
  /** HTTP requests the real Asterisk made for `sound:http` media (from the trace's note), and the simulator's. */
  mediaFetches: { traced: number; simulated: number } | undefined;
}

async function replay(name: string): Promise<Replayed> {
  const lines = readTrace(name);
  const sim = await AsteriskSimulator.start({ timeScale: 0.1 });
  const media = http.createServer((_req, res) => {
    const audio = wavFile([{ speech: true, ms: 5700 }]);
    res
      .writeHead(200, {
        'Content-Type': 'audio/wav',
        'Cache-Control': 'max-age=86400',
        ETag: '"prompt"',
        'Content-Length': audio.length,
      })
      .end(audio);
  });
  await new Promise<void>((resolve) => media.listen(0, '127.0.0.1', resolve));
  const mediaBase = `http://127.0.0.1:${(media.address() as AddressInfo).port}`;
  const client = new ReplayClient(sim);
  await client.open();
  const traceEvents = lines
    .filter((l) => l.dir === 'event' && compared(l.event!))
    .map((l) => l.event as Json);
  const statuses: Array<[string, number, number]> = [];
  let tracedSoFar = 0;
  let pendingRequest: TraceLine | undefined;
  let mediaFetches: Replayed['mediaFetches'];
  try {
    for (const line of lines) {
      if (line.dir === 'event') {
        if (compared(line.event!)) tracedSoFar++;
        continue;
      }
      if (line.dir === 'note') {
        if (line.text?.startsWith('closing the app WebSocket')) client.close();
        if (line.text === 'reconnected') await client.open();
        const fetches = /^HTTP requests Asterisk made for the prompt: (.*)$/.exec(line.text ?? '');
        if (fetches)
          mediaFetches = {
            traced: (JSON.parse(fetches[1]!) as unknown[]).length,
            simulated: sim.catalog.httpFetches.length,
          };
        continue;
      }
      if (line.dir === 'response') {
        if (pendingRequest !== undefined) {
          const result = await client.request(pendingRequest, mediaBase);
          statuses.push([`${pendingRequest.method} ${pendingRequest.path}`, line.status!, result.status]);
          const traced = line.body as Json | undefined;
          const got = result.body as Json | undefined;
          if (typeof traced?.['id'] === 'string' && typeof got?.['id'] === 'string')
            client.map(traced['id'], got['id']);
          pendingRequest = undefined;
        }
        continue;
      }
      await waitForEvents(client, tracedSoFar);
      mapByPosition(client, traceEvents);
      const body = (line.body ?? {}) as Json;
      if (
        line.harness &&
        line.method === 'POST' &&
        line.path === '/ari/channels' &&
        String(body['endpoint']).includes('@sim-carrier')
      ) {
        const did = /PJSIP\/(\d+)@/.exec(String(body['endpoint']))![1]!;
        sim.call({
          to: did,
          from: String(body['callerId']),
          fromName: 'Sim Caller',
          steps: callerSteps(body),
        });
        continue;
      }
      pendingRequest = line;
    }
    await waitForEvents(client, traceEvents.length, 5000);
    mapByPosition(client, traceEvents);
  } finally {
    client.close();
    await sim.stop();
    media.close();
  }
  return {
    mediaFetches,
    statuses,
    traceGroups: groupByOwner(traceEvents, client.mapId),
    simGroups: groupByOwner(client.events, client.mapId),
  };
}

const TRACES = fs
  .readdirSync(TRACE_DIR)
  .filter((f) => f.endsWith('.jsonl'))
  .sort();

test('every recorded trace is covered', () => {
  expect(TRACES.length).toBeGreaterThanOrEqual(12);
});

describe.each(TRACES)('%s', (name) => {
  test('same statuses, and the same events per channel in the same order', async () => {
    const { statuses, traceGroups, simGroups, mediaFetches } = await replay(name);
    if (mediaFetches) expect(mediaFetches.simulated).toBe(mediaFetches.traced);
    for (const [request, traced, got] of statuses)
      expect({ request, status: got }).toEqual({ request, status: traced });
    expect(simGroups).toEqual(traceGroups);
  }, 60_000);
});

if (process.env['TRACE_DEBUG']) {
  test.only('debug', async () => {
    const result = await replay(process.env['TRACE_DEBUG']!);
    console.log(
      JSON.stringify(
        { statuses: result.statuses, sim: [...result.simGroups], trace: [...result.traceGroups] },
        null,
        1,
      ),
    );
  }, 60_000);
}
