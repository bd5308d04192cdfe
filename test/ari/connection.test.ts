import * as net from 'node:net';
import { AriConnection } from '../../src/ari/connection';
import { AriRequestError } from '../../src/ari/types';
import { createLogger, type Logger } from '../../src/log/logger';
import { AsteriskSimulator } from '../../src/simulator';
import { until } from '../helpers/harness';
import { Writable } from 'node:stream';

// ari-client retries a lost WebSocket ten times over ~43 s before giving up; shorten its backoff
// so the give-up path (WebSocketMaxRetries) is exercised in seconds, through ari-client's own code.
jest.mock('backoff-func', () => {
  const actual = jest.requireActual<{ create: (opts: object) => unknown }>('backoff-func');
  return { create: () => actual.create({ delay: 20, maxDelay: 40, maxRetries: 3 }) };
});

function logCollector(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger({ format: 'json', level: 'debug', stream }), lines };
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

test('Asterisk down at start: retries with backoff, logs each attempt once, connects when it comes up', async () => {
  const port = await freePort();
  const { logger, lines } = logCollector();
  const connection = new AriConnection(
    {
      url: `http://127.0.0.1:${port}`,
      username: 'lcr',
      password: 'lcr-secret',
      app: 'lcr',
      requestTimeoutMs: 1000,
      minRetryMs: 50,
      maxRetryMs: 200,
    },
    logger,
  );
  cleanups.push(() => connection.stop());
  connection.start();
  await until(
    () =>
      lines.filter((l) => l['message'] === 'cannot connect to Asterisk ARI; retrying').length >= 3 ||
      undefined,
    10_000,
  );
  const attempts = lines.filter((l) => l['message'] === 'cannot connect to Asterisk ARI; retrying');
  expect(attempts.map((l) => l['attempt'])).toEqual(attempts.map((_l, i) => i + 1));
  expect(attempts.map((l) => l['retryInMs'])).toEqual(attempts.map((_l, i) => Math.min(200, 50 * 2 ** i)));
  expect(connection.state.status).toBe('connecting');

  const sim = await AsteriskSimulator.start({ port });
  cleanups.push(() => sim.stop());
  await until(() => connection.state.status === 'connected' || undefined, 10_000);
  expect(connection.state.attempts).toBe(0);
  expect(sim.connectedWebSockets).toBe(1);
});

test('after ari-client gives up on the WebSocket, a fresh connection is made and reported', async () => {
  const sim = await AsteriskSimulator.start();
  cleanups.push(() => sim.stop());
  const { logger, lines } = logCollector();
  const connection = new AriConnection(
    {
      url: sim.url,
      username: 'lcr',
      password: 'lcr-secret',
      app: 'lcr',
      requestTimeoutMs: 1000,
      minRetryMs: 50,
      maxRetryMs: 200,
    },
    logger,
  );
  cleanups.push(() => connection.stop());
  let reconnected = 0;
  connection.on('reconnected', () => reconnected++);
  connection.start();
  await until(() => connection.state.status === 'connected' || undefined);
  sim.dropWebSockets(1500);
  await until(() => connection.state.status === 'reconnecting' || undefined);
  await until(
    () =>
      lines.some((l) => l['message'] === 'ARI WebSocket retries exhausted; starting a new connection') ||
      undefined,
    10_000,
  );
  await until(() => connection.state.status === 'connected' || undefined, 10_000);
  expect(reconnected).toBe(1);
  expect(connection.state.reconnects).toBe(1);
  await expect(connection.port.getChannel('nope')).rejects.toMatchObject({ notFound: true });
});

test('every REST request has a timeout, and a request while disconnected fails at once', async () => {
  const sim = await AsteriskSimulator.start();
  cleanups.push(() => sim.stop());
  const { logger } = logCollector();
  const connection = new AriConnection(
    { url: sim.url, username: 'lcr', password: 'lcr-secret', app: 'lcr', requestTimeoutMs: 200 },
    logger,
  );
  cleanups.push(() => connection.stop());
  await expect(connection.port.answer('x')).rejects.toThrow(/not connected/);
  connection.start();
  await until(() => connection.state.status === 'connected' || undefined);
  sim.stall('endpoints.list', 2000);
  const started = Date.now();
  const error = await connection.port.listEndpoints().catch((e: unknown) => e);
  expect(error).toBeInstanceOf(AriRequestError);
  expect((error as AriRequestError).timedOut).toBe(true);
  expect(Date.now() - started).toBeLessThan(1500);
});

test('wrong credentials are refused like Asterisk refuses them', async () => {
  const sim = await AsteriskSimulator.start();
  cleanups.push(() => sim.stop());
  const response = await fetch(`${sim.url}/ari/channels`, {
    headers: { Authorization: `Basic ${Buffer.from('lcr:wrong').toString('base64')}` },
  });
  expect(response.status).toBe(401);
  expect(response.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
});
