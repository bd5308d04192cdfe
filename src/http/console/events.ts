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
    response.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Accel-Buffering': 'no',
    });
    // A browser that lost the stream comes back after 2 s.
    response.write('retry: 2000\n\n');
    this.listeners.set(response, listener);
    this.send(response, listener, this.load());
    request.socket.setTimeout(0);
    const detach = (): void => {
      this.listeners.delete(response);
      if (this.listeners.size === 0) this.stopTimer();
    };
    response.on('close', detach);
    this.timer ??= setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  private send(response: http.ServerResponse, listener: LiveListener<Data>, data: Data): void {
    response.write(`event: update\ndata: ${JSON.stringify(listener.render(data))}\n\n`);
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
    const now = Date.now();
    if (digest !== this.lastDigest) {
      this.lastDigest = digest;
      for (const [response, listener] of this.listeners) this.send(response, listener, data);
    } else if (now - this.lastKeepalive >= KEEPALIVE_MS) {
      this.lastKeepalive = now;
      for (const response of this.listeners.keys()) response.write(': keepalive\n\n');
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
