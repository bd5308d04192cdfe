/**
 * The last line of defence against a promise nobody owns: Node 20 ends the process on an
 * unhandled rejection, which would drop every call in progress. While the daemon runs, such a
 * rejection is logged and counted (lcr_internal_errors_total) instead. Code should never get here:
 * each flow owns its promises, and a failure of a call ends that call as `error`.
 */
import { Counter, type Registry } from 'prom-client';
import type { Logger } from '../log/logger';

export class StrayRejections {
  private readonly counter: Counter;
  private installed = false;

  constructor(
    registry: Registry,
    private readonly logger: Logger,
  ) {
    this.counter = new Counter({
      name: 'lcr_internal_errors_total',
      help: 'Errors no code path handled (a bug): logged and counted instead of ending the daemon',
      registers: [registry],
    });
  }

  /** The process listener; an arrow function so that it can be removed again. */
  readonly listener = (reason: unknown): void => {
    this.counter.inc();
    const error = reason instanceof Error ? reason : new Error(String(reason));
    this.logger.error('internal error: a rejected promise nobody handled', {
      error: error.message,
      stack: error.stack,
    });
  };

  install(): void {
    if (this.installed) return;
    this.installed = true;
    process.on('unhandledRejection', this.listener);
  }

  uninstall(): void {
    this.installed = false;
    process.off('unhandledRejection', this.listener);
  }
}
