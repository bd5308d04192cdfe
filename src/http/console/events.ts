/**
 * Live updates of the "Now" page over Server-Sent Events. While at least one browser listens,
 * the calls in progress and the open pages are read once a second (two indexed queries) and,
 * when they changed, each listener gets its fragments again, rendered for its own zone and form
 * token. Reading the database rather than hooking the call flow keeps the flow free of console
 * code, and shows calls of every daemon that shares the database.
 */
import type * as http from 'node:http';

export interface LiveListener<Data> {
  render: (data: Data) => Record<string, string>;
  /** False once the session behind the stream has ended: the stream is closed. */
  stillSignedIn: () => boolean;
}

const KEEPALIVE_MS = 15_000;

export class LiveUpdates<Data> {
  private readonly listeners = new Map<http.ServerResponse, LiveListener<Data>>();
  private timer: NodeJS.Timeout | undefined;
  private lastDigest: string | undefined;
  private lastKeepalive = 0;

  constructor(
    private readonly load: () => Data,
    private readonly intervalMs = 1000,
  ) {}

  get size(): number {
    return this.listeners.size;
  }

  attach(request: http.IncomingMessage, response: http.ServerResponse, listener: LiveListener<Data>): void {
    // Registered first: whatever fails below, a closed stream leaves nothing behind.
    response.on('close', () => {
      this.listeners.delete(response);
      if (this.listeners.size === 0) this.stopTimer();
    });
    response.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Accel-Buffering': 'no',
    });
    // A browser that lost the stream comes back after 2 s.
    response.write('retry: 2000\n\n');
    request.socket.setTimeout(0);
    let data: Data;
    try {
      data = this.load();
    } catch {
      // The database is locked for a moment: the browser's reconnect asks again.
      response.end();
      return;
    }
    this.listeners.set(response, listener);
    this.send(response, listener, data);
    this.timer ??= setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  /** One listener's update; a listener whose session ended, or whose page fails, is closed. */
  private send(response: http.ServerResponse, listener: LiveListener<Data>, data: Data): void {
    try {
      if (!listener.stillSignedIn()) {
        response.write('event: signed-out\ndata: {}\n\n');
        response.end();
        return;
      }
      response.write(`event: update\ndata: ${JSON.stringify(listener.render(data))}\n\n`);
    } catch {
      response.end();
    }
  }

  private tick(): void {
    let data: Data;
    try {
      data = this.load();
    } catch {
      // The database is locked or gone for a moment: the next tick tries again.
      return;
    }
    const digest = JSON.stringify(data);
    const changed = digest !== this.lastDigest;
    this.lastDigest = digest;
    const now = Date.now();
    const keepalive = now - this.lastKeepalive >= KEEPALIVE_MS;
    if (keepalive) this.lastKeepalive = now;
    for (const [response, listener] of this.listeners) {
      // A session that ended is closed at once, changes or not (send checks it).
      if (changed || !listener.stillSignedIn()) this.send(response, listener, data);
      else if (keepalive) response.write(': keepalive\n\n');
    }
  }

  private stopTimer(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.lastDigest = undefined;
  }

  /** Ends every stream, so that the listener can close. */
  close(): void {
    for (const response of this.listeners.keys()) response.end();
    this.listeners.clear();
    this.stopTimer();
  }
}
