/**
 * What starting a daemon takes: its options (tests and the demo shorten timers and pick ports),
 * the secrets it must read before it starts, and the error that stops a start with a message
 * for the operator instead of a stack trace.
 */
import type { Storage } from './store/storage';
import type { AsteriskSettings, Config, Secret } from './config/model';
import { resolveSecret } from './config/secrets';
import type { PromptRenderer } from './callflow/prompts';
import type { Logger } from './log/logger';
import type { RetryPolicy } from './paging/dispatcher';
import type { ListenerLimits } from './http/server';
import { namedError } from './util/namedError';

export class StartupError extends namedError('StartupError') {}

/** A secret the daemon needs to start; one it cannot read stops the start with a clear message. */
export function startupSecret(config: Config, secret: Secret, setting: string): string | undefined {
  try {
    return resolveSecret(secret, config.source, setting);
  } catch (error) {
    throw new StartupError((error as Error).message);
  }
}

/**
 * An Asterisk's ARI password from the environment, a file, or (discouraged) the YAML itself;
 * the first Asterisk's unless told which (`index`: its place in the list, for the messages).
 */
export function resolveAriPassword(
  config: Config,
  asterisk: AsteriskSettings = config.asterisk,
  index = 0,
): string {
  const setting = config.asterisks.length > 1 ? `asterisk[${index}].password` : 'asterisk.password';
  return startupSecret(config, asterisk.password, setting) ?? '';
}

export interface DaemonOptions {
  config: Config;
  /** How often the peers' registration is asked for (default 15 s); tests shorten it. */
  peerCheckMs?: number;
  logger: Logger;
  /** Overrides the configured ARI URL (the demo points it at its simulator). */
  ariUrl?: string;
  ariPassword?: string;
  prompts?: PromptRenderer;
  /** Backoff of ARI reconnection attempts; tests shorten it. */
  retry?: { minMs: number; maxMs: number };
  /** Overrides settings.http_listen ("127.0.0.1:0" for any free port). */
  httpListen?: string;
  /** Backoff of notification retries, and of voicemail copy retries; tests shorten them. */
  notificationRetry?: RetryPolicy;
  voicemailRetry?: RetryPolicy;
  /** The listener's timeouts and connection limit; tests shorten them. */
  listenerLimits?: ListenerLimits;
  /** Longest the paging engine sleeps between two looks at the database. */
  pagingPollMs?: number;
  /**
   * The database, opened already (Daemon.open does so for PostgreSQL); without it the daemon
   * opens settings.database as its SQLite file.
   */
  storage?: Storage;
}
