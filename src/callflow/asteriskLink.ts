/**
 * One Stasis application on one Asterisk: the ARI connection, the router that follows the calls
 * arriving on it, and the reconciliation that takes back what a restart (or a dead peer) left
 * there. A daemon has one link per Asterisk it is connected to (`asterisk:` as a list), and one
 * more per Asterisk for each dead daemon's application it has taken over (reconcile/takeover.ts).
 * A call's flow runs on its link's context, so that everything it does (its responders' legs, its
 * bridge, its recording) goes through the Asterisk the caller is on.
 */
import { AriConnection, type ConnectionOptions } from '../ari/connection';
import { PeerWatch } from '../ari/peers';
import type { AriEvent } from '../ari/types';
import type { AsteriskSettings } from '../config/model';
import type { Logger } from '../log/logger';
import type { CallStore } from '../store/calls';
import type { PageStore } from '../store/pages';
import type { FlowContext } from './context';
import { Reconciler } from './reconcile/reconciler';
import { CallRouter } from './router';

export interface AsteriskLinkDependencies {
  asterisk: AsteriskSettings;
  /** Whether this is the first Asterisk listed: the calls from before calls named theirs are its. */
  first: boolean;
  /** The application served: this daemon's own, or a dead daemon's taken over. */
  app: string;
  connection: ConnectionOptions;
  logger: Logger;
  calls: CallStore;
  pages: Pick<PageStore, 'get' | 'ofCall'>;
  releaseNotification?: (notificationId: number) => Promise<void>;
  /** What a call on this link runs with (its configuration names this Asterisk and application). */
  contextFor: (logger: Logger, link: AsteriskLink) => FlowContext;
  count: (kind: string) => void;
  /** Watch the other daemons of this Asterisk (only for this daemon's own application). */
  peerCheckMs?: number;
  watchPeers: boolean;
}

export class AsteriskLink {
  readonly name: string;
  readonly app: string;
  readonly asterisk: AsteriskSettings;
  readonly connection: AriConnection;
  readonly router: CallRouter;
  readonly reconciler: Reconciler;
  /** Whether the other daemons of this Asterisk are connected (asterisk.peers). */
  readonly peers: PeerWatch;

  constructor(deps: AsteriskLinkDependencies) {
    this.name = deps.asterisk.name;
    this.app = deps.app;
    this.asterisk = deps.asterisk;
    const logger = deps.logger;
    this.connection = new AriConnection(deps.connection, logger);
    this.peers = new PeerWatch(
      this.connection.port,
      deps.watchPeers ? deps.asterisk.peers : [],
      () => this.connected,
      deps.peerCheckMs,
    );
    this.router = new CallRouter({
      ari: this.connection.port,
      logger,
      contextForNewCall: (callLogger) => deps.contextFor(callLogger, this),
    });
    this.reconciler = new Reconciler({
      // The router's port: frozen with the flows at the end of a drain (callflow/drain.ts).
      ari: this.router.ari,
      app: deps.app,
      asterisk: { asterisk: deps.asterisk.name, first: deps.first },
      logger,
      calls: deps.calls,
      pageStatus: async (pageId) => (await deps.pages.get(pageId))?.status,
      pagesOfCall: (callId) => deps.pages.ofCall(callId),
      ...(deps.releaseNotification === undefined ? {} : { releaseNotification: deps.releaseNotification }),
      router: this.router,
      contextFor: (callLogger) => deps.contextFor(callLogger, this),
      count: deps.count,
      now: Date.now,
    });
    this.connection.on('event', (event: AriEvent) => this.router.handle(event));
    // Sessions of this process re-check their own channels first; the rest is reconciled.
    this.connection.on('connected', () => void this.reconciler.run());
    this.connection.on('reconnected', () => void this.router.resync().then(() => this.reconciler.run()));
    for (const moment of ['connected', 'reconnected'])
      this.connection.on(moment, () => void this.peers.check());
  }

  get connected(): boolean {
    return this.connection.state.status === 'connected';
  }

  /** Connects (and reconnects for as long as the link runs). */
  start(): void {
    this.connection.start();
    this.peers.start();
  }

  /** Disconnects; `clear`: nothing is left in Asterisk for a next start to adopt. */
  async stop(clear: boolean): Promise<void> {
    this.router.accepting = false;
    this.connection.stop();
    this.peers.stop();
    await this.connection.releaseApplication(clear);
  }
}
