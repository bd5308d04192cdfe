/**
 * The application's WebSocket goes away, as when the daemon crashes, restarts or drains: the
 * simulator must do what res_stasis.c and res/stasis/app.c do (test/fixtures/ari-traces/README.md,
 * "Facts from Asterisk's source"). Driven over real HTTP and WebSocket on loopback.
 */
import WebSocket from 'ws';
import { AsteriskSimulator } from '../../src/simulator';
import { until } from '../helpers/harness';

type Json = Record<string, unknown>;

interface EventSocket {
  events: Json[];
  ws: WebSocket;
  closed: Promise<void>;
}

let sim: AsteriskSimulator;
const sockets: WebSocket[] = [];

beforeEach(async () => {
  sim = await AsteriskSimulator.start({ timeScale: 0.05 });
});

afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  await sim.stop();
});

async function connect(app = 'lcr'): Promise<EventSocket> {
  const url = `${sim.url.replace('http', 'ws')}/ari/events?app=${app}&api_key=lcr:lcr-secret`;
  const ws = new WebSocket(url);
  sockets.push(ws);
  const events: Json[] = [];
  ws.on('message', (data: Buffer) => events.push(JSON.parse(data.toString('utf8')) as Json));
  const closed = new Promise<void>((resolve) => ws.on('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return { events, ws, closed };
}

async function ari(method: string, path: string, query: Record<string, string> = {}) {
  const url = new URL(`${sim.url}/ari${path}`);
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
  const response = await fetch(url, {
    method,
    headers: { Authorization: `Basic ${Buffer.from('lcr:lcr-secret').toString('base64')}` },
  });
  const text = await response.text();
  return { status: response.status, body: (text === '' ? undefined : JSON.parse(text)) as unknown };
}

const types = (events: Json[]) => events.map((e) => e['type']);
const waitFor = (what: () => boolean, label: string) => until(() => what() || undefined, 5000, label);

async function disconnect(socket: EventSocket): Promise<void> {
  socket.ws.terminate();
  await socket.closed;
  await waitFor(() => !sim.application().active, 'the app to be deactivated');
}

test('channels, bridges and playbacks stay; GET /applications/lcr still lists them; no StasisStart on return', async () => {
  const first = await connect();
  const caller = sim.call({ to: '+15550100', from: '+15551230001' });
  await waitFor(() => types(first.events).includes('StasisStart'), 'StasisStart');
  expect((await ari('POST', `/channels/${caller.channelId}/answer`)).status).toBe(204);
  const bridge = (await ari('POST', '/bridges', { type: 'mixing', name: 'lcr-call-1' })).body as Json;
  expect(
    (await ari('POST', `/bridges/${String(bridge['id'])}/addChannel`, { channel: caller.channelId })).status,
  ).toBe(204);
  await ari('POST', `/channels/${caller.channelId}/play`, { media: 'sound:hello-world' });

  await disconnect(first);
  expect(sim.application()).toMatchObject({ registered: true, active: false });
  const app = (await ari('GET', '/applications/lcr')).body as Json;
  expect(app).toMatchObject({ name: 'lcr', channel_ids: [caller.channelId], bridge_ids: [bridge['id']] });
  expect(((await ari('GET', '/applications')).body as Json[]).map((a) => a['name'])).toEqual(['lcr']);
  const channels = (await ari('GET', '/channels')).body as Json[];
  expect(
    channels.map((c) => [
      c['id'],
      c['state'],
      (c['dialplan'] as Json)['app_name'],
      (c['dialplan'] as Json)['app_data'],
    ]),
  ).toEqual([[caller.channelId, 'Up', 'Stasis', 'lcr']]);
  expect((await ari('GET', '/bridges')).body).toEqual([
    expect.objectContaining({ id: bridge['id'], name: 'lcr-call-1', channels: [caller.channelId] }),
  ]);
  // Events of the gap (the prompt ending, the caller pressing a key) are lost, not replayed.
  sim.press(caller.channelId, '5');
  await new Promise((resolve) => setTimeout(resolve, 300));

  const second = await connect();
  expect(sim.application().active).toBe(true);
  await ari('POST', `/channels/${caller.channelId}/play`, { media: 'sound:beep' });
  await waitFor(() => types(second.events).includes('PlaybackFinished'), 'the beep to finish');
  sim.press(caller.channelId, '1');
  await waitFor(() => types(second.events).includes('ChannelDtmfReceived'), 'the digit');
  expect(types(second.events)).toEqual(['PlaybackStarted', 'PlaybackFinished', 'ChannelDtmfReceived']);
  expect(second.events.find((e) => e['type'] === 'ChannelDtmfReceived')).toMatchObject({ digit: '1' });

  await ari('DELETE', `/channels/${caller.channelId}`);
  await caller.ended;
  await ari('DELETE', `/bridges/${String(bridge['id'])}`);
  expect(types(second.events)).toContain('StasisEnd');
  expect(types(second.events)).not.toContain('StasisStart');
  expect(sim.leftovers()).toEqual({ channels: [], bridges: [] });
  expect(sim.violations).toEqual([]);
});

test('a recording runs on while the app is away and is stored; its RecordingFinished is lost', async () => {
  const first = await connect();
  const caller = sim.call({ to: '+15550100', from: '+15551230001' });
  await waitFor(() => types(first.events).includes('StasisStart'), 'StasisStart');
  await ari('POST', `/channels/${caller.channelId}/answer`);
  const started = await ari('POST', `/channels/${caller.channelId}/record`, {
    name: 'vm-gap',
    format: 'wav',
    terminateOn: '#',
  });
  expect(started.status).toBe(201);
  await waitFor(() => types(first.events).includes('RecordingStarted'), 'RecordingStarted');
  await disconnect(first);
  expect(((await ari('GET', '/recordings/live/vm-gap')).body as Json)['state']).toBe('recording');
  await sim.act(caller.channelId, [{ speak: 2000 }, { press: '#' }]);
  await waitFor(() => sim.engine.storedRecordings.has('vm-gap'), 'the recording to be stored');

  const second = await connect();
  expect((await ari('GET', '/recordings/stored/vm-gap')).status).toBe(200);
  await ari('DELETE', `/channels/${caller.channelId}`);
  await waitFor(() => types(second.events).includes('StasisEnd'), 'StasisEnd');
  expect(types(second.events)).not.toContain('RecordingFinished');
  // The simulator's own log still has it, marked as never delivered.
  expect(sim.events.filter((e) => e.event.type === 'RecordingFinished').map((e) => e.delivered)).toEqual([
    false,
  ]);
  expect(sim.violations).toEqual([]);
});

test('a bridged call outlives the app: one side hanging up leaves the other in the bridge, nobody ends it', async () => {
  sim.phone('PJSIP/alice', { kind: 'answer' });
  const first = await connect();
  const caller = sim.call({ to: '+15550100', from: '+15551230001' });
  await waitFor(() => types(first.events).includes('StasisStart'), 'StasisStart');
  await ari('POST', `/channels/${caller.channelId}/answer`);
  await ari('POST', '/channels/alice-leg', { endpoint: 'PJSIP/alice', app: 'lcr', appArgs: 'responder' });
  await waitFor(
    () => types(first.events).filter((t) => t === 'StasisStart').length === 2,
    'alice in the app',
  );
  await ari('POST', '/bridges/call-bridge', { type: 'mixing', name: 'lcr-call' });
  await ari('POST', '/bridges/call-bridge/addChannel', { channel: `${caller.channelId},alice-leg` });
  await disconnect(first);

  await sim.act(caller.channelId, [{ hangup: true }]);
  await caller.ended;
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect((await ari('GET', '/bridges')).body).toEqual([
    expect.objectContaining({ id: 'call-bridge', name: 'lcr-call', channels: ['alice-leg'] }),
  ]);
  expect((await ari('GET', '/applications/lcr')).body).toMatchObject({
    channel_ids: ['alice-leg'],
    bridge_ids: ['call-bridge'],
  });

  const second = await connect();
  await ari('DELETE', '/channels/alice-leg');
  await waitFor(() => types(second.events).includes('ChannelDestroyed'), 'alice to end');
  expect(types(second.events)).toEqual([
    'ChannelVarset',
    'ChannelVarset',
    'ChannelVarset',
    'ChannelVarset',
    'ChannelVarset',
    'ChannelHangupRequest',
    'ChannelLeftBridge',
    'StasisEnd',
    'ChannelDestroyed',
  ]);
  await ari('DELETE', '/bridges/call-bridge');
  expect(sim.leftovers()).toEqual({ channels: [], bridges: [] });
  expect(sim.violations).toEqual([]);
});

test('a call reaching Stasis(lcr) while the app has no WebSocket fails in the dialplan and is hung up', async () => {
  const first = await connect();
  const waiting = sim.call({ to: '+15550100', from: '+15551230001' });
  await waitFor(() => types(first.events).includes('StasisStart'), 'StasisStart');
  await disconnect(first);

  const late = sim.call({ to: '+15550100', from: '+15551230002' });
  expect(await late.ended).toBe(16);
  expect(sim.transcript(late.channelId).map((t) => [t.kind, t.detail])).toEqual([
    ['continued', 'Stasis(lcr) failed: app not active, STASISSTATUS=FAILED'],
    ['ended', 'cause 16'],
  ]);
  expect(sim.application().channelIds).toEqual([waiting.channelId]);

  // Never registered at all: the same failure, "not registered".
  const other = sim.call({ to: '+15550100', from: '+15551230003', app: 'other' });
  expect(await other.ended).toBe(16);
  expect(sim.transcript(other.channelId)[0]?.detail).toBe(
    'Stasis(other) failed: app not registered, STASISSTATUS=FAILED',
  );
  const second = await connect();
  await ari('DELETE', `/channels/${waiting.channelId}`);
  await waiting.ended;
  await waitFor(() => types(second.events).includes('StasisEnd'), 'StasisEnd after the return');
  expect(types(second.events)).not.toContain('StasisStart');
  expect(sim.violations).toEqual([]);
});

test('a leg the app originated keeps ringing while it is away; answering then fails Stasis and ends the leg', async () => {
  sim.phone('PJSIP/alice', { kind: 'answer', ringMs: 2000 });
  sim.phone('PJSIP/bob', { kind: 'answer', ringMs: 20_000 });
  const first = await connect();
  await ari('POST', '/channels/alice-leg', { endpoint: 'PJSIP/alice', app: 'lcr', appArgs: 'responder,c1' });
  await ari('POST', '/channels/bob-leg', { endpoint: 'PJSIP/bob', app: 'lcr', appArgs: 'responder,c1' });
  await waitFor(() => sim.application().channelIds.length === 2, 'both legs to be dialled');
  await disconnect(first);
  // Subscribed at originate: listed while they ring, with the app away.
  expect(((await ari('GET', '/applications/lcr')).body as Json)['channel_ids']).toEqual([
    'alice-leg',
    'bob-leg',
  ]);

  const alice = sim.legs().find((l) => l.channelId === 'alice-leg')!;
  await until(() => alice.transcript.find((t) => t.kind === 'ended'), 5000, 'alice answers and is hung up');
  expect(alice.transcript.map((t) => [t.kind, t.detail])).toEqual([
    ['ringing', ''],
    ['answered', ''],
    ['continued', 'Stasis(lcr) failed: app not active, STASISSTATUS=FAILED'],
    ['ended', 'cause 16'],
  ]);

  const second = await connect();
  expect(((await ari('GET', '/applications/lcr')).body as Json)['channel_ids']).toEqual(['bob-leg']);
  const bob = (await ari('GET', '/channels/bob-leg')).body as Json;
  expect(bob).toMatchObject({ state: 'Ringing', dialplan: { app_name: 'AppDial2' } });
  await ari('DELETE', '/channels/bob-leg');
  await waitFor(() => types(second.events).includes('ChannelDestroyed'), 'bob hung up');
  expect(types(second.events)).not.toContain('StasisStart');
  expect(sim.leftovers()).toEqual({ channels: [], bridges: [] });
  expect(sim.violations).toEqual([]);
});

test('an originated leg in the app shows Stasis and its appArgs in GET /channels', async () => {
  sim.phone('PJSIP/alice', { kind: 'answer' });
  const socket = await connect();
  await ari('POST', '/channels/alice-leg', { endpoint: 'PJSIP/alice', app: 'lcr', appArgs: 'responder,c1' });
  await waitFor(() => types(socket.events).includes('StasisStart'), 'StasisStart');
  const start = socket.events.find((e) => e['type'] === 'StasisStart')!;
  expect(start).toMatchObject({
    args: ['responder', 'c1'],
    channel: { dialplan: { app_name: 'Stasis', app_data: 'lcr,responder,c1' } },
  });
  expect((await ari('GET', '/channels/alice-leg')).body).toMatchObject({
    dialplan: { app_name: 'Stasis', app_data: 'lcr,responder,c1' },
  });
  await ari('DELETE', '/channels/alice-leg');
  await waitFor(() => types(socket.events).includes('ChannelDestroyed'), 'the leg to end');
  expect(sim.violations).toEqual([]);
});

test('the app leaves the registry once it has no WebSocket and holds nothing', async () => {
  const first = await connect();
  const caller = sim.call({ to: '+15550100', from: '+15551230001' });
  await waitFor(() => types(first.events).includes('StasisStart'), 'StasisStart');
  await disconnect(first);
  expect((await ari('GET', '/applications/lcr')).status).toBe(200);
  await sim.act(caller.channelId, [{ hangup: true }]);
  await caller.ended;
  expect((await ari('GET', '/applications/lcr')).status).toBe(404);
  expect((await ari('GET', '/applications')).body).toEqual([]);
  expect(sim.application()).toEqual({ registered: false, active: false, channelIds: [], bridgeIds: [] });
  expect(types(first.events)).toEqual(['StasisStart']);
});

test('a second WebSocket for the same app takes it over; the first gets ApplicationReplaced and its close changes nothing', async () => {
  const first = await connect();
  const second = await connect();
  await waitFor(() => types(first.events).includes('ApplicationReplaced'), 'ApplicationReplaced');
  expect(first.events).toEqual([
    expect.objectContaining({ type: 'ApplicationReplaced', application: 'lcr' }),
  ]);
  expect(types(second.events)).toEqual([]);
  first.ws.close();
  await first.closed;
  const caller = sim.call({ to: '+15550100', from: '+15551230001' });
  await waitFor(() => types(second.events).includes('StasisStart'), 'StasisStart on the second');
  expect(sim.application().active).toBe(true);
  expect(types(first.events)).toEqual(['ApplicationReplaced']);
  await ari('DELETE', `/channels/${caller.channelId}`);
  await caller.ended;
  expect(sim.violations).toEqual([]);
});

test('closeWebSockets closes with 1001 and allows reconnecting at once; refuseWebSockets refuses new ones only', async () => {
  const first = await connect();
  const code = new Promise<number>((resolve) => first.ws.on('close', (c: number) => resolve(c)));
  sim.closeWebSockets();
  expect(await code).toBe(1001);
  await connect();
  sim.refuseWebSockets(60_000);
  await expect(connect()).rejects.toThrow(/503/);
  expect(sim.connectedWebSockets).toBe(1);
});
