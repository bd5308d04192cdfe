/**
 * What `GET /healthz` reports: healthy when ARI is connected (to every Asterisk) and the database
 * takes writes.
 * Active calls and prompts are shown for operators but do not fail the check (a prompt that
 * could not be made plays stock sounds; callers are still served).
 */
import type { PeerState } from '../ari/peers';
import type { ConfigStatus } from '../config/reload';
import type { DatabaseProbe } from '../store/storage';

interface AriState {
  status: string;
  since: number;
  reconnects: number;
  rest?: string;
  restSockets?: { open: number; configured: number };
}

function ariCheck(state: AriState): Record<string, unknown> {
  return {
    connected: state.status === 'connected',
    status: state.status,
    since: new Date(state.since).toISOString(),
    reconnects: state.reconnects,
    ...(state.rest === undefined ? {} : { rest: state.rest }),
    ...(state.restSockets === undefined ? {} : { rest_sockets: state.restSockets }),
  };
}

export interface HealthSources {
  /** Tries a write: the database must take one for the daemon to be healthy. */
  database: () => Promise<DatabaseProbe>;
  /** Several daemons on one database: who they are and who holds which lease (absent: alone). */
  cluster?: () => Promise<Record<string, unknown>>;
  /** Each Asterisk's connection, the first first. */
  asterisks: () => Array<AriState & { name: string }>;
  activeCalls: () => number;
  peers: () => ReadonlyMap<string, PeerState>;
  prompts: () => { engine: string; ready: number; failed: number };
  config: () => ConfigStatus;
}

/**
 * A failed reload leaves the daemon serving the configuration it had: healthy, but older than
 * the file. Monitoring sees that, and the located errors, until a good reload or a restart.
 */
function configCheck(status: ConfigStatus): Record<string, unknown> {
  const failed = status.failedReload;
  return {
    current: failed === undefined,
    loaded_at: new Date(status.loadedAt).toISOString(),
    ...(failed === undefined
      ? {}
      : {
          failed_reload: {
            at: new Date(failed.at).toISOString(),
            reason: failed.reason,
            errors: failed.issues,
          },
        }),
  };
}

/**
 * The other daemons of this Asterisk, when there are any: shown, not failed on (this daemon
 * serves its callers either way; a peer down only means no failover behind it).
 */
function peersCheck(peers: ReadonlyMap<string, PeerState>): Record<string, unknown> {
  if (peers.size === 0) return {};
  const shown: Record<string, unknown> = {};
  for (const [app, state] of peers)
    shown[app] = {
      registered: state.registered ?? null,
      checked_at: state.checkedAt === undefined ? null : new Date(state.checkedAt).toISOString(),
    };
  return { peers: shown };
}

export async function checkHealth(
  sources: HealthSources,
): Promise<{ ok: boolean; checks: Record<string, unknown> }> {
  const asterisks = sources.asterisks();
  const { writable, locked = false, error: databaseError } = await sources.database();
  const cluster = sources.cluster === undefined ? undefined : await sources.cluster().catch(() => undefined);
  // Every Asterisk must be connected: callers on one that is not reach no daemon of this one.
  const ari = asterisks.every((state) => state.status === 'connected');
  return {
    ok: ari && writable,
    checks: {
      ari: ariCheck(asterisks[0]!),
      ...(asterisks.length === 1
        ? {}
        : { asterisks: Object.fromEntries(asterisks.map((state) => [state.name, ariCheck(state)])) }),
      database: {
        writable,
        ...(locked ? { locked } : {}),
        ...(databaseError === undefined ? {} : { error: databaseError }),
      },
      ...peersCheck(sources.peers()),
      ...(cluster === undefined ? {} : { cluster }),
      active_calls: sources.activeCalls(),
      prompts: sources.prompts(),
      config: configCheck(sources.config()),
    },
  };
}
