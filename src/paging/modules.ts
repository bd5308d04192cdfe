/**
 * The engine's modules (see engine.ts), each one small step that is safe to repeat: the state it
 * works from is in the database, and it writes only through the transaction it is handed.
 */
import type { Logger } from '../log/logger';
import type { CallStore, CopyResult, OwedVoicemail } from '../store/calls';
import type { SqlDatabase } from '../store/sql/driver';
import type { LinkTokenStore } from '../store/linkTokens';
import type { NotificationStore } from '../store/notifications';
import type { PageStore } from '../store/pages';
import type { Clock } from '../util/clock';
import { DEFAULT_RETRY, retryDelayMs, type NotificationDispatcher, type RetryPolicy } from './dispatcher';
import { PagingEngine, type EngineModule, type ModuleRun } from './engine';
import { leased, type LeasedModule, type LeaseSettings } from './leased';
import type { PagingService, Transactional } from './service';

export const MODULES = {
  releaseInterruptedNotifications: 'release-interrupted-notifications',
  releaseStaleNotifications: 'release-stale-notifications',
  escalate: 'escalate-due-pages',
  dispatch: 'dispatch-due-notifications',
  voicemailCopies: 'retry-voicemail-copies',
  pruneLinkTokens: 'prune-used-link-tokens',
} as const;

const BATCH = 500;
const HOUR = 3600_000;
/** Used link tokens are kept this long after they expire, then deleted. */
export const LINK_TOKEN_RETENTION_MS = 7 * 24 * HOUR;
/** A notification 'sending' for this long lost its sender (several daemons only). */
export const STALE_SENDING_MS = 15 * 60_000;

/**
 * Notifications the last process was sending when it died go back to pending, to be sent again.
 * At start only: one daemon runs against a database, so nobody else is sending them.
 */
export function releaseInterruptedNotifications(
  notifications: NotificationStore,
  logger: Logger,
): EngineModule {
  return {
    name: MODULES.releaseInterruptedNotifications,
    atStartOnly: true,
    async runOnce(now, tx) {
      const released = await tx((t) => notifications.in(t).releaseInterrupted(now));
      if (released > 0)
        logger.warn('notifications interrupted by the last stop will be sent again', { released });
      return {};
    },
  };
}

/**
 * With several daemons the outbox is shared, so a starting daemon must not take back what another
 * is sending: instead, rows left 'sending' far longer than any send lasts (a page call rings,
 * announces and waits for a key for a few minutes at most) are released by whoever holds this
 * module's lease.
 */
export function releaseStaleNotifications(
  notifications: NotificationStore,
  logger: Logger,
  /** The daemons with a database session now (undefined: cannot tell; only age counts). */
  alive: () => Promise<Set<string> | undefined>,
  /**
   * How long one email or webhook attempt may last (the longest configured timeout, and some):
   * a sender cut off from the database, not dead, finishes its attempt within it and records it
   * once it is back, so only an older claim is sent again, and a short cut never sends twice.
   */
  attemptBoundMs: () => number = () => 60_000,
  staleAfterMs = STALE_SENDING_MS,
): EngineModule {
  // A sender seen without a session on two looks in a row is gone (not a blip of the server).
  const missing = new Set<string>();
  return {
    name: MODULES.releaseStaleNotifications,
    pollMs: 1000,
    async runOnce(now, tx) {
      let released = await tx((t) => notifications.in(t).releaseStale(now - staleAfterMs, now));
      const living = await alive();
      if (living !== undefined) {
        for (const sender of await notifications.senders()) {
          if (living.has(sender)) {
            missing.delete(sender);
          } else if (!missing.has(sender)) {
            missing.add(sender);
          } else {
            released += await tx((t) =>
              notifications.in(t).releaseClaimedBy(sender, now - attemptBoundMs(), now),
            );
          }
        }
      }
      if (released > 0)
        logger.warn('notifications whose sender died mid-send will be sent again', { released });
      return {};
    },
  };
}

/** Moves every page whose deadline passed one step; more than a batch due: runs again at once. */
export function escalateDuePages(service: PagingService, pages: PageStore): EngineModule {
  return {
    name: MODULES.escalate,
    async runOnce(now, tx) {
      await service.escalateDue(now, BATCH, tx);
      return { next: await pages.nextDue() };
    },
  };
}

/**
 * Starts the sends that are due. With no room left it waits to be woken when a send ends, rather
 * than looking again at rows it cannot start.
 */
export function dispatchDueNotifications(dispatcher: NotificationDispatcher): EngineModule {
  return {
    name: MODULES.dispatch,
    async runOnce(now, tx) {
      await dispatcher.dispatchDue(now, tx);
      return { next: await dispatcher.nextDue() };
    },
  };
}

/** Deletes used link tokens that expired more than `retentionMs` ago; hourly is plenty. */
export function pruneUsedLinkTokens(
  tokens: LinkTokenStore,
  logger: Logger,
  retentionMs = LINK_TOKEN_RETENTION_MS,
): EngineModule {
  return {
    name: MODULES.pruneLinkTokens,
    pollMs: HOUR,
    async runOnce(now, tx) {
      const pruned = await tx((t) => tokens.in(t).prune(now - retentionMs));
      if (pruned > 0) logger.info('pruned used link tokens', { pruned });
      return {};
    },
  };
}

export interface VoicemailCopyDependencies {
  calls: CallStore;
  /** One attempt at copying the message from the Asterisk that recorded it. */
  copy: (voicemail: OwedVoicemail) => Promise<CopyResult>;
  /** Whether an Asterisk is reachable: no attempt is spent while none is. */
  connected: () => boolean;
  logger: Logger;
  retry: RetryPolicy;
}

/**
 * Copies the messages whose copy from Asterisk failed during the call, with exponential backoff
 * kept in the database (so a restart neither forgets nor hurries them), and at once whenever
 * Asterisk comes back. A message Asterisk no longer has is given up, loudly.
 */
export class VoicemailCopyRetry implements EngineModule {
  readonly name = MODULES.voicemailCopies;
  private forced = false;

  constructor(private readonly deps: VoicemailCopyDependencies) {}

  /** Asterisk is back: the next run tries every owed copy, whatever its backoff. */
  retryNow(): void {
    this.forced = true;
  }

  async runOnce(now: number, tx: Transactional): Promise<ModuleRun> {
    const { calls, logger } = this.deps;
    if (!this.deps.connected()) return {};
    const forced = this.forced;
    this.forced = false;
    for (const voicemail of await calls.voicemailsOwed(forced ? Number.MAX_SAFE_INTEGER : now, BATCH)) {
      const result = await this.deps.copy(voicemail);
      const attempt = voicemail.copy_attempts + 1;
      if (!('error' in result)) {
        await tx((t) => calls.recordCopyRetry(voicemail.id, result, t));
        logger.info('voicemail copied on retry', { voicemailId: voicemail.id, attempt });
      } else if (/not found/i.test(result.error)) {
        await tx((t) => calls.recordCopyRetry(voicemail.id, { error: result.error, retryAt: null }, t));
        logger.error('voicemail is gone from Asterisk and was never copied', { voicemailId: voicemail.id });
      } else {
        const retryAt = now + retryDelayMs(attempt, this.deps.retry);
        await tx((t) => calls.recordCopyRetry(voicemail.id, { error: result.error, retryAt }, t));
        logger.warn('voicemail copy failed again; will retry', {
          voicemailId: voicemail.id,
          attempt,
          retryInMs: retryAt - now,
        });
      }
      // Asterisk went away meanwhile: the rest waits for it rather than failing one by one.
      if (!this.deps.connected()) break;
    }
    return { next: await calls.nextCopyRetry() };
  }
}

export interface EngineWiring {
  sql: SqlDatabase;
  clock: Clock;
  logger: Logger;
  pollMs: number;
  service: PagingService;
  pages: PageStore;
  notifications: NotificationStore;
  calls: CallStore;
  linkTokens: LinkTokenStore;
  dispatcher: NotificationDispatcher;
  copyVoicemail: VoicemailCopyDependencies['copy'];
  ariConnected: () => boolean;
  voicemailRetry?: RetryPolicy;
  /**
   * Several daemons on one database: every module runs under a lease (leased.ts), and the outbox
   * is released by age instead of at start. Absent: this daemon is alone on its database.
   */
  cluster?: Omit<LeaseSettings, 'logger'>;
  /** Several daemons: which have a database session now (their notifications in flight are theirs). */
  alive?: () => Promise<Set<string> | undefined>;
  /** How long one email or webhook attempt may last, from the configuration (its longest timeout). */
  attemptBoundMs?: () => number;
}

/** The daemon's engine: every module, recovery first, on the daemon's database. */
export function createEngine(w: EngineWiring): {
  engine: PagingEngine;
  voicemailCopies: VoicemailCopyRetry;
  /** The modules' leases (several daemons only): what this daemon holds, and how to give it up. */
  leased: LeasedModule[];
} {
  const voicemailCopies = new VoicemailCopyRetry({
    calls: w.calls,
    copy: w.copyVoicemail,
    connected: w.ariConnected,
    logger: w.logger,
    retry: w.voicemailRetry ?? DEFAULT_RETRY,
  });
  const periodic: EngineModule[] = [
    escalateDuePages(w.service, w.pages),
    dispatchDueNotifications(w.dispatcher),
    voicemailCopies,
    pruneUsedLinkTokens(w.linkTokens, w.logger),
  ];
  const cluster = w.cluster;
  const modules =
    cluster === undefined
      ? [releaseInterruptedNotifications(w.notifications, w.logger), ...periodic]
      : [
          ...periodic,
          releaseStaleNotifications(
            w.notifications,
            w.logger,
            w.alive ?? (async () => undefined),
            w.attemptBoundMs,
          ),
        ].map((module) => leased(module, { ...cluster, logger: w.logger }));
  const engine = new PagingEngine({
    modules,
    clock: w.clock,
    tx: (work) => w.sql.transaction(work),
    logger: w.logger,
    pollMs: w.pollMs,
  });
  const leasedModules = cluster === undefined ? [] : (modules as LeasedModule[]);
  return { engine, voicemailCopies, leased: leasedModules };
}
