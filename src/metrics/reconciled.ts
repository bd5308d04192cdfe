/**
 * lcr_reconciled_total{kind}: what each reconciliation with Asterisk took back or cleaned up
 * (src/callflow/reconcile/plan.ts names the kinds). Kept apart from metrics.ts because it is fed
 * by the call flow, not read from the database.
 */
import { Counter, type Registry } from 'prom-client';

export function reconciledCounter(registry: Registry): (kind: string) => void {
  const counter = new Counter({
    name: 'lcr_reconciled_total',
    help: 'Channels, bridges and calls a reconciliation with Asterisk took back or cleaned up, by kind',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  return (kind) => counter.inc({ kind });
}
