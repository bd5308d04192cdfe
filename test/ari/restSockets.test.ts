/**
 * REST over several WebSockets (restSockets.ts), against the simulator, which like Asterisk runs
 * each WebSocket's requests one at a time to their answer: one call's requests keep to one
 * socket and reach Asterisk in the order they were made; calls spread over the sockets; and a
 * request that takes Asterisk long holds back only the calls that share its socket.
 */
import { AriConnection } from '../../src/ari/connection';
import { restSocketApp } from '../../src/ari/restSockets';
import { createLogger } from '../../src/log/logger';
import { AsteriskSimulator } from '../../src/simulator';
import { until } from '../helpers/harness';

let sim: AsteriskSimulator;
let connection: AriConnection;

beforeEach(async () => {
  sim = await AsteriskSimulator.start();
  connection = new AriConnection(
    {
      url: sim.url,
      username: 'lcr',
      password: 'lcr-secret',
      app: 'lcr',
      requestTimeoutMs: 5000,
      restTransport: 'websocket',
      restSockets: 3,
    },
    createLogger({ level: 'error' }),
  );
  connection.start();
  await until(
    () =>
      (connection.state.status === 'connected' &&
        connection.state.restSockets?.open === 3 &&
        sim.webSocketsOf('lcr') === 1 &&
        sim.webSocketsOf(restSocketApp('lcr', 1)) === 1 &&
        sim.webSocketsOf(restSocketApp('lcr', 2)) === 1) ||
      undefined,
    10_000,
    'the event WebSocket and two REST WebSockets',
  );
});
afterEach(async () => {
  connection.stop();
  await until(() => sim.stalledRequests === 0 || undefined, 5000);
  await sim.stop();
});

const ignore = (): undefined => undefined;

/** The connection each channel's requests came on, in arrival order, from the simulator's log. */
function arrivals(prefix: string): Array<{ channel: string; connection: number; order: number }> {
  return sim.requests
    .filter((r) => r.transport === 'websocket' && r.path.startsWith(`/ari/channels/${prefix}`))
    .sort((a, b) => a.arrived - b.arrived)
    .map((r) => ({ channel: r.path.split('/')[3]!, connection: r.connection, order: r.arrived }));
}

test("one call's requests keep to one socket, in the order made; calls spread over the sockets", async () => {
  const requests: Array<Promise<unknown>> = [];
  for (let call = 0; call < 20; call++) {
    const port = connection.port.forCall(`call-${call}`);
    for (let step = 0; step < 5; step++) requests.push(port.getChannel(`c${call}-${step}`).catch(ignore));
  }
  await Promise.all(requests);
  const seen = arrivals('c');
  expect(seen).toHaveLength(100);
  const socketsOfCall = new Map<string, Set<number>>();
  const stepsOfCall = new Map<string, number[]>();
  for (const { channel, connection: socket } of seen) {
    const [call, step] = channel.slice(1).split('-');
    socketsOfCall.set(call!, (socketsOfCall.get(call!) ?? new Set()).add(socket));
    stepsOfCall.set(call!, [...(stepsOfCall.get(call!) ?? []), Number(step)]);
  }
  for (const sockets of socketsOfCall.values()) expect(sockets.size).toBe(1);
  for (const steps of stepsOfCall.values()) expect(steps).toEqual([0, 1, 2, 3, 4]);
  const used = new Set(seen.map((r) => r.connection));
  expect(used.size).toBe(3);
});

test('a request that takes Asterisk long holds back only the calls on its socket', async () => {
  // Which socket each call lands on, from a first request of each.
  const keys = Array.from({ length: 12 }, (_, i) => `probe-${i}`);
  await Promise.all(keys.map((key) => connection.port.forCall(key).getChannel(`p${key}`).catch(ignore)));
  const socketOf = new Map(arrivals('pprobe-').map((r) => [r.channel.slice(1), r.connection]));
  const slow = keys[0]!;
  const sameSocket = keys.find((k) => k !== slow && socketOf.get(k) === socketOf.get(slow))!;
  const otherSocket = keys.find((k) => socketOf.get(k) !== socketOf.get(slow))!;
  expect(sameSocket).toBeDefined();
  expect(otherSocket).toBeDefined();

  sim.stall('channels.answer', 600);
  const settled: string[] = [];
  const note = (what: string) => () => void settled.push(what);
  const answering = connection.port.forCall(slow).answer('slow-one').then(note('slow'), note('slow'));
  const behind = connection.port
    .forCall(sameSocket)
    .getChannel('behind')
    .then(note('same socket'), note('same socket'));
  const beside = connection.port
    .forCall(otherSocket)
    .getChannel('beside')
    .then(note('other socket'), note('other socket'));
  await Promise.all([answering, behind, beside]);
  expect(settled).toEqual(['other socket', 'slow', 'same socket']);
});

test('a REST socket lost: its calls go on over the event WebSocket, and it comes back', async () => {
  const keys = Array.from({ length: 12 }, (_, i) => `k-${i}`);
  await Promise.all(keys.map((key) => connection.port.forCall(key).getChannel(`a${key}`).catch(ignore)));
  const before = new Map(arrivals('ak-').map((r) => [r.channel.slice(1), r.connection]));
  sim.dropWebSocketsOf(restSocketApp('lcr', 1));
  sim.dropWebSocketsOf(restSocketApp('lcr', 2));
  await until(() => connection.state.restSockets?.open === 1 || undefined, 5000, 'the REST sockets to close');
  expect(connection.state.restSockets).toEqual({ open: 1, configured: 3 });
  const answers = await Promise.all(
    keys.map((key) =>
      connection.port
        .forCall(key)
        .getChannel(`b${key}`)
        .then(
          () => 'found',
          (error: { notFound?: boolean }) => (error.notFound === true ? 'not found' : 'failed'),
        ),
    ),
  );
  // Every request was answered by Asterisk (a 404 for these made-up channels), none lost.
  expect(answers.every((a) => a === 'not found')).toBe(true);
  // All on one socket meanwhile: the event WebSocket, one of the three used before.
  expect(new Set(before.values()).size).toBe(3);
  const during = new Set(arrivals('bk-').map((r) => r.connection));
  expect(during.size).toBe(1);
  expect([...new Set(before.values())]).toContain([...during][0]);
  await until(() => connection.state.restSockets?.open === 3 || undefined, 10_000, 'the REST sockets back');
  await Promise.all(keys.map((key) => connection.port.forCall(key).getChannel(`c${key}`).catch(ignore)));
  const after = new Map(arrivals('ck-').map((r) => [r.channel.slice(1), r.connection]));
  expect(new Set(after.values()).size).toBe(3);
});
