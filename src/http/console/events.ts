/**
 * Live updates of the "Now" page over Server-Sent Events. While at least one browser listens,
 * the calls in progress and the open pages are read once a second (two indexed queries) and,
 * when they changed, each listener gets its fragments again, rendered for its own zone and form
 * token. Reading the database rather than hooking the call flow keeps the flow free of console
 * code, and shows calls of every daemon that shares the database.
 */
import type * as http from 'node:http';
import type { Logger } from '../../log/logger';

export interface LiveListener<Data> {
  render: (data: Data) => Record<string, string>;
  /** False once the session behind the stream has ended: the stream is closed. */
  stillSignedIn: () => boolean;
}

const KEEPALIVE_MS = 15_000;

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class LiveUpdates<Data> {
  private readonly listeners = new Map<http.ServerResponse, LiveListener<Data>>();
  /** Streams whose first read is under way: close() ends them too. */
  private readonly opening = new Set<http.ServerResponse>();
  private timer: NodeJS.Timeout | undefined;
  private lastDigest: string | undefined;
  private lastKeepalive = 0;
  /** A tick still reading: the next one is skipped rather than run beside it. */
  private ticking = false;
  /** Bumped when the timer stops: a read that was under way then must not set lastDigest. */
  private generation = 0;
  /** The reads have been failing since the first failure was logged: the rest are quieter. */
  private failing = false;

  constructor(
    private readonly load: () => Promise<Data>,
    private readonly logger: Pick<Logger, 'warn' | 'debug'>,
    private readonly intervalMs = 1000,
  ) {}

  get size(): number {
    return this.listeners.size;
  }

  async attach(
    request: http.IncomingMessage,
    response: http.ServerResponse,
    listener: LiveListener<Data>,
  ): Promise<void> {
    // Registered first: whatever fails below, a closed stream leaves nothing behind.
    let closed = false;
    response.on('close', () => {
      closed = true;
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
    this.opening.add(response);
    try {
      data = await this.load();
    } catch (error) {
      // The database is locked for a moment: the browser's reconnect asks again.
      this.logger.debug('console live update: first read failed', { error: messageOf(error) });
      response.end();
      return;
    } finally {
      this.opening.delete(response);
    }
    // The browser went away, or close() ended the stream, while the read was under way.
    if (closed || response.writableEnded) return;
    this.listeners.set(response, listener);
    this.send(response, listener, data);
    this.timer ??= setInterval(() => this.startTick(), this.intervalMs);
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

  /** Runs a tick unless one is still under way; whatever it throws is logged, never left unhandled. */
  private startTick(): void {
    if (this.ticking) return;
    this.ticking = true;
    this.tick()
      .catch((error: unknown) => {
        this.logger.warn('console live update failed', { error: messageOf(error) });
      })
      .finally(() => {
        this.ticking = false;
      });
  }

  private async tick(): Promise<void> {
    const generation = this.generation;
    let data: Data;
    try {
      data = await this.load();
    } catch (error) {
      // The database is locked or gone for a moment: the next tick tries again.
      const fields = { error: messageOf(error) };
      if (this.failing) this.logger.debug('console live update: read failed again', fields);
      else this.logger.warn('console live update: read failed, retrying every tick', fields);
      this.failing = true;
      return;
    }
    this.failing = false;
    // Every listener left (or close() ran) while the read was under way.
    if (generation !== this.generation || this.listeners.size === 0) return;
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
    this.generation += 1;
  }

  /** Ends every stream, so that the listener can close. */
  close(): void {
    for (const response of this.listeners.keys()) response.end();
    for (const response of this.opening) response.end();
    this.listeners.clear();
    this.opening.clear();
    this.stopTimer();
  }
}
