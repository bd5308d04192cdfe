/**
 * Hot reload: on SIGHUP, or when the YAML file changes, the file is loaded and checked with the
 * same code as `lcr validate`. A valid file is handed to the daemon (new calls use it; calls in
 * progress finish under the configuration they started with); an invalid one is logged with its
 * located errors and the running configuration stays.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Logger } from '../log/logger';
import { ConfigError, formatIssue } from './issues';
import { loadConfigFile } from './load';
import type { Config } from './model';

/** Settings a running daemon cannot change on the fly: they need a restart, and the log says so. */
export function settingsNeedingRestart(running: Config, next: Config): string[] {
  const changed: string[] = [];
  const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
  if (!same(running.asterisk, next.asterisk)) changed.push('asterisk');
  for (const key of ['database', 'storageDir', 'httpListen', 'publicUrl', 'mediaUrl', 'apiToken'] as const)
    if (!same(running.settings[key], next.settings[key])) changed.push(`settings.${key}`);
  if (!same(running.notifications.email, next.notifications.email)) changed.push('notifications.email');
  // Prompt texts reload; how prompts are made and delivered is fixed at start.
  if (!same({ ...running.prompts, texts: {} }, { ...next.prompts, texts: {} }))
    changed.push('prompts (except texts)');
  return changed;
}

export interface ReloadTarget {
  readonly currentConfig: Config;
  /** May take a while: prompts of the new configuration are made before it takes over. */
  applyConfig(config: Config): Promise<void> | void;
}

export class ConfigReloader {
  private watcher: fs.FSWatcher | undefined;
  private debounce: NodeJS.Timeout | undefined;
  /** Reloads run one after another, so a slow one cannot be overtaken by an older file. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly file: string,
    private readonly target: ReloadTarget,
    private readonly logger: Logger,
  ) {}

  /** Loads the file now; resolves with whether the new configuration is in force. */
  reload(reason: string): Promise<boolean> {
    const run = this.queue.then(() => this.reloadNow(reason));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async reloadNow(reason: string): Promise<boolean> {
    let next: Config;
    try {
      const loaded = loadConfigFile(this.file);
      for (const warning of loaded.warnings)
        this.logger.warn('configuration warning', { issue: formatIssue(warning) });
      next = loaded.config;
    } catch (error) {
      const issues =
        error instanceof ConfigError
          ? error.issues.map((issue) => formatIssue(issue))
          : [(error as Error).message];
      this.logger.error(
        'configuration not reloaded: the file has errors; keeping the running configuration',
        {
          reason,
          file: this.file,
          issues,
        },
      );
      return false;
    }
    const needRestart = settingsNeedingRestart(this.target.currentConfig, next);
    await this.target.applyConfig(next);
    this.logger.info('configuration reloaded; new calls use it, calls in progress finish as they started', {
      reason,
      file: this.file,
      routes: next.routes.length,
      responders: next.responders.size,
    });
    if (needRestart.length > 0)
      this.logger.warn('some changes take effect only after a restart', { settings: needRestart });
    return true;
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
