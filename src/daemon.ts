/**
 * The running daemon: configuration, database, the ARI connection and the call router wired
 * together. `lcr start`, `lcr demo`, the integration tests and the benchmark all start it here.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import type { AriConnection, ConnectionOptions } from './ari/connection';
import type { PeerState } from './ari/peers';
import { AsteriskLink } from './callflow/asteriskLink';
import type { AsteriskSettings, Config, Responder, Secret } from './config/model';
import type { ConfigStatus } from './config/reload';
import { resolveAriPassword, startupSecret, StartupError, type DaemonOptions } from './daemonOptions';
import {
  listenerAddresses,
  startupPart,
  withStartup,
  type ListenerAddresses,
  type StartupConfig,
} from './config/startup';
import type { FlowContext } from './callflow/context';
import type { CallRouter } from './callflow/router';
import { drainCalls } from './callflow/drain';
import { goodbyeWhileStopping } from './callflow/inbound';
import { FLOW_PROMPTS } from './callflow/flowPrompts';
import type { PromptRenderer } from './callflow/prompts';
import type { PromptLibrary } from './prompts/library';
import { createPromptLibrary } from './prompts/setup';
import { copyRecording } from './callflow/voicemailCopy';
import type { Logger } from './log/logger';
import type { Db } from './store/database';
import { checkpointInBackground, type Checkpointer } from './store/checkpointer';
import { CallStore } from './store/calls';
import { PageStore, type PageRow } from './store/pages';
import type { SqlDatabase } from './store/sql/driver';
import { NotificationStore } from './store/notifications';
import { DatabaseInUseError } from './store/lock';
import { LinkTokenStore } from './store/linkTokens';
import { openPostgresStorage, openSqliteStorage, type Storage } from './store/storage';
import { ClusterMembership } from './paging/cluster';
import { NodeStore } from './store/nodes';
import { LeaseStore } from './store/leases';
import { callAboutPage, callResponderToCallBack, type PageCallDependencies } from './callflow/pageCall';
import { pendingCallback } from './callflow/callback/callBack';
import { PagingService } from './paging/service';
import { DEFAULT_RETRY, NotificationDispatcher } from './paging/dispatcher';
import type { PagingEngine } from './paging/engine';
import { createEngine, MODULES } from './paging/modules';
import { systemClock } from './util/clock';
import { LinkFactory } from './paging/links';
import type { EmailNotifier } from './notifications/email';
import { createNotifiers, webhookSecretOf } from './notifications/setup';
import { StoreIncidentAlert } from './notifications/storeIncident';
import { HttpServer } from './http/server';
import { checkHealth } from './http/health';
import { voicemailFile } from './store/voicemailFile';
import { createMetrics } from './metrics/metrics';
import { StrayRejections } from './metrics/strays';
import { eventLoopDelayMetric, type EventLoopDelayMetric } from './metrics/eventLoop';
import { reconciledCounter } from './metrics/reconciled';
import type { Reconciler } from './callflow/reconcile/reconciler';
import { ApplicationLeases, type HostedApplication } from './callflow/reconcile/takeover';
import type { Registry } from 'prom-client';
import { OutageBoard } from './paging/outageBoard';
import { StatusStore } from './store/statusMessages';
import { setStatus } from './paging/statusMessages';
import { outageNotices, speakStatus } from './callflow/knownProblem';

export { resolveAriPassword, StartupError, type DaemonOptions } from './daemonOptions';

/** The longest an email or webhook attempt lasts (its timeout), with a margin for the record. */
function attemptBoundMs(config: Config): number {
  const { email, webhooks } = config.notifications;
  const seconds = Math.max(email?.timeoutSeconds ?? 0, ...webhooks.map((w) => w.timeoutSeconds));
  return seconds * 1000 + 5000;
}

/** This daemon's name among those sharing a database: settings.node_id, or host name and application. */
export function nodeIdOf(config: Config): string {
  return config.settings.nodeId ?? `${os.hostname()}-${config.asterisk.app}`;
}

export class Daemon {
  /** The database: a SQLite file of its own, or a PostgreSQL it shares with other daemons. */
  readonly storage: Storage;
  /** The stores' way to the database, whichever it is. */
  readonly sql: SqlDatabase;
  /** Several daemons on one PostgreSQL: this one's membership and engine leases (undefined: alone). */
  readonly cluster: ClusterMembership | undefined;
  /** Several daemons: the applications' leases, this one's own and those taken over from dead daemons. */
  readonly applications: ApplicationLeases | undefined;
  private readonly countReconciled: (kind: string) => void;
  readonly calls: CallStore;
  readonly pages: PageStore;
  readonly notifications: NotificationStore;
  readonly paging: PagingService;
  /** Open problems and status messages, as callers are told of them. */
  readonly board: OutageBoard;
  readonly statuses: StatusStore;
  /** This daemon's application on each Asterisk it connects to, the first Asterisk first. */
  readonly links: AsteriskLink[];
  /** The first Asterisk's connection and router (tests and tools that know one Asterisk). */
  readonly connection: AriConnection;
  readonly router: CallRouter;
  readonly metrics: Registry;
  /** Rejections no code owned: logged and counted while the daemon runs, instead of exiting. */
  readonly strays: StrayRejections;
  private readonly eventLoopDelay: EventLoopDelayMetric;
  private checkpointer: Checkpointer | undefined;
  /** Takes back, on every connection to the first Asterisk, what it holds and no live session follows. */
  readonly reconciler: Reconciler;
  /** Where the HTTP listener is reachable, once started. */
  httpUrl: string | undefined;
  /** Read once: a reload never changes it (see config/startup.ts). */
  readonly startup: StartupConfig;
  /** Public and media addresses, fixed once the listener is bound. */
  private addresses: ListenerAddresses | undefined;
  private config: Config;
  readonly prompts: PromptRenderer;
  /** The daemon's own prompts (undefined when a test hands it a renderer). */
  readonly promptLibrary: PromptLibrary | undefined;
  private readonly linkSecret: Buffer;
  private ackLinks: LinkFactory | undefined;
  private readonly dispatcher: NotificationDispatcher;
  private readonly engine: PagingEngine;
  private readonly http: HttpServer;
  private readonly email: EmailNotifier | undefined;
  private stopped: Promise<void> | undefined;

  /**
   * A daemon on its configured database: the SQLite file, or the PostgreSQL several daemons
   * share (opened, and brought to this lcr's schema, before anything else starts).
   */
  static async open(options: DaemonOptions): Promise<Daemon> {
    const postgres = options.config.settings.postgres;
    if (options.storage !== undefined || postgres === undefined) return new Daemon(options);
    const password =
      postgres.password === undefined
        ? undefined
        : startupSecret(options.config, postgres.password, 'settings.database.password');
    let storage: Storage;
    try {
      storage = await openPostgresStorage(postgres, password, nodeIdOf(options.config), (error) =>
        options.logger.warn('a pooled database connection failed; it is replaced', { error: error.message }),
      );
    } catch (error) {
      throw new StartupError(`cannot open the database ${postgres.url}: ${(error as Error).message}`);
    }
    try {
      return new Daemon({ ...options, storage });
    } catch (error) {
      await storage.close();
      throw error;
    }
  }

  /** The SQLite connection (tests and operators' tools read it); there is none on PostgreSQL. */
  get db(): Db {
    if (this.storage.sqlite === undefined) throw new Error('this daemon runs on PostgreSQL: use daemon.sql');
    return this.storage.sqlite;
  }

  constructor(private readonly options: DaemonOptions) {
    this.config = options.config;
    this.startup = startupPart(options.config);
    const logger = options.logger;
    this.promptLibrary =
      options.prompts === undefined
        ? createPromptLibrary(options.config.prompts, logger, () => this.mediaBaseUrl)
        : undefined;
    this.prompts = options.prompts ?? this.promptLibrary!;
    try {
      this.storage = options.storage ?? openSqliteStorage(options.config.settings.database);
    } catch (error) {
      throw error instanceof DatabaseInUseError ? new StartupError(error.message) : error;
    }
    this.sql = this.storage.sql;
    const storeAlert = new StoreIncidentAlert({
      config: () => this.config,
      secretOf: webhookSecretOf((value, setting) => startupSecret(this.config, value, setting)),
      logger,
    });
    this.calls = new CallStore(
      this.sql,
      (error) => {
        logger.error('a call log write was lost; the call goes on without it', { error: error.message });
        storeAlert.failed(error);
      },
      () => storeAlert.recovered(),
    );
    this.pages = new PageStore(this.sql);
    this.notifications = new NotificationStore(this.sql);
    this.statuses = new StatusStore(this.sql);
    this.board = new OutageBoard({
      pages: this.pages,
      statuses: this.statuses,
      logger,
      now: Date.now,
      windowSeconds: () => Math.max(0, ...this.config.routes.map((route) => route.dedupe.windowSeconds)),
      onNewStatus: (status) => speakStatus(this.config, this.promptLibrary, logger, status),
    });
    const linkTokens = new LinkTokenStore(this.sql);
    this.linkSecret = this.storage.linkSecret;
    const asterisk = options.config.asterisk;
    const secret = (value: Secret, setting: string): string | undefined =>
      startupSecret(this.config, value, setting);
    this.links = this.linksFor(asterisk.app, logger, { own: true });
    const first = this.links[0]!;
    this.connection = first.connection;
    this.router = first.router;
    this.reconciler = first.reconciler;
    this.paging = new PagingService({
      sql: this.sql,
      config: () => this.config,
      pages: this.pages,
      notifications: this.notifications,
      logger,
      writes: this.calls.writes,
      onChange: (pageId, event) => {
        if (event === 'acknowledged' || event === 'resolved') this.dispatcher.abortForPage(pageId);
        if (event !== 'escalated') void this.board.refresh();
        this.engine.wake(MODULES.escalate, MODULES.dispatch);
      },
    });
    const notifiers = createNotifiers({
      config: () => this.config,
      email: this.startup.notifications.email,
      secret,
      links: () => this.linkFactory,
      voicemailFile: (id) => this.voicemailFile(id),
      // A page call released at start (the last process died placing it) is due before the first
      // connection: it waits a moment for Asterisk rather than fail and wait a whole retry.
      placePageCall: async (request) => {
        const link = await this.linkForPageCall();
        return callAboutPage(this.pageCallDependencies(link), request);
      },
    });
    this.email = notifiers.email;
    this.dispatcher = new NotificationDispatcher({
      config: () => this.config,
      notifications: this.notifications,
      pages: this.pages,
      transactional: (work) => this.sql.transaction(work),
      notifiers: notifiers.byChannel,
      logger,
      retry: options.notificationRetry ?? DEFAULT_RETRY,
      onSettled: () => this.engine.wake(MODULES.dispatch),
      ...(options.config.settings.postgres === undefined ? {} : { claimant: nodeIdOf(options.config) }),
      clock: systemClock,
    });
    const postgres = this.storage.kind === 'postgres';
    this.cluster = postgres
      ? new ClusterMembership({
          nodeId: nodeIdOf(options.config),
          app: asterisk.app,
          leaseMs: (options.config.settings.postgres?.leaseSeconds ?? 10) * 1000,
          nodes: new NodeStore(this.sql),
          leases: new LeaseStore(this.sql),
          logger,
        })
      : undefined;
    const engine = createEngine({
      sql: this.sql,
      clock: systemClock,
      logger,
      pollMs: options.pagingPollMs ?? 1000,
      service: this.paging,
      pages: this.pages,
      notifications: this.notifications,
      calls: this.calls,
      linkTokens,
      dispatcher: this.dispatcher,
      copyVoicemail: (vm) =>
        copyRecording(this.linkOf(vm.asterisk).connection.port, logger, this.voicemailDir, vm, 1),
      ariConnected: () => this.links.some((link) => link.connected),
      voicemailRetry: options.voicemailRetry,
      ...(this.cluster === undefined
        ? {}
        : {
            cluster: this.cluster.leaseSettings,
            alive: () => new NodeStore(this.sql).withSessions(),
            attemptBoundMs: () => attemptBoundMs(this.config),
          }),
    });
    this.engine = engine.engine;
    if (this.cluster !== undefined) this.cluster.modules = engine.leased;
    this.metrics = createMetrics({
      calls: this.calls,
      pages: this.pages,
      notifications: this.notifications,
      activeCalls: () => this.activeCalls,
      ariReconnects: () => this.links.reduce((sum, link) => sum + link.connection.state.reconnects, 0),
      ariConnected: () => this.links.every((link) => link.connected),
      asterisks: () => this.links.map((link) => ({ name: link.name, connected: link.connected })),
      peers: () => this.peerSnapshot,
      prompts: () => ({ notReady: this.promptLibrary?.misses ?? 0, failed: this.promptStatus().failed }),
      config: () => this.configStatus,
      callLogWritesLost: () => this.calls.writes.failures,
      ...(this.cluster === undefined
        ? {}
        : {
            cluster: () => ({
              held: this.cluster!.held().length,
              taken: this.cluster!.taken,
              lost: this.cluster!.lost,
            }),
          }),
    });
    this.strays = new StrayRejections(this.metrics, logger);
    this.eventLoopDelay = eventLoopDelayMetric(this.metrics);
    this.countReconciled = reconciledCounter(this.metrics);
    this.applications =
      this.cluster === undefined
        ? undefined
        : new ApplicationLeases({
            app: asterisk.app,
            // A peer of any Asterisk: taken over, it is served on every Asterisk (linksFor).
            peers: [...new Set(options.config.asterisks.flatMap((a) => a.peers))],
            nodeId: this.cluster.nodeId,
            leaseMs: (options.config.settings.postgres?.leaseSeconds ?? 10) * 1000,
            leases: new LeaseStore(this.sql),
            alive: () => new NodeStore(this.sql).withSessions(),
            calls: this.calls,
            host: (app) => this.hostApplication(app),
            logger,
            now: Date.now,
          });
    const apiToken = secret(options.config.settings.apiToken, 'settings.api_token');
    this.http = new HttpServer(
      {
        config: () => this.config,
        pages: this.pages,
        calls: this.calls,
        notifications: this.notifications,
        paging: this.paging,
        voicemailDir: () => this.voicemailDir,
        linkSecret: this.linkSecret,
        useLinkToken: (nonce, expiresAt, at) => linkTokens.use(nonce, expiresAt, at),
        pendingCallback: (pageId) => pendingCallback(this.pages, pageId),
        callBack: (page, responder) => this.callBackFromLink(page, responder),
        sql: this.sql,
        statuses: this.statuses,
        onStatusChange: () => void this.board.refresh(),
        logger,
        apiToken: () => apiToken,
        promptDir: () =>
          this.promptLibrary !== undefined && this.config.prompts.delivery === 'http'
            ? this.config.prompts.cacheDir
            : undefined,
        health: async () =>
          checkHealth({
            database: () => this.storage.probe(),
            ...(this.cluster === undefined ? {} : { cluster: () => this.cluster!.describe(Date.now()) }),
            asterisks: () => this.links.map((link) => ({ name: link.name, ...link.connection.state })),
            activeCalls: () => this.activeCalls,
            peers: () => this.peerSnapshot,
            prompts: () => this.promptStatus(),
            config: () => this.configStatus,
          }),
        metrics: async () => ({ contentType: this.metrics.contentType, body: await this.metrics.metrics() }),
      },
      options.listenerLimits,
    );
    // On every (re)connection: messages whose copy failed while Asterisk was unreachable are
    // fetched again.
    for (const link of this.links)
      for (const moment of ['connected', 'reconnected'])
        link.connection.on(moment, () => {
          engine.voicemailCopies.retryNow();
          this.engine.wake(MODULES.voicemailCopies);
        });
  }

  /**
   * The application `app` on every Asterisk of the configuration. `own`: this daemon's, whose
   * peers are watched; otherwise a dead daemon's taken over, on one REST socket each.
   */
  private linksFor(app: string, logger: Logger, { own }: { own: boolean }): AsteriskLink[] {
    return this.config.asterisks.map(
      (asterisk, index) =>
        new AsteriskLink({
          asterisk,
          first: index === 0,
          app,
          connection: this.connectionOptions(asterisk, index, app, own ? asterisk.restSockets : 1),
          logger: this.config.asterisks.length === 1 ? logger : logger.child({ asterisk: asterisk.name }),
          calls: this.calls,
          pages: this.pages,
          // Several daemons (a shared PostgreSQL): see ReconcilerDependencies.releaseNotification.
          ...(this.storage.kind !== 'postgres'
            ? {}
            : { releaseNotification: (id: number) => this.releaseNotification(id) }),
          contextFor: (callLogger, link) => this.contextFor(callLogger, link),
          count: (kind) => this.countReconciled(kind),
          ...(this.options.peerCheckMs === undefined ? {} : { peerCheckMs: this.options.peerCheckMs }),
          watchPeers: own,
        }),
    );
  }

  /** Calls in progress on every link. */
  private get activeCalls(): number {
    return this.links.reduce((sum, link) => sum + link.router.activeCalls, 0);
  }

  /** The other daemons of every Asterisk: the first Asterisk's peers under their names, the others' as name@asterisk. */
  private get peerSnapshot(): ReadonlyMap<string, PeerState> {
    if (this.links.length === 1) return this.links[0]!.peers.snapshot;
    const all = new Map<string, PeerState>();
    this.links.forEach((link, index) => {
      for (const [app, state] of link.peers.snapshot)
        all.set(index === 0 ? app : `${app}@${link.name}`, state);
    });
    return all;
  }

  /** The link of the Asterisk named `name` (a call's, a message's); the first for rows that name none. */
  private linkOf(name: string | null): AsteriskLink {
    return this.links.find((link) => link.name === name) ?? this.links[0]!;
  }

  /** Rings the responder who asked by link to call a caller back; the outcome is logged, not awaited. */
  private callBackFromLink(page: PageRow, responder: Responder): void {
    const logger = this.options.logger.child({ pageId: page.id, responder: responder.id });
    void this.linkForPageCall()
      .then((link) => callResponderToCallBack(this.pageCallDependencies(link), page, responder))
      .then(
        (result) => logger.info('callback requested by link', { result: result.detail }),
        (error: unknown) => logger.error('callback requested by link failed', { error: String(error) }),
      );
  }

  /**
   * Where a page call goes out: the first Asterisk listed that is connected. None is: it waits a
   * moment for the first (a page call released at start is due before the first connection)
   * rather than fail and wait a whole retry.
   */
  private async linkForPageCall(): Promise<AsteriskLink> {
    const connected = this.links.find((link) => link.connected);
    if (connected !== undefined) return connected;
    const first = this.links[0]!;
    await first.connection.whenConnected(first.asterisk.requestTimeoutSeconds * 1000);
    return first;
  }

  /** Whether the running configuration is the file's (see ConfigReloader); shown in /healthz and /metrics. */
  configStatus: ConfigStatus = { loadedAt: Date.now() };

  reportReload(status: ConfigStatus): void {
    this.configStatus = status;
  }

  get currentConfig(): Config {
    return this.config;
  }

  /**
   * A reloaded configuration: new calls, escalations and notifications use its live part; calls
   * in progress keep the configuration they started with (their context holds it). The start-up
   * part (ARI, database, storage, listener and its addresses, API token, SMTP, prompt engine and
   * delivery) stays as read at start, so every consumer sees the same values until a restart.
   */
  async applyConfig(config: Config): Promise<void> {
    const next = withStartup(config, this.startup);
    // The new prompts are made before the configuration takes over, so no caller waits for them.
    await this.preparePrompts(next);
    this.config = next;
  }

  private promptStatus(): { engine: string; ready: number; failed: number } {
    const library = this.promptLibrary;
    return {
      engine: library?.engineName ?? 'custom',
      ready: library?.lastReport?.needed ?? 0,
      failed: library?.lastReport?.failures.length ?? 0,
    };
  }

  /** Where Asterisk fetches audio from the daemon: prompts here, voicemails through the link factory. */
  private get mediaBaseUrl(): string {
    return (this.addresses ?? listenerAddresses(this.startup.settings)).media;
  }

  private async preparePrompts(config: Config): Promise<void> {
    const library = this.promptLibrary;
    if (library === undefined) return;
    const report = await library.prepare(config, FLOW_PROMPTS);
    this.options.logger.info('prompts ready', {
      engine: library.engineName,
      prompts: report.needed,
      synthesized: report.synthesized,
      converted: report.converted,
      failed: report.failures.length,
      ms: Math.round(report.elapsedMs),
    });
  }

  private get voicemailDir(): string {
    return path.join(this.config.settings.storageDir, 'voicemail');
  }

  /** The stored audio of a voicemail, when the daemon has it. */
  private voicemailFile(voicemailId: string): Promise<string | undefined> {
    return voicemailFile(this.calls, this.voicemailDir, voicemailId);
  }

  private get linkFactory(): LinkFactory {
    if (this.ackLinks === undefined) throw new Error('the HTTP listener is not started yet');
    return this.ackLinks;
  }

  private pageCallDependencies(link: AsteriskLink): PageCallDependencies {
    return {
      ari: link.router.ari,
      legs: link.router,
      calls: this.calls,
      prompts: this.prompts,
      paging: this.paging,
      pages: this.pages,
      config: this.configOn(link),
      logger: this.options.logger,
      asterisk: link.asterisk.name,
      setStatus: async (input, actor) => {
        const set = await setStatus(this.sql, this.statuses, this.config, input, actor);
        if (set.ok) void this.board.refresh();
        return set;
      },
      voicemailMedia: async (page) =>
        page.voicemail_id !== null && (await this.voicemailFile(page.voicemail_id)) !== undefined
          ? this.linkFactory.voicemailForAsterisk(page.voicemail_id, Date.now())
          : undefined,
    };
  }

  /**
   * The configuration as a call on `link` sees it: its Asterisk, and its application (another
   * daemon's, taken over, whose calls name that application in their ids).
   */
  private configOn(link: AsteriskLink): Config {
    const config = this.config;
    if (link.asterisk === config.asterisk && link.app === config.asterisk.app) return config;
    return { ...config, asterisk: { ...link.asterisk, app: link.app } };
  }

  /** What a call's flow runs with: everything it does goes through its own link's Asterisk. */
  private contextFor(logger: Logger, link: AsteriskLink): FlowContext {
    const router = link.router;
    return {
      config: this.configOn(link),
      calls: this.calls,
      paging: this.paging,
      prompts: this.prompts,
      voicemailDir: this.voicemailDir,
      logger,
      now: Date.now,
      legs: router,
      stopping: !this.router.accepting,
      random: Math.random,
      outage: outageNotices(this.board, this.promptLibrary, link.asterisk.name),
    };
  }

  private async releaseNotification(id: number): Promise<void> {
    if (await this.notifications.release(id, Date.now())) this.engine.wake(MODULES.dispatch);
  }

  /** `index`: the Asterisk's place in the list (a test's ariUrl and ariPassword replace the first's). */
  private connectionOptions(
    asterisk: AsteriskSettings,
    index: number,
    app: string,
    restSockets: number,
  ): ConnectionOptions {
    const options = this.options;
    const first = index === 0;
    return {
      url: (first ? options.ariUrl : undefined) ?? asterisk.url,
      username: asterisk.username,
      password:
        (first ? options.ariPassword : undefined) ?? resolveAriPassword(options.config, asterisk, index),
      app,
      requestTimeoutMs: asterisk.requestTimeoutSeconds * 1000,
      restTransport: asterisk.restTransport,
      restSockets,
      owner: { database: this.storage.databaseId },
      ...(options.retry ? { minRetryMs: options.retry.minMs, maxRetryMs: options.retry.maxMs } : {}),
    };
  }

  /**
   * Serves a dead daemon's application besides this one's own, on every Asterisk: its own
   * connections, routers and reconciliations, which adopt the calls it left exactly as a restart
   * of it would.
   */
  private hostApplication(app: string): HostedApplication {
    const links = this.linksFor(app, this.options.logger.child({ takenOver: app }), { own: false });
    return {
      async start() {
        for (const link of links) {
          const refused = await link.connection.refusal();
          if (refused !== undefined) throw refused;
        }
        for (const link of links) link.start();
        // An Asterisk that is down does not hold back the others' calls: its link keeps trying,
        // and reconciles when it connects.
        const connected = await Promise.all(
          links.map(async (link) => {
            if (!(await link.connection.whenConnected(30_000))) return false;
            await link.reconciler.run();
            return true;
          }),
        );
        if (!connected.includes(true)) throw new Error(`could not connect to any Asterisk as ${app}`);
      },
      activeCalls: () => links.reduce((sum, link) => sum + link.router.activeCalls, 0),
      async stop() {
        await Promise.all(links.map((link) => link.stop(true)));
      },
    };
  }

  /** Starts the HTTP listener, the engine (which first closes what a crash left open), then ARI. */
  async start(): Promise<void> {
    this.strays.install();
    const sqlite = this.storage.sqlite;
    if (sqlite !== undefined)
      this.checkpointer = checkpointInBackground(sqlite, (error) =>
        this.options.logger.warn('the WAL checkpoint worker failed; the daemon checkpoints itself again', {
          error: error.message,
        }),
      );
    await this.cluster?.join(Date.now());
    const listen = this.options.httpListen ?? this.config.settings.httpListen;
    let bound: { host: string; port: number };
    try {
      bound = await this.http.listen(listen);
    } catch (error) {
      throw new StartupError(
        `cannot listen on ${listen} (settings.http_listen): ${(error as Error).message}`,
      );
    }
    this.addresses = listenerAddresses(this.startup.settings, bound);
    this.httpUrl = this.addresses.own;
    // The link lifetime is live: a reload that changes ack_link_ttl applies to the next link.
    this.ackLinks = new LinkFactory(
      this.linkSecret,
      this.addresses,
      () => this.config.notifications.ackLinkTtlSeconds,
    );
    await this.preparePrompts(this.config);
    await this.board.start();
    for (const link of this.links) {
      const refused = await link.connection.refusal();
      if (refused !== undefined) throw new StartupError(refused.message);
    }
    await this.engine.start();
    const applications = this.applications;
    if (applications === undefined) return this.connect();
    // Several daemons: this one's application is its own once it holds its lease, which a
    // survivor keeps while it finishes the calls it took over from this daemon's last process.
    applications.start();
    void applications.claimOwn().then((claimed) => {
      if (claimed && this.stopped === undefined) this.connect();
    });
  }

  private connect(): void {
    for (const link of this.links) link.start();
  }

  /**
   * Stops taking calls and escalating, lets calls and notifications in progress finish (up to
   * `drainMs`), turns away late callers, leaves the calls still in progress in Asterisk for the next
   * start to adopt or ends them (callflow/drain.ts), then disconnects.
   */
  stop(drainMs = 0): Promise<void> {
    this.stopped ??= this.stopNow(drainMs);
    return this.stopped;
  }

  private async stopNow(drainMs: number): Promise<void> {
    for (const link of this.links) link.router.accepting = false;
    const engineStopped = this.engine.stop();
    this.dispatcher.stopping = true;
    const { onDrainTimeout } = this.config.settings.shutdown;
    const goodbye = goodbyeWhileStopping(this.prompts);
    const drain = { drainMs, onDrainTimeout, goodbye, logger: this.options.logger };
    const routers = this.links.map((link) => link.router);
    const { left } = await drainCalls(routers, () => this.dispatcher.settled(), drain);
    // Right after the flows froze: a caller arriving now waits in Asterisk for the next start.
    await Promise.all(this.links.map((link) => link.stop(left === 0)));
    await this.http.close();
    this.board.stop();
    this.email?.close();
    // A module still running (a voicemail copy) ends now that ARI is stopped, and records it.
    await engineStopped;
    // Call log writes still waiting for another process's lock get one last try.
    await this.calls.writes.drainNow();
    await this.paging.settled();
    await this.checkpointer?.stop();
    await this.applications?.stop();
    await this.cluster?.leave(Date.now());
    await this.storage.close();
    this.strays.uninstall();
    this.eventLoopDelay.stop();
  }
}
