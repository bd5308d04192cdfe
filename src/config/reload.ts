/**
 * Hot reload: on SIGHUP, or when the YAML file changes, the file is loaded and checked with the
 * same code as `lcr validate`. A valid file is handed to the daemon (new calls use it; calls in
 * progress finish under the configuration they started with) and replaces its live part only:
 * start-up keys that changed are named as waiting for a restart (config/startup.ts). An invalid
 * file is logged with its located errors and the running configuration stays.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Logger } from '../log/logger';
import { ConfigError, formatIssues } from './issues';
import { loadConfigFileOffThread } from './loadOffThread';
import type { Config } from './model';
import { startupChanges, startupPart } from './startup';

/**
 * What a reload did: applied (new calls use the live part; `waitingForRestart` names the
 * start-up keys that changed and keep their running values), or refused with the file's errors.
 */
export type ReloadResult =
  { applied: true; waitingForRestart: string[] } | { applied: false; issues: string[] };

/**
 * Whether the running configuration is the file's: after a failed reload it is older than the
 * file, and monitoring (/healthz, /metrics) must say so and why until a good reload or a restart.
 */
export interface ConfigStatus {
  /** When the running configuration was loaded (epoch ms). */
  loadedAt: number;
  /** The last reload that failed, if no good one came after it. */
  failedReload?: { at: number; reason: string; issues: string[] };
}

export interface ReloadTarget {
  /** Its start-up part is the one read at start: applyConfig never replaces it. */
  readonly currentConfig: Config;
  /**
   * Puts the live part of `config` in force and keeps the running start-up part. May take a
   * while: prompts of the new configuration are made before it takes over.
   */
  applyConfig(config: Config): Promise<void> | void;
  /** Told after every reload attempt. */
  reportReload?(status: ConfigStatus): void;
}

export class ConfigReloader {
  private watcher: fs.FSWatcher | undefined;
  private debounce: NodeJS.Timeout | undefined;
  /** Reloads run one after another, so a slow one cannot be overtaken by an older file. */
  private queue: Promise<unknown> = Promise.resolve();
  /** The running configuration was loaded just before the reloader was made (at start). */
  status: ConfigStatus = { loadedAt: Date.now() };

  constructor(
    private readonly file: string,
    private readonly target: ReloadTarget,
    private readonly logger: Logger,
  ) {}

  /** Loads the file now; resolves with what was applied and what waits for a restart. */
  reload(reason: string): Promise<ReloadResult> {
    const run = this.queue.then(() => this.reloadNow(reason));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async reloadNow(reason: string): Promise<ReloadResult> {
    let next: Config;
    try {
      // Off the event loop: a large file must not stop the calls in progress from reacting.
      const loaded = await loadConfigFileOffThread(this.file);
      for (const issue of formatIssues(loaded.warnings)) this.logger.warn('configuration warning', { issue });
      next = loaded.config;
    } catch (error) {
      const issues =
        error instanceof ConfigError ? formatIssues(error.issues, error.total) : [(error as Error).message];
      this.logger.error(
        'configuration not reloaded: the file has errors; keeping the running configuration',
        {
          reason,
          file: this.file,
          issues,
        },
      );
      this.status = { ...this.status, failedReload: { at: Date.now(), reason, issues } };
      this.target.reportReload?.(this.status);
      return { applied: false, issues };
    }
    const waitingForRestart = startupChanges(startupPart(this.target.currentConfig), startupPart(next));
    await this.target.applyConfig(next);
    this.status = { loadedAt: Date.now() };
    this.target.reportReload?.(this.status);
    this.logger.info('configuration reloaded; new calls use it, calls in progress finish as they started', {
      reason,
      file: this.file,
      routes: next.routes.length,
      responders: next.responders.size,
    });
    if (waitingForRestart.length > 0)
      this.logger.warn('some changes take effect only after a restart; until then the running values stay', {
        waitingForRestart,
      });
    return { applied: true, waitingForRestart };
  }

  /**
   * Watches the file's directory (editors replace files rather than write them in place, which a
   * watch on the file itself would lose) and reloads shortly after the last change.
   */
  watch(debounceMs = 300): void {
    const name = path.basename(this.file);
    this.watcher = fs.watch(path.dirname(this.file), (_event, changed) => {
      if (changed !== null && changed !== name) return;
      if (this.debounce !== undefined) clearTimeout(this.debounce);
      this.debounce = setTimeout(() => void this.reload('file changed'), debounceMs);
      this.debounce.unref();
    });
    this.watcher.unref();
  }

  stop(): void {
    this.watcher?.close();
    if (this.debounce !== undefined) clearTimeout(this.debounce);
  }
}
