/**
 * Real peers on loopback for notification tests: an SMTP server (smtp-server) that keeps what it
 * receives, and an HTTP receiver that records webhook requests. Both can be told to misbehave.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
}

export interface SmtpPeer {
  port: number;
  mails: ReceivedMail[];
  /** What the next messages get: accepted, refused with a code, or no answer at all. */
  mode: 'accept' | 'temporary-failure' | 'permanent-failure';
  stop(): Promise<void>;
}

export async function startSmtpPeer(options: Partial<SMTPServerOptions> = {}): Promise<SmtpPeer> {
  const peer: Partial<SmtpPeer> = { mails: [], mode: 'accept' };
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authOptional: true,
    onAuth(auth, _session, callback) {
      if (auth.username === 'lcr' && auth.password === 'mail-secret') callback(null, { user: 'lcr' });
      else callback(new Error('Invalid username or password'));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (peer.mode === 'temporary-failure')
          return callback(Object.assign(new Error('Try again later'), { responseCode: 451 }));
        if (peer.mode === 'permanent-failure')
          return callback(Object.assign(new Error('Mailbox unavailable'), { responseCode: 550 }));
        peer.mails!.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
    logger: false,
    ...options,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  peer.port = (server.server.address() as AddressInfo).port;
  peer.stop = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return peer as SmtpPeer;
}

/** A TCP server that accepts connections and never says a word (an SMTP server that hangs). */
export async function startSilentPeer(): Promise<{ port: number; stop(): Promise<void> }> {
  const sockets = new Set<import('node:net').Socket>();
  const server = (await import('node:net')).createServer((socket) => sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

export interface ReceivedRequest {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface HttpPeer {
  url: string;
  requests: ReceivedRequest[];
  /** Per path: status for each next request (consumed in order); none left: 200. 'hang' never answers. */
  scripts: Record<string, Array<number | 'hang'>>;
  stop(): Promise<void>;
}

export async function startHttpPeer(): Promise<HttpPeer> {
  const hanging = new Set<http.ServerResponse>();
  const peer: Partial<HttpPeer> = { requests: [], scripts: {} };
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      peer.requests!.push({
        path: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      const next = peer.scripts![request.url ?? '']?.shift() ?? 200;
      if (next === 'hang') {
        hanging.add(response);
        return;
      }
      response.writeHead(next, { 'Content-Type': 'text/plain' });
      response.end(next < 300 ? 'ok' : 'failed');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  peer.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  peer.stop = () =>
    new Promise<void>((resolve) => {
      for (const response of hanging) response.destroy();
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return peer as HttpPeer;
}

/**
 * An SMTP server that speaks correctly but answers every line only after `delayMs`: each wait is
 * shorter than a socket timeout, so only a bound on the whole send stops it holding a slot.
 */
export async function startSlowSmtpPeer(delayMs: number): Promise<{ port: number; stop(): Promise<void> }> {
  const net = await import('node:net');
  const sockets = new Set<import('node:net').Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    const later = (line: string): void => {
      setTimeout(() => socket.writable && socket.write(`${line}\r\n`), delayMs);
    };
    later('220 slow.example ESMTP');
    let buffered = '';
    let inData = false;
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      let end: number;
      while ((end = buffered.indexOf('\r\n')) >= 0) {
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        if (inData) {
          if (line === '.') {
            inData = false;
            later('250 queued');
          }
          continue;
        }
        const command = line.slice(0, 4).toUpperCase();
        if (command === 'DATA') {
          inData = true;
          later('354 go ahead');
        } else if (command === 'QUIT') later('221 bye');
        else later(command === 'EHLO' ? '250 slow.example' : '250 ok');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
