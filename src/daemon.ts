/**
 * The running daemon: configuration, database, the ARI connection and the call router wired
 * together. `lcr start`, `lcr demo`, the integration tests and the benchmark all start it here.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AriConnection } from './ari/connection';
import type { AriEvent } from './ari/types';
import type { Config } from './config/model';
import type { FlowContext } from './callflow/context';
import { CallRouter } from './callflow/router';
import { StockSoundRenderer, type PromptRenderer } from './callflow/prompts';
import { routeDirect } from './callflow/direct/direct';
import { retryFailedCopies } from './callflow/voicemailCopy';
import type { Logger } from './log/logger';
import { openDatabase, type Db } from './store/database';
import { CallStore } from './store/calls';
import { PageStore } from './store/pages';

export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}

/** The ARI password from the environment, a file, or (discouraged) the YAML itself. */
export function resolveAriPassword(config: Config, env: NodeJS.ProcessEnv = process.env): string {
  const source = config.asterisk.password;
  switch (source.kind) {
    case 'plain':
      return source.value;
    case 'env': {
      const value = env[source.name];
      if (value === undefined)
        throw new StartupError(`asterisk.password_env: environment variable ${source.name} is not set`);
      return value;
    }
    case 'file': {
      const file = path.resolve(path.dirname(config.source), source.path);
      try {
        return fs.readFileSync(file, 'utf8').split(/\r?\n/)[0]!;
      } catch (error) {
        throw new StartupError(`asterisk.password_file: cannot read ${file}: ${(error as Error).message}`);
      }
    }
    case 'none':
      return '';
  }
}

export interface DaemonOptions {
  config: Config;
  logger: Logger;
  /** Overrides the configured ARI URL (the demo points it at its simulator). */
  ariUrl?: string;
  ariPassword?: string;
  prompts?: PromptRenderer;
  /** Backoff of ARI reconnection attempts; tests shorten it. */
  retry?: { minMs: number; maxMs: number };
}

export class Daemon {
  readonly db: Db;
  readonly calls: CallStore;
  readonly pages: PageStore;
  readonly connection: AriConnection;
  readonly router: CallRouter;
  private config: Config;
  private readonly prompts: PromptRenderer;

  constructor(options: DaemonOptions) {
    this.config = options.config;
    this.prompts = options.prompts ?? new StockSoundRenderer();
    this.db = openDatabase(options.config.settings.database);
    this.calls = new CallStore(this.db);
    this.pages = new PageStore(this.db);
    const asterisk = options.config.asterisk;
    this.connection = new AriConnection(
      {
        url: options.ariUrl ?? asterisk.url,
        username: asterisk.username,
        password: options.ariPassword ?? resolveAriPassword(options.config),
        app: asterisk.app,
        requestTimeoutMs: asterisk.requestTimeoutSeconds * 1000,
        ...(options.retry ? { minRetryMs: options.retry.minMs, maxRetryMs: options.retry.maxMs } : {}),
      },
      options.logger,
    );
    this.router = new CallRouter({
      ari: this.connection.port,
      logger: options.logger,
      contextForNewCall: (logger) => this.contextFor(logger),
      routeDirect,
    });
    this.connection.on('event', (event: AriEvent) => this.router.handle(event));
    this.connection.on('reconnected', () => void this.router.resync());
    // Messages whose copy failed while Asterisk was unreachable are fetched again on every (re)connection.
    for (const moment of ['connected', 'reconnected']) {
      this.connection.on(
        moment,
        () => void retryFailedCopies(this.connection.port, options.logger, this.voicemailDir, this.calls),
      );
    }
  }

  private get voicemailDir(): string {
    return path.join(this.config.settings.storageDir, 'voicemail');
  }

  private contextFor(logger: Logger): FlowContext {
    return {
      config: this.config,
      calls: this.calls,
      pages: this.pages,
      prompts: this.prompts,
      voicemailDir: this.voicemailDir,
      logger,
      now: Date.now,
      legs: this.router,
      random: Math.random,
    };
  }

  start(): void {
    this.closeInterruptedCalls();
    this.connection.start();
  }

  /**
   * Calls still open in the database when the daemon starts were cut short by a crash or a
   * kill: their channels are gone with the old process's sessions. Close their rows honestly.
   */
  private closeInterruptedCalls(): void {
    for (const call of this.calls.unfinishedCalls()) {
      this.calls.updateCall(call.id, {
        outcome: call.outcome ?? 'error',
        outcome_detail: call.outcome_detail ?? 'the daemon stopped during the call',
        ended_at: Date.now(),
      });
    }
  }

  /** Stops taking calls, lets the ones in progress finish (up to `drainMs`), then disconnects. */
  async stop(drainMs = 0): Promise<void> {
    this.router.accepting = false;
    if (drainMs > 0) {
      await Promise.race([this.router.drain(), new Promise((resolve) => setTimeout(resolve, drainMs))]);
    }
    this.connection.stop();
    this.db.close();
  }
}
