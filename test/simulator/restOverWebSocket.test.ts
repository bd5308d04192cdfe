/**
 * REST over the event WebSocket (Asterisk 22's RESTRequest/RESTResponse, res/ari/
 * ari_websocket_requests.c), driven over real HTTP and WebSocket on loopback.
 */
import WebSocket from 'ws';
import type { AsteriskSimulator } from '../../src/simulator';
import {
  body,
  bridge,
  caller,
  connect,
  connection,
  httpRequest,
  start,
  stopAll,
  types,
  waitFor,
  type Json,
} from './restClient';

let sim: AsteriskSimulator;

afterEach(stopAll);

test('answer, play, bridge and addChannel round trip as RESTRequests, answered by RESTResponses', async () => {
  sim = await start();
  const socket = await connect();
  const call = sim.call({ to: '+15550100', from: '+15551230001' });
  await waitFor(() => types(socket).includes('StasisStart'), 'StasisStart');

  const answered = await socket.rest({
    transaction_id: 'tx-1',
    method: 'POST',
    uri: `channels/${call.channelId}/answer`,
  });
  expect(answered).toEqual({
    type: 'RESTResponse',
    transaction_id: 'tx-1',
    request_id: expect.stringMatching(/^r\d+$/),
    status_code: 204,
    reason_phrase: 'No Content',
    uri: `channels/${call.channelId}/answer`,
    application: 'lcr',
    timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/),
    asterisk_id: sim.engine.asteriskId,
  });

  // A query string in the uri; the response's uri is without it.
  const played = await socket.rest({
    method: 'POST',
    uri: `channels/${call.channelId}/play?media=sound:beep`,
  });
  expect(played).toMatchObject({
    status_code: 201,
    reason_phrase: 'Created',
    uri: `channels/${call.channelId}/play`,
    content_type: 'application/json',
  });
  expect(body(played)).toMatchObject({ media_uri: 'sound:beep', target_uri: `channel:${call.channelId}` });
  await waitFor(() => types(socket).includes('PlaybackFinished'), 'the beep to finish');

  // Parameters in query_strings.
  const created = await socket.rest({
    method: 'POST',
    uri: 'bridges',
    query_strings: [
      { name: 'type', value: 'mixing' },
      { name: 'name', value: 'ws-bridge' },
    ],
  });
  expect(created).toMatchObject({ status_code: 200, reason_phrase: 'OK', uri: 'bridges' });
  const bridgeId = String(body(created)['id']);
  expect(body(created)).toMatchObject({ name: 'ws-bridge', bridge_type: 'mixing' });

  // A JSON body.
  const added = await socket.rest({
    method: 'POST',
    uri: `bridges/${bridgeId}/addChannel`,
    content_type: 'application/json',
    message_body: JSON.stringify({ channel: call.channelId }),
  });
  expect(added).toMatchObject({ status_code: 204, reason_phrase: 'No Content' });
  expect(added).not.toHaveProperty('message_body');
  expect(types(socket)).toContain('ChannelEnteredBridge');

  // A form body becomes parameters.
  const removed = await socket.rest({
    method: 'POST',
    uri: `bridges/${bridgeId}/removeChannel`,
    content_type: 'application/x-www-form-urlencoded',
    message_body: `channel=${encodeURIComponent(call.channelId)}`,
  });
  expect(removed).toMatchObject({ status_code: 204 });
  expect(types(socket)).toContain('ChannelLeftBridge');

  // An error answer carries Asterisk's JSON error as its body.
  const missing = await socket.rest({ method: 'GET', uri: 'channels/nonexistent' });
  expect(missing).toMatchObject({
    status_code: 404,
    reason_phrase: 'Not Found',
    uri: 'channels/nonexistent',
  });
  expect(body(missing)).toEqual({ message: 'Channel not found' });

  // The event log says when each event went out; the client got it no earlier.
  const pressedAt = performance.now();
  sim.press(call.channelId, '1');
  await waitFor(() => types(socket).includes('ChannelDtmfReceived'), 'the digit');
  const logged = sim.events.find((e) => e.event.type === 'ChannelDtmfReceived')!;
  const got = socket.received.find((r) => r.message['type'] === 'ChannelDtmfReceived')!;
  expect(logged.at).toBeGreaterThanOrEqual(pressedAt);
  expect(logged.at).toBeLessThanOrEqual(got.at);
  expect(sim.events.some((e) => e.event.type === 'ChannelEnteredBridge')).toBe(true);

  expect((await socket.rest({ method: 'DELETE', uri: `bridges/${bridgeId}` }))['status_code']).toBe(204);
  expect((await socket.rest({ method: 'DELETE', uri: `channels/${call.channelId}` }))['status_code']).toBe(
    204,
  );
  await call.ended;
  const overWebSocket = sim.requests.filter((r) => r.transport === 'websocket');
  expect(overWebSocket.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
    `POST /ari/channels/${call.channelId}/answer 204`,
    `POST /ari/channels/${call.channelId}/play 201`,
    'POST /ari/bridges 200',
    `POST /ari/bridges/${bridgeId}/addChannel 204`,
    `POST /ari/bridges/${bridgeId}/removeChannel 204`,
    'GET /ari/channels/nonexistent 404',
    `DELETE /ari/bridges/${bridgeId} 204`,
    `DELETE /ari/channels/${call.channelId} 204`,
  ]);
  expect(overWebSocket[1]).toMatchObject({ operation: 'channels.play', query: { media: 'sound:beep' } });
  expect(sim.leftovers()).toEqual({ channels: [], bridges: [] });
  expect(sim.violations).toEqual([]);
});

test("a socket's requests are handled one at a time: a join behind a prompt holds back the next request", async () => {
  sim = await start({ timeScale: 0.1 });
  const socket = await connect();
  const first = await caller(socket, '+15551230001');
  const second = await caller(socket, '+15551230002');
  const bridgeId = await bridge(socket);
  // tt-monkeys: 6000 ms, 600 ms at this time scale.
  await socket.rest({ method: 'POST', uri: `channels/${first}/play?media=sound:tt-monkeys` });
  await waitFor(() => types(socket).includes('PlaybackStarted'), 'the prompt to start');

  const sentAt = performance.now();
  const join = socket.rest({ method: 'POST', uri: `bridges/${bridgeId}/addChannel?channel=${first}` });
  const cheap = socket.rest({ method: 'GET', uri: `channels/${second}` });
  const order: string[] = [];
  void join.then(() => order.push('join'));
  void cheap.then(() => order.push('cheap'));
  // The same cheap request over HTTP is not held back by the WebSocket's queue.
  const overHttp = await httpRequest(connection(), 'GET', `/channels/${second}`);
  expect(overHttp.status).toBe(200);
  expect(order).toEqual([]);

  const [joined, got] = await Promise.all([join, cheap]);
  expect(order).toEqual(['join', 'cheap']);
  expect(joined['status_code']).toBe(204);
  expect(got['status_code']).toBe(200);
  const joinAnsweredAt = socket.received.find((r) => r.message === joined)!.at;
  expect(joinAnsweredAt - sentAt).toBeGreaterThan(400);
  expect(overHttp.at).toBeLessThan(joinAnsweredAt);
  // The cheap request was not even taken up before the join was answered.
  const records = sim.requests.filter((r) => r.transport === 'websocket');
  const joinRecord = records.find((r) => r.operation === 'bridges.addChannel')!;
  const cheapRecord = records.find((r) => r.path === `/ari/channels/${second}`)!;
  expect(cheapRecord.arrived).toBeGreaterThan(joinRecord.arrived);
  expect(cheapRecord.answeredAt).toBeGreaterThanOrEqual(joinRecord.answeredAt);

  await socket.rest({ method: 'DELETE', uri: `bridges/${bridgeId}` });
  for (const id of [first, second]) await socket.rest({ method: 'DELETE', uri: `channels/${id}` });
  await waitFor(() => sim.leftovers().channels.length === 0, 'the channels to go');
  expect(sim.violations).toEqual([]);
});

test('malformed RESTRequests are answered 400, a file over the WebSocket 406', async () => {
  sim = await start();
  const socket = await connect();
  const bad = (response: Json) => ({
    status: response['status_code'],
    reason: response['reason_phrase'],
    uri: response['uri'],
    message: response['message_body'] === undefined ? undefined : body(response)['message'],
  });

  expect(
    await socket.raw(
      JSON.stringify({ transaction_id: 'a', request_id: 'b', method: 'GET', uri: 'channels' }),
    ),
  ).toMatchObject({
    transaction_id: 'a',
    request_id: 'b',
    status_code: 400,
    reason_phrase: 'Bad request',
    uri: '',
    content_type: 'application/json',
    message_body: JSON.stringify({ message: "No 'type' property." }),
  });
  expect(bad(await socket.raw(JSON.stringify({ type: 'Ping', method: 'GET', uri: 'channels' })))).toEqual({
    status: 400,
    reason: 'Bad request',
    uri: '',
    message: 'Unknown request type.',
  });
  // Ids absent: echoed as "".
  expect(await socket.raw(JSON.stringify({ type: 'RESTRequest', method: 'GET', uri: '' }))).toMatchObject({
    transaction_id: '',
    request_id: '',
    status_code: 400,
    message_body: JSON.stringify({ message: "Empty or missing 'uri' property." }),
  });
  expect(bad(await socket.rest({ method: 'FETCH', uri: 'channels?x=1' }))).toEqual({
    status: 400,
    reason: 'Bad request',
    uri: 'channels',
    message: "Unknown or missing 'method' property.",
  });
  expect(bad(await socket.rest({ method: 'post', uri: 'bridges' }))['message']).toBe(
    "Unknown or missing 'method' property.",
  );
  expect(
    bad(await socket.rest({ method: 'POST', uri: 'bridges', message_body: '{"type":"mixing"}' })),
  ).toEqual({
    status: 400,
    reason: 'Bad request',
    uri: 'bridges',
    message: "No 'content_type' for 'message_body'.",
  });
  expect(
    bad(
      await socket.rest({
        method: 'POST',
        uri: 'bridges',
        content_type: 'application/json',
        message_body: '{type',
      }),
    ),
  ).toMatchObject({ status: 400, message: "Unable to parse 'message_body' as 'application/json'." });
  expect(
    bad(
      await socket.rest({
        method: 'POST',
        uri: 'bridges',
        content_type: 'text/plain',
        message_body: 'type=mixing',
      }),
    ),
  ).toMatchObject({ status: 400, message: 'Unknown content type.' });
  expect(
    bad(await socket.rest({ method: 'GET', uri: 'channels', query_strings: [{ name: 'a', value: 1 }] })),
  ).toMatchObject({ status: 400, message: "Unable to parse 'query_strings' array." });
  // Not JSON at all: session_read's own answer, without a body.
  expect(await socket.raw('{not json')).toMatchObject({
    transaction_id: '',
    request_id: '',
    status_code: 400,
    reason_phrase: 'Failed to parse request message JSON',
    uri: '',
  });
  // Every message was logged, in order, as refused.
  expect(sim.requests.map((r) => [r.transport, r.status, r.arrived])).toEqual(
    [...Array(10).keys()].map((i) => ['websocket', 400, i + 1]),
  );
  // Past the envelope, the same checks as over HTTP.
  expect(bad(await socket.rest({ method: 'GET', uri: 'nothing/here' }))).toEqual({
    status: 404,
    reason: 'Not Found',
    uri: 'nothing/here',
    message: 'Resource not found',
  });
  expect(bad(await socket.rest({ method: 'PUT', uri: 'channels' }))['status']).toBe(405);
  expect(bad(await socket.rest({ method: 'GET', uri: 'events?app=other' }))).toEqual({
    status: 400,
    reason: 'Bad request',
    uri: 'events',
    message: "Can't upgrade to websocket from a websocket",
  });

  // A stored recording's file cannot travel in a RESTResponse.
  const channelId = await caller(socket);
  expect(
    (await socket.rest({ method: 'POST', uri: `channels/${channelId}/record?name=ws-vm&format=wav` }))[
      'status_code'
    ],
  ).toBe(201);
  await waitFor(() => types(socket).includes('RecordingStarted'), 'RecordingStarted');
  await sim.act(channelId, [{ speak: 1000 }]);
  expect((await socket.rest({ method: 'POST', uri: 'recordings/live/ws-vm/stop' }))['status_code']).toBe(204);
  await waitFor(() => sim.engine.storedRecordings.has('ws-vm'), 'the recording to be stored');
  const file = await socket.rest({ method: 'GET', uri: 'recordings/stored/ws-vm/file' });
  expect(file).toMatchObject({
    status_code: 406,
    reason_phrase: 'Not Acceptable.  Use HTTP GET',
    uri: 'recordings/stored/ws-vm/file',
  });
  expect(file).not.toHaveProperty('message_body');
  expect(file).not.toHaveProperty('content_type');
  expect(sim.requests.find((r) => r.path === '/ari/recordings/stored/ws-vm/file')).toMatchObject({
    status: 406,
    transport: 'websocket',
    operation: 'recordings.getStoredFile',
  });
  expect((await httpRequest(connection(), 'GET', '/recordings/stored/ws-vm/file')).status).toBe(200);
  expect(socket.ws.readyState).toBe(WebSocket.OPEN);

  await socket.rest({ method: 'DELETE', uri: `channels/${channelId}` });
  await waitFor(() => sim.leftovers().channels.length === 0, 'the channel to go');
  // Every RESTResponse passed the simulator's own check of what it writes.
  expect(sim.violations).toEqual([]);
});
