/**
 * What the simulator records and lets tests tune about request and join timing: the transport,
 * connection and arrival order of every request, joinMs, joinsBehindMedia, and connections whose
 * requests are delayed so that others overtake them. Real HTTP and WebSocket on loopback.
 */
import type { AsteriskSimulator } from '../../src/simulator';
import {
  body,
  bridge,
  caller,
  connect,
  connection,
  httpRequest,
  sleep,
  start,
  stopAll,
  types,
  waitFor,
  type Json,
} from './restClient';

let sim: AsteriskSimulator;

afterEach(stopAll);

test('each request records its transport, its connection and the order it arrived in', async () => {
  sim = await start();
  const socket = await connect();
  const a = connection();
  const b = connection();
  expect((await httpRequest(a, 'GET', '/asterisk/ping')).status).toBe(200);
  expect((await socket.rest({ method: 'GET', uri: 'asterisk/ping' }))['status_code']).toBe(200);
  expect((await httpRequest(b, 'GET', '/asterisk/ping')).status).toBe(200);
  expect((await httpRequest(a, 'GET', '/asterisk/ping')).status).toBe(200);

  const records = sim.requests.map((r) => ({
    transport: r.transport,
    connection: r.connection,
    arrived: r.arrived,
  }));
  // Connections are numbered in accept order: the WebSocket's came first.
  expect(records).toEqual([
    { transport: 'http', connection: 2, arrived: 1 },
    { transport: 'websocket', connection: 1, arrived: 2 },
    { transport: 'http', connection: 3, arrived: 3 },
    { transport: 'http', connection: 2, arrived: 4 },
  ]);
  for (const record of sim.requests) expect(record.answeredAt).toBeGreaterThanOrEqual(record.at);
});

test('a bridge join takes joinMs of its channel, the channels of one addChannel one after the other', async () => {
  // 400 simulated ms at half speed: 200 ms of real time per join.
  sim = await start({ timeScale: 0.5, joinMs: 400 });
  const socket = await connect();
  const first = await caller(socket, '+15551230001');
  const second = await caller(socket, '+15551230002');
  const bridgeId = await bridge(socket);

  const sentAt = performance.now();
  const response = await socket.rest({
    method: 'POST',
    uri: `bridges/${bridgeId}/addChannel?channel=${first},${second}`,
  });
  const answeredAt = performance.now();
  expect(response['status_code']).toBe(204);
  const entered = sim.events.filter((e) => e.event.type === 'ChannelEnteredBridge');
  // In the order named, as Asterisk's addChannel waits for each channel's join before the next.
  expect(entered.map((e) => (e.event['channel'] as Json)['id'])).toEqual([first, second]);
  expect(entered[0]!.at - sentAt).toBeGreaterThanOrEqual(195);
  expect(entered[1]!.at - entered[0]!.at).toBeGreaterThanOrEqual(195);
  expect(entered[1]!.at).toBeLessThanOrEqual(answeredAt);
  expect(answeredAt - sentAt).toBeGreaterThanOrEqual(390);
  expect(sim.joinsBehindMedia).toEqual([]);

  await socket.rest({ method: 'DELETE', uri: `bridges/${bridgeId}` });
  for (const id of [first, second]) await socket.rest({ method: 'DELETE', uri: `channels/${id}` });
  await waitFor(() => sim.leftovers().channels.length === 0, 'the channels to go');
  expect(sim.violations).toEqual([]);
});

test('joinsBehindMedia records a join issued while a prompt plays, not one issued after it was stopped', async () => {
  sim = await start({ timeScale: 0.1 });
  const socket = await connect();
  const first = await caller(socket, '+15551230001');
  const second = await caller(socket, '+15551230002');
  const bridgeId = await bridge(socket);

  await socket.rest({ method: 'POST', uri: `channels/${first}/play?media=sound:tt-monkeys` });
  const playback = body(
    await socket.rest({ method: 'POST', uri: `channels/${second}/play?media=sound:tt-monkeys` }),
  );
  await waitFor(
    () => types(socket).filter((t) => t === 'PlaybackStarted').length === 2,
    'both prompts to start',
  );
  await sleep(100);
  expect(
    (await socket.rest({ method: 'DELETE', uri: `playbacks/${String(playback['id'])}` }))['status_code'],
  ).toBe(204);
  await waitFor(() => types(socket).includes('PlaybackFinished'), 'the stopped prompt to finish');

  expect(
    (await socket.rest({ method: 'POST', uri: `bridges/${bridgeId}/addChannel?channel=${second}` }))[
      'status_code'
    ],
  ).toBe(204);
  expect(sim.joinsBehindMedia).toEqual([]);
  expect(
    (await socket.rest({ method: 'POST', uri: `bridges/${bridgeId}/addChannel?channel=${first}` }))[
      'status_code'
    ],
  ).toBe(204);
  expect(sim.joinsBehindMedia).toEqual([{ channelId: first, bridgeId, waitedMs: expect.any(Number) }]);
  // It waited for the rest of the 600 ms prompt.
  expect(sim.joinsBehindMedia[0]!.waitedMs).toBeGreaterThan(250);

  await socket.rest({ method: 'DELETE', uri: `bridges/${bridgeId}` });
  for (const id of [first, second]) await socket.rest({ method: 'DELETE', uri: `channels/${id}` });
  await waitFor(() => sim.leftovers().channels.length === 0, 'the channels to go');
  expect(sim.violations).toEqual([]);
});

test('a request on a delayed connection is overtaken by one sent later on another connection', async () => {
  sim = await start();
  const slow = connection();
  const fast = connection();
  // Open both connections first, to learn their numbers.
  await httpRequest(slow, 'GET', '/asterisk/ping');
  await httpRequest(fast, 'GET', '/asterisk/ping');
  const [slowNumber, fastNumber] = sim.requests.map((r) => r.connection);
  expect(slowNumber).not.toBe(fastNumber);
  sim.delayConnections((n) => (n === slowNumber ? 300 : 0));

  const slowDone = httpRequest(slow, 'POST', '/asterisk/variable?variable=WHO&value=slow');
  await sleep(20);
  const fastDone = httpRequest(fast, 'POST', '/asterisk/variable?variable=WHO&value=fast');
  const [slowAnswer, fastAnswer] = await Promise.all([slowDone, fastDone]);
  expect([slowAnswer.status, fastAnswer.status]).toEqual([204, 204]);
  expect(fastAnswer.at).toBeLessThan(slowAnswer.at);

  const sets = sim.requests.filter((r) => r.operation === 'asterisk.setGlobalVar');
  const slowSet = sets.find((r) => r.connection === slowNumber)!;
  const fastSet = sets.find((r) => r.connection === fastNumber)!;
  expect(slowSet.at).toBeLessThan(fastSet.at); // read first...
  expect(slowSet.arrived).toBeGreaterThan(fastSet.arrived); // ...handled second
  sim.delayConnections(() => 0);
  const url = new URL(`${sim.url}/ari/asterisk/variable?variable=WHO`);
  const value = (await (
    await fetch(url, {
      headers: { Authorization: `Basic ${Buffer.from('lcr:lcr-secret').toString('base64')}` },
    })
  ).json()) as Json;
  expect(value).toEqual({ value: 'slow' });
  expect(sim.violations).toEqual([]);
});

test('a delayed WebSocket holds its RESTRequests back while HTTP requests go on', async () => {
  sim = await start();
  const socket = await connect();
  await socket.rest({ method: 'GET', uri: 'asterisk/ping' });
  const webSocketNumber = sim.requests[0]!.connection;
  sim.delayConnections((n) => (n === webSocketNumber ? 300 : 0));

  const overWebSocket = socket.rest({
    method: 'POST',
    uri: 'asterisk/variable?variable=WHO&value=websocket',
  });
  await sleep(20);
  const overHttp = await httpRequest(connection(), 'POST', '/asterisk/variable?variable=WHO&value=http');
  expect(overHttp.status).toBe(204);
  expect((await overWebSocket)['status_code']).toBe(204);
  const sets = sim.requests.filter((r) => r.operation === 'asterisk.setGlobalVar');
  expect(sets.map((r) => [r.transport, r.arrived])).toEqual([
    ['http', 2],
    ['websocket', 3],
  ]);
  sim.delayConnections(() => 0);
  expect(body(await socket.rest({ method: 'GET', uri: 'asterisk/variable?variable=WHO' }))).toEqual({
    value: 'websocket',
  });
  expect(sim.violations).toEqual([]);
});
