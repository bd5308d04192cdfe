/**
 * One application name, one daemon. Asterisk gives every WebSocket of an application name the
 * same channels, so a second daemon started with the same `asterisk.app` (on another database)
 * would take the calls of the first. Asterisk cannot tell us: on Asterisk 22
 * `GET /applications/{app}` keeps listing the application, and its channels, after its WebSocket
 * closed, so "registered" does not mean "another daemon is connected" (it may be our own previous
 * process, whose calls the next start adopts).
 *
 * So the daemon says so itself, in an Asterisk global variable `LCR_OWNER_<app>` =
 * `<node>;<database id>;<heartbeat epoch ms>`, written before every WebSocket connection and
 * refreshed every few seconds while it runs. A daemon about to connect reads it: a fresh heartbeat
 * from another database refuses the connection (ApplicationTaken); a stale one, or one of its own
 * database (its previous process), is taken over.
 */
import { randomBytes } from 'node:crypto';
import * as os from 'node:os';
import { AriHttpPort, type HttpPortOptions } from './httpPort';
import type { Logger } from '../log/logger';

export interface OwnerRecord {
  /** Which daemon wrote it (host/pid/instance): for the operator reading the error. */
  node: string;
  /** The database the writer runs on (store/meta.ts databaseId). */
  database: string;
  heartbeatAt: number;
}

export function formatOwner(record: OwnerRecord): string {
  return `${record.node};${record.database};${record.heartbeatAt}`;
}

/** Undefined for an empty or foreign value (not ours to interpret: taken over). */
export function parseOwner(value: string): OwnerRecord | undefined {
  const [node, database, at, ...rest] = value.split(';');
  const heartbeatAt = Number(at);
  if (rest.length > 0 || !node || !database || !Number.isFinite(heartbeatAt)) return undefined;
  return { node, database, heartbeatAt };
}

export class ApplicationTaken extends Error {
  constructor(
    readonly app: string,
    readonly owner: OwnerRecord,
    readonly ageMs: number,
  ) {
    super(
      `another lcr daemon (${owner.node}, database ${owner.database}) is connected to Asterisk as application ` +
        `"${app}" (its heartbeat is ${Math.round(ageMs / 1000)} s old); two daemons on different databases cannot ` +
        `share an application name: stop the other one, or give this one its own asterisk.app (and Stasis(...) line)`,
    );
    this.name = 'ApplicationTaken';
  }
}

/** The REST requests ownership needs; AriHttpPort has them. */
export interface GlobalVariables {
  getGlobalVariable(name: string): Promise<string>;
  setGlobalVariable(name: string, value: string): Promise<void>;
}

export interface OwnershipOptions {
  app: string;
  database: string;
  /** Default: this host and process. */
  node?: string;
  logger: Logger;
  /** How often the heartbeat is refreshed; tests shorten it. */
  heartbeatMs?: number | undefined;
  now?: () => number;
}

export const DEFAULT_HEARTBEAT_MS = 5000;

export class Ownership {
  readonly variable: string;
  private readonly heartbeatMs: number;
  private readonly now: () => number;
  private readonly node: string;
  private timer: NodeJS.Timeout | undefined;
  /** Set once the record says another database took the application: logged once, not fought over. */
  private displaced = false;

  constructor(
    private readonly ari: GlobalVariables,
    private readonly options: OwnershipOptions,
  ) {
    this.variable = `LCR_OWNER_${options.app}`;
    this.heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    this.now = options.now ?? Date.now;
    // Two daemons may share a process (tests, the demo): the suffix tells them apart.
    this.node = options.node ?? `${os.hostname()}/${process.pid}/${randomBytes(2).toString('hex')}`;
  }

  /** A heartbeat younger than this is a daemon alive: three missed refreshes make it stale. */
  get staleAfterMs(): number {
    return 3 * this.heartbeatMs;
  }

  private async read(): Promise<OwnerRecord | undefined> {
    return parseOwner(await this.ari.getGlobalVariable(this.variable));
  }

  private write(): Promise<void> {
    const { node } = this;
    const { database } = this.options;
    return this.ari.setGlobalVariable(
      this.variable,
      formatOwner({ node, database, heartbeatAt: this.now() }),
    );
  }

  /** The record's writer is another daemon, alive, on another database. */
  private rival(owner: OwnerRecord | undefined): { owner: OwnerRecord; ageMs: number } | undefined {
    if (owner === undefined || owner.database === this.options.database) return undefined;
    const ageMs = this.now() - owner.heartbeatAt;
    return ageMs < this.staleAfterMs ? { owner, ageMs } : undefined;
  }

  /**
   * Before a WebSocket connection: throws ApplicationTaken when another daemon holds the
   * application, otherwise writes our record. Rejects with the request's error when Asterisk
   * cannot be asked (the connection is not attempted either).
   */
  async claim(): Promise<void> {
    const owner = await this.read();
    const rival = this.rival(owner);
    if (rival !== undefined) throw new ApplicationTaken(this.options.app, rival.owner, rival.ageMs);
    if (owner !== undefined && owner.node !== this.node) {
      this.options.logger.info('taking over the application from a previous daemon', {
        app: this.options.app,
        previous: owner.node,
        sameDatabase: owner.database === this.options.database,
        heartbeatAgeMs: this.now() - owner.heartbeatAt,
      });
    }
    this.displaced = false;
    await this.write();
  }

  /** Refreshes the heartbeat every few seconds; never keeps the process alive by itself. */
  startHeartbeat(connected: () => boolean): void {
    this.timer ??= setInterval(() => {
      if (connected()) void this.beat();
    }, this.heartbeatMs);
    this.timer.unref();
  }

  private async beat(): Promise<void> {
    try {
      const rival = this.rival(await this.read());
      if (rival !== undefined) {
        if (!this.displaced)
          this.options.logger.error(
            'another daemon on another database took this application while the ARI connection was away',
            { app: this.options.app, other: rival.owner.node, database: rival.owner.database },
          );
        this.displaced = true;
        return;
      }
      await this.write();
    } catch (error) {
      // Asterisk unreachable for a moment: the next beat, or the next connection, writes it.
      this.options.logger.debug('ownership heartbeat not written', { error: (error as Error).message });
    }
  }

  /**
   * At stop. With nothing left running the record is cleared, so any daemon may start at once;
   * with calls left for the next start to adopt it is kept, and goes stale in `staleAfterMs`.
   */
  async stop(clear: boolean): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (!clear || this.displaced) return;
    try {
      const owner = await this.read();
      if (owner?.node === this.node) await this.ari.setGlobalVariable(this.variable, '');
    } catch {
      // Asterisk is unreachable: the record goes stale by itself.
    }
  }
}

/** Ownership over its own REST connection, independent of the WebSocket's state. */
export class OwnershipOverHttp extends Ownership {
  private readonly http: AriHttpPort;

  constructor(http: HttpPortOptions, options: OwnershipOptions) {
    const port = new AriHttpPort(http);
    super(port, options);
    this.http = port;
  }

  /** At start: the refusal when another daemon holds the application; Asterisk down is not one. */
  async refusal(): Promise<ApplicationTaken | undefined> {
    const error = await this.claim().then(
      () => undefined,
      (failure: unknown) => failure,
    );
    return error instanceof ApplicationTaken ? error : undefined;
  }

  override async stop(clear: boolean): Promise<void> {
    await super.stop(clear);
    this.http.close();
  }
}
