/**
 * Prometheus metrics (prom-client), one registry per daemon. Call and leg counters are fed as rows
 * are written; gauges that describe the present (active calls, pages by state, ARI reconnects)
 * are read when scraped.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { PeerState } from '../ari/peers';
import type { ConfigStatus } from '../config/reload';
import type { CallStore } from '../store/calls';
import type { NotificationStore } from '../store/notifications';
import type { PageStore } from '../store/pages';

export interface MetricSources {
  calls: CallStore;
  pages: PageStore;
  notifications: NotificationStore;
  activeCalls: () => number;
  ariReconnects: () => number;
  /** Whether every Asterisk's WebSocket is connected. */
  ariConnected: () => boolean;
  /** Each Asterisk by its name, and whether its WebSocket is connected. */
  asterisks: () => Array<{ name: string; connected: boolean }>;
  /** The other daemons of this Asterisk, and whether each was registered when last asked. */
  peers: () => ReadonlyMap<string, PeerState>;
  /** Prompts played before their audio existed, and prompts the last load could not make. */
  prompts: () => { notReady: number; failed: number };
  config: () => ConfigStatus;
  /** Call log writes lost to a store that took no writes (a full disk), since start. */
  callLogWritesLost: () => number;
  /** Several daemons on one database: the engine leases this one holds, took and lost since start. */
  cluster?: () => { held: number; taken: number; lost: number };
}

export function createMetrics(sources: MetricSources): Registry {
  const registry = new Registry();
  const callsTotal = new Counter({
    name: 'lcr_calls_total',
    help: 'Calls that ended, by route and outcome',
    labelNames: ['route', 'outcome'] as const,
    registers: [registry],
  });
  const legsTotal = new Counter({
    name: 'lcr_legs_total',
    help: 'Responder legs that ended, by result',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  const timeToConnect = new Histogram({
    name: 'lcr_time_to_responder_connected_seconds',
    help: 'From the call entering the daemon to the caller being connected to a responder',
    buckets: [5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300],
    registers: [registry],
  });
  new Gauge({
    name: 'lcr_active_calls',
    help: 'Calls in progress',
    registers: [registry],
    collect() {
      this.set(sources.activeCalls());
    },
  });
  new Gauge({
    name: 'lcr_pages',
    help: 'Pages by state',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      for (const [state, count] of Object.entries(await sources.pages.countByStatus()))
        this.set({ state }, count);
    },
  });
  new Gauge({
    name: 'lcr_notification_failures',
    help: 'Failed notification attempts stored in the database, by channel',
    labelNames: ['channel'] as const,
    registers: [registry],
    async collect() {
      for (const [channel, count] of Object.entries(await sources.notifications.failedAttemptsByChannel()))
        this.set({ channel }, count);
    },
  });
  const cluster = sources.cluster;
  if (cluster !== undefined) {
    new Gauge({
      name: 'lcr_engine_leases_held',
      help: "Engine modules whose lease this daemon holds (escalation, notifications, ...): the others' run elsewhere",
      registers: [registry],
      collect() {
        this.set(cluster().held);
      },
    });
    new Counter({
      name: 'lcr_engine_lease_takeovers_total',
      help: 'Engine leases this daemon took since it started (from a dead or stopped daemon, or at start)',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(cluster().taken);
      },
    });
    new Counter({
      name: 'lcr_engine_leases_lost_total',
      help: 'Engine leases this daemon lost to another while it held them (a pause or a partition longer than the lease)',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(cluster().lost);
      },
    });
  }
  new Gauge({
    name: 'lcr_ari_reconnects',
    help: 'Times the ARI WebSocket was re-established since the daemon started',
    registers: [registry],
    collect() {
      this.set(sources.ariReconnects());
    },
  });
  new Gauge({
    name: 'lcr_ari_connected',
    help: "1 when the ARI WebSocket is connected (every Asterisk's, when there are several)",
    registers: [registry],
    collect() {
      this.set(sources.ariConnected() ? 1 : 0);
    },
  });
  new Gauge({
    name: 'lcr_asterisk_connected',
    help: "1 when this Asterisk's ARI WebSocket is connected, by the Asterisk's name (asterisk[].name)",
    labelNames: ['asterisk'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const { name, connected } of sources.asterisks()) this.set({ asterisk: name }, connected ? 1 : 0);
    },
  });
  new Gauge({
    name: 'lcr_peer_registered',
    help: '1 when another daemon of this Asterisk (asterisk.peers) holds its application, 0 when not; absent until asked',
    labelNames: ['app'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [app, state] of sources.peers())
        if (state.registered !== undefined) this.set({ app }, state.registered ? 1 : 0);
    },
  });
  new Gauge({
    name: 'lcr_call_log_writes_lost_total',
    help: 'Call log writes (calls, legs, voicemails) lost because the database took no writes; the calls were served anyway',
    registers: [registry],
    collect() {
      this.set(sources.callLogWritesLost());
    },
  });
  new Gauge({
    name: 'lcr_config_last_reload_success',
    help: '0 after a reload that failed (the running configuration is older than the file), else 1',
    registers: [registry],
    collect() {
      this.set(sources.config().failedReload === undefined ? 1 : 0);
    },
  });
  new Gauge({
    name: 'lcr_config_loaded_timestamp_seconds',
    help: 'When the running configuration was loaded (start or last good reload), Unix time',
    registers: [registry],
    collect() {
      this.set(sources.config().loadedAt / 1000);
    },
  });
  new Gauge({
    name: 'lcr_prompts_not_ready',
    help: 'Prompts played as stock sounds or earlier audio because their own audio was not made yet',
    registers: [registry],
    collect() {
      this.set(sources.prompts().notReady);
    },
  });
  new Gauge({
    name: 'lcr_prompts_failed',
    help: 'Prompts of the running configuration that could not be made (see the log or lcr doctor)',
    registers: [registry],
    collect() {
      this.set(sources.prompts().failed);
    },
  });
  const screenedTotal = new Counter({
    name: 'lcr_screened_total',
    help: 'Calls caller screening turned away or held back from direct routing, by route and decision',
    labelNames: ['route', 'decision'] as const,
    registers: [registry],
  });
  sources.calls.observe({
    callEnded: (call) => {
      callsTotal.inc({ route: call.route_id ?? 'none', outcome: call.outcome ?? 'unknown' });
      if (call.screened !== null)
        screenedTotal.inc({ route: call.route_id ?? 'none', decision: call.screened });
    },
    callConnected: (call) => {
      if (call.connected_at !== null) timeToConnect.observe((call.connected_at - call.started_at) / 1000);
    },
    legFinished: (result) => legsTotal.inc({ result }),
  });
  return registry;
}
