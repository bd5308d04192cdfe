/**
 * An engine module run by one daemon of several (GoAlert's processing lock): before each run it
 * takes or renews its lease, and every transaction the module writes in proves the lease first
 * (LeaseStore.fence), in that same transaction. A daemon that lost the lease while paused finds
 * its transaction rolled back and steps aside; another daemon, whose module looks again well
 * before the lease's expiry, carries on where the database says the work stands.
 */
import type { Logger } from '../log/logger';
import { LeaseLostError, LeaseStore, type Lease } from '../store/leases';
import type { EngineModule, ModuleRun } from './engine';
import type { Transactional } from './service';

export interface LeaseSettings {
  leases: LeaseStore;
  /** This daemon (settings.node_id). */
  holder: string;
  /** How long a lease lasts without renewal: how long a dead holder's work waits for another. */
  ttlMs: number;
  logger: Logger;
  /** Told when this daemon takes a lease, and when it loses one it held. */
  onTaken?: (name: string, lease: Lease) => void;
  onLost?: (name: string) => void;
}

export interface LeasedModule extends EngineModule {
  /** The lease this daemon holds for the module now, if any. */
  readonly lease: Lease | undefined;
  /** Gives the lease up (a stopping daemon), so another takes over without waiting for it to expire. */
  release(now: number): Promise<void>;
}

export function leased(module: EngineModule, settings: LeaseSettings): LeasedModule {
  let held: Lease | undefined;
  // Renewed at a third of its time, so one missed run (a slow tick) never lets it lapse.
  const renewEveryMs = Math.max(1, Math.floor(settings.ttlMs / 3));
  const lost = (): void => {
    if (held === undefined) return;
    held = undefined;
    settings.logger.warn('engine lease lost to another daemon', { module: module.name });
    settings.onLost?.(module.name);
  };
  const fencedBy =
    (lease: Lease, tx: Transactional): Transactional =>
    (work) =>
      tx(async (t) => {
        await LeaseStore.fence(t, lease);
        return work(t);
      });
  return {
    name: module.name,
    ...(module.atStartOnly === undefined ? {} : { atStartOnly: module.atStartOnly }),
    pollMs: Math.min(module.pollMs ?? Infinity, renewEveryMs),
    get lease() {
      return held;
    },
    async release(now) {
      const lease = held;
      held = undefined;
      if (lease !== undefined) await settings.leases.release(lease, now);
    },
    async runOnce(now, tx): Promise<ModuleRun> {
      const renewed = held === undefined ? undefined : await settings.leases.renew(held, now, settings.ttlMs);
      if (renewed === undefined) lost();
      held = renewed ?? (await settings.leases.acquire(module.name, settings.holder, now, settings.ttlMs));
      if (held === undefined) return { next: now + renewEveryMs };
      if (renewed === undefined) {
        settings.logger.info('engine lease taken', { module: module.name, token: held.token });
        settings.onTaken?.(module.name, held);
      }
      try {
        const run = await module.runOnce(now, fencedBy(held, tx));
        return { next: Math.min(run.next ?? Infinity, now + renewEveryMs) };
      } catch (error) {
        if (!(error instanceof LeaseLostError)) throw error;
        lost();
        return { next: now + renewEveryMs };
      }
    },
  };
}
