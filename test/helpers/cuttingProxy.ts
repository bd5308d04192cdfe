/**
 * A TCP proxy on a free loopback port that can lose every connection on demand, for chaos tests
 * where a daemon loses its database: `cut()` resets every open connection (both sides) and resets
 * each new one as soon as it arrives, until `heal()`.
 */
import * as net from 'node:net';

export interface CuttingProxy {
  /** The proxy's port on 127.0.0.1. */
  port: number;
  /** Resets every open connection, and every new one until `heal()`. */
  cut(): void;
  /** Forwards new connections again. */
  heal(): void;
  /** Connections open through the proxy now. */
  connections(): number;
  /** Resets every connection and stops listening. */
  close(): Promise<void>;
}

/** Closes a socket with a TCP RST, as a lost connection does (not the orderly FIN of `end()`). */
const reset = (socket: net.Socket): void => {
  if (!socket.destroyed) socket.resetAndDestroy();
};

export async function startCuttingProxy(target: { host: string; port: number }): Promise<CuttingProxy> {
  let isCut = false;
  const pairs = new Set<{ client: net.Socket; upstream: net.Socket }>();

  const server = net.createServer((client) => {
    client.on('error', () => {}); // a reset is the point here, not a failure
    if (isCut) {
      reset(client);
      return;
    }
    const upstream = net.connect(target.port, target.host);
    upstream.on('error', () => {});
    const pair = { client, upstream };
    pairs.add(pair);
    // One side closing closes the other the same way: a reset (or a failed connect upstream)
    // resets it, an orderly close ends it once what was sent has been forwarded.
    const follow =
      (other: net.Socket) =>
      (hadError: boolean): void => {
        pairs.delete(pair);
        if (hadError) reset(other);
        else other.end();
      };
    client.once('close', follow(upstream));
    upstream.once('close', follow(client));
    client.pipe(upstream);
    upstream.pipe(client);
  });

  const cutAll = (): void => {
    for (const { client, upstream } of [...pairs]) {
      reset(client);
      reset(upstream);
    }
    pairs.clear();
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as net.AddressInfo;

  return {
    port,
    cut(): void {
      isCut = true;
      cutAll();
    },
    heal(): void {
      isCut = false;
    },
    connections: () => pairs.size,
    close(): Promise<void> {
      isCut = true;
      cutAll();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
