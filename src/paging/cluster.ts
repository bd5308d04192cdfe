/**
 * This daemon among those sharing one PostgreSQL: its row in `nodes` with a heartbeat, the
 * engine leases it takes and loses (leased.ts), and what /healthz and /metrics say of the cluster.
 */
import * as os from 'node:os';
import type { Logger } from '../log/logger';
import type { LeaseStore } from '../store/leases';
import { isAlive, type NodeStore } from '../store/nodes';
import type { LeasedModule, LeaseSettings } from './leased';

export interface ClusterOptions {
  nodeId: string;
  /** Its Stasis application. */
  app: string;
  leaseMs: number;
  nodes: NodeStore;
  leases: LeaseStore;
  logger: Logger;
}

export class ClusterMembership {
  /** The engine's modules, each under its lease (set once the engine is built). */
  modules: readonly LeasedModule[] = [];
  /** Leases this daemon took, and leases it lost to another, since start. */
  taken = 0;
  lost = 0;
  private heartbeat: NodeJS.Timeout | undefined;
  private beatFailing = false;

  constructor(private readonly options: ClusterOptions) {}

  /** What createEngine needs to lease its modules. */
  get leaseSettings(): Omit<LeaseSettings, 'logger'> {
    return {
      leases: this.options.leases,
      holder: this.options.nodeId,
      ttlMs: this.options.leaseMs,
      onTaken: () => this.taken++,
      onLost: () => this.lost++,
    };
  }

  get nodeId(): string {
    return this.options.nodeId;
  }

  async join(now: number): Promise<void> {
    const { nodes, nodeId, app, leaseMs } = this.options;
    await nodes.join({ id: nodeId, app, host: os.hostname(), pid: process.pid }, now);
    // A third of the lease, like the leases' renewal: one slow beat never makes it look dead.
    this.heartbeat = setInterval(() => void this.beat(), Math.max(100, Math.floor(leaseMs / 3)));
    this.heartbeat.unref();
  }

  /** Gives up its leases and says it stopped, so the others take over at once. */
  async leave(now: number): Promise<void> {
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    try {
      for (const module of this.modules) await module.release(now);
      await this.options.nodes.leave(this.options.nodeId, now);
    } catch (error) {
      // The others take over once the leases expire instead.
      this.options.logger.warn('could not give up the engine leases at stop', {
        error: (error as Error).message,
      });
    }
  }

  /** For /healthz: the members, who holds which lease, and this daemon's counts. */
  async describe(now: number): Promise<Record<string, unknown>> {
    const [members, leases] = await Promise.all([this.options.nodes.list(), this.options.leases.list()]);
    return {
      node: this.options.nodeId,
      members: members.map((m) => ({
        id: m.id,
        app: m.app,
        host: m.host,
        alive: isAlive(m, now, this.options.leaseMs),
        heartbeat_at: new Date(m.heartbeat_at).toISOString(),
      })),
      leases: leases.map((l) => ({
        name: l.name,
        holder: l.holder,
        token: l.token,
        expires_at: new Date(l.expires_at).toISOString(),
      })),
      leases_taken: this.taken,
      leases_lost: this.lost,
    };
  }

  /** The engine modules whose lease this daemon holds now. */
  held(): string[] {
    return this.modules.filter((m) => m.lease !== undefined).map((m) => m.name);
  }

  private async beat(): Promise<void> {
    try {
      await this.options.nodes.beat(this.options.nodeId, Date.now());
      if (this.beatFailing) this.options.logger.info('heartbeat written again');
      this.beatFailing = false;
    } catch (error) {
      if (!this.beatFailing)
        this.options.logger.warn('heartbeat not written; the database is out of reach', {
          error: (error as Error).message,
        });
      this.beatFailing = true;
    }
  }
}
