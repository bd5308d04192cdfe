/**
 * Several daemons on one Asterisk and one PostgreSQL: each Stasis application has a lease
 * (`app:<name>`) held by the daemon that serves it. A daemon holds its own application's lease
 * for as long as it runs, renewing it with its heartbeat. When a daemon dies, its lease runs out;
 * a survivor whose `asterisk.peers` names that application and that finds the dead daemon's calls
 * still open in the shared call log takes the lease, registers the application on Asterisk too,
 * and adopts the calls exactly as a restarted daemon would (the reconciliation of reconciler.ts,
 * run for that application). Once those calls have ended it gives the application back, and the
 * daemon that comes back takes its own name again; until then it waits, so that the two never
 * hold one application at once.
 */
import type { Logger } from '../../log/logger';
import type { CallStore } from '../../store/calls';
import type { Lease, LeaseStore } from '../../store/leases';

export const applicationLease = (app: string): string => `app:${app}`;

/** Looks in a row without a database session after which a daemon is dead. */
const DEAD_AFTER_LOOKS = 3;

/** Another application served by this daemon: its connection, router and reconciliation. */
export interface HostedApplication {
  /** Connects to Asterisk as the application; resolves once the first reconciliation is done. */
  start(): Promise<void>;
  /** Calls in progress on it. */
  activeCalls(): number;
  /** Disconnects and gives the application name up. */
  stop(): Promise<void>;
}

export interface TakeoverDependencies {
  /** This daemon's own application, and the others' it may take over. */
  app: string;
  peers: readonly string[];
  nodeId: string;
  leaseMs: number;
  leases: LeaseStore;
  /** Which daemons have a database session now (undefined: cannot tell; only expiry counts). */
  alive: () => Promise<Set<string> | undefined>;
  calls: Pick<CallStore, 'unfinishedCalls'>;
  /** Builds what serves `app` on this daemon. */
  host: (app: string) => HostedApplication;
  logger: Logger;
  now: () => number;
}

interface Held {
  lease: Lease;
  host: HostedApplication;
  since: number;
}

export class ApplicationLeases {
  private own: Lease | undefined;
  private readonly hosted = new Map<string, Held>();
  /** Daemons seen without a database session, and how many looks in a row. */
  private readonly sessionless = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private stopped = false;
  /** Applications of dead daemons taken over since start. */
  takeovers = 0;
  /** The last look failed for want of the database (told once per outage). */
  private outOfReach = false;

  constructor(private readonly deps: TakeoverDependencies) {}

  /** The applications this daemon serves besides its own, with whom it took them from. */
  get serving(): string[] {
    return [...this.hosted.keys()];
  }

  /**
   * Takes this daemon's own application lease, waiting while a survivor still holds it for the
   * calls it took over. Resolves false when stopped first.
   */
  async claimOwn(): Promise<boolean> {
    const { leases, app, nodeId, leaseMs, logger } = this.deps;
    let told = false;
    while (!this.stopped) {
      try {
        this.own = await leases.acquire(applicationLease(app), nodeId, this.deps.now(), leaseMs);
        if (this.own !== undefined) return !this.stopped;
        if (!told) {
          const row = await leases.row(applicationLease(app));
          logger.warn(
            'another daemon serves this application for the calls it took over; waiting for it to give it back',
            { app, holder: row?.holder },
          );
          told = true;
        }
      } catch (error) {
        logger.warn('cannot take the application lease yet; the database is out of reach', {
          app,
          error: (error as Error).message,
        });
      }
      await new Promise((resolve) => setTimeout(resolve, this.lookEveryMs));
    }
    return false;
  }

  /**
   * Every 400 ms at most, three times a lease at least: a dead daemon's callers wait about a
   * second (DEAD_AFTER_LOOKS looks), not the lease. A live daemon renews its own lease on every
   * look, so after a blip of the server its sessions are back within one look.
   */
  private get lookEveryMs(): number {
    return Math.max(50, Math.min(400, Math.floor(this.deps.leaseMs / 3)));
  }

  /** Renews the leases held and looks for dead daemons' applications (lookEveryMs). */
  start(): void {
    this.timer = setInterval(() => {
      this.ticking ??= this.tick().finally(() => (this.ticking = undefined));
    }, this.lookEveryMs);
    this.timer.unref();
  }

  /** Stops the applications taken over and gives every lease up, so others take over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.ticking;
    const now = this.deps.now();
    for (const [app, held] of this.hosted) {
      await held.host.stop();
      await this.deps.leases.release(held.lease, now).catch(() => false);
      this.hosted.delete(app);
    }
    if (this.own !== undefined) await this.deps.leases.release(this.own, now).catch(() => false);
    this.own = undefined;
  }

  /** One look: renew, give back what is done, take over what a dead daemon left. */
  async tick(): Promise<void> {
    const { leases, leaseMs, logger } = this.deps;
    try {
      const now = this.deps.now();
      if (this.own !== undefined) {
        const renewed = await leases.renew(this.own, now, leaseMs);
        if (renewed === undefined)
          logger.error(
            'this daemon lost its application lease to another daemon (it was paused or cut off)',
            {
              app: this.deps.app,
            },
          );
        this.own = renewed;
      }
      for (const [app, held] of this.hosted) await this.keepOrGiveBack(app, held, now);
      for (const app of this.deps.peers) if (!this.hosted.has(app)) await this.takeOverIfDead(app, now);
      if (this.outOfReach) logger.info('application leases checked again');
      this.outOfReach = false;
    } catch (error) {
      if (!this.outOfReach)
        logger.warn('application leases not checked; the database is out of reach', {
          error: (error as Error).message,
        });
      this.outOfReach = true;
    }
  }

  private async keepOrGiveBack(app: string, held: Held, now: number): Promise<void> {
    const { leases, leaseMs, calls, logger } = this.deps;
    const open = held.host.activeCalls() === 0 ? (await calls.unfinishedCalls(app)).length : 1;
    if (open === 0) {
      await held.host.stop();
      await leases.release(held.lease, now);
      this.hosted.delete(app);
      logger.info('the calls taken over have ended; application given back', { app });
      return;
    }
    const renewed = await leases.renew(held.lease, now, leaseMs);
    if (renewed !== undefined) held.lease = renewed;
    else {
      await held.host.stop();
      this.hosted.delete(app);
      logger.error('lost the lease of an application taken over', { app });
    }
  }

  private async takeOverIfDead(app: string, now: number): Promise<void> {
    const { leases, nodeId, leaseMs, calls, logger } = this.deps;
    const row = await leases.row(applicationLease(app));
    // Never held (its daemon has not started yet): nothing to take over.
    if (row === undefined || row.holder === nodeId) return;
    // Dead: its lease ran out, or (sooner) its process is gone and its database sessions with it,
    // seen on DEAD_AFTER_LOOKS looks in a row so that a blip of the server (every session drops
    // and comes back at the daemon's next look) is not.
    const expired = row.expires_at <= now;
    if (!expired) {
      const gone = (await this.deps.alive())?.has(row.holder) === false;
      const seen = gone ? (this.sessionless.get(row.holder) ?? 0) + 1 : 0;
      this.sessionless.set(row.holder, seen);
      if (seen < DEAD_AFTER_LOOKS) return;
    }
    const open = await calls.unfinishedCalls(app);
    if (open.length === 0) return;
    const lease = expired
      ? await leases.acquire(applicationLease(app), nodeId, now, leaseMs)
      : await leases.takeFromDead(applicationLease(app), row.token, nodeId, now, leaseMs);
    if (lease === undefined) return; // another survivor was first
    logger.warn('a daemon died with calls in progress: taking over its application', {
      app,
      from: row.holder,
      calls: open.length,
    });
    const host = this.deps.host(app);
    this.hosted.set(app, { lease, host, since: now });
    this.takeovers++;
    try {
      await host.start();
    } catch (error) {
      logger.error('could not take over the application', { app, error: (error as Error).message });
      await host.stop();
      await leases.release(lease, this.deps.now());
      this.hosted.delete(app);
    }
  }
}
