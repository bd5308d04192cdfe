import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { writesPerTurn } from '../../src/util/writesPerTurn';

/** A real loopback TCP pair; resolves with the client side and the chunks the server side reads. */
async function pair(): Promise<{ client: net.Socket; chunks: string[]; close: () => Promise<void> }> {
  const chunks: string[] = [];
  const server = net.createServer((socket) => socket.on('data', (data) => chunks.push(data.toString())));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = net.connect((server.address() as AddressInfo).port, '127.0.0.1');
  await new Promise<void>((resolve) => client.once('connect', resolve));
  client.setNoDelay(true);
  return {
    client,
    chunks,
    close: async () => {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const settle = (ms = 50): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

test('writes of one turn leave together, in order; the next turn is written on its own', async () => {
  const { client, chunks, close } = await pair();
  try {
    const hold = writesPerTurn(client);
    for (const text of ['stop-prompt;', 'stop-hold;', 'join;']) {
      hold();
      client.write(text);
    }
    // Held in the stream until the end of the turn, not written one system call each.
    expect(client.writableLength).toBe('stop-prompt;stop-hold;join;'.length);
    await settle();
    expect(client.writableLength).toBe(0);
    expect(chunks).toEqual(['stop-prompt;stop-hold;join;']);
    hold();
    client.write('hangup;');
    await settle();
    expect(chunks).toEqual(['stop-prompt;stop-hold;join;', 'hangup;']);
  } finally {
    await close();
  }
});

test('a socket that cannot be corked is written to as before', () => {
  expect(() => writesPerTurn(undefined)()).not.toThrow();
  expect(() => writesPerTurn({})()).not.toThrow();
});
