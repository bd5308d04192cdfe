/**
 * The call log as people look at it: filtered lists (route, outcome, caller, a time span) and
 * the calls in progress with the phones ringing for them. Read-only; each query is bounded by
 * a limit and served by an index (calls_started, calls_caller, calls_open, call_legs_open); a
 * search by caller digits reads the span it is given (the console gives 90 days by default).
 */
import type { SqlSession } from './sql/driver';
import type { CallOutcome } from '../domain/enums';
import type { CallRow, LegRow } from './calls';

export interface CallFilter {
  routeId?: string;
  outcome?: CallOutcome;
  /** Digits the caller's number contains ("0100" finds +15550100). */
  caller?: string;
  /** Epoch milliseconds: calls that started in [since, until). */
  since?: number;
  until?: number;
  limit: number;
}

export interface LiveCall {
  call: CallRow;
  /** Legs still up: ringing, or answered and hearing the confirmation prompt. */
  legs: LegRow[];
}

export class CallSearch {
  constructor(
    private readonly db: SqlSession,
    /** Lands the call log's queued writes first, so that what is shown is what happened. */
    private readonly settled: () => Promise<void>,
  ) {}

  async search(filter: CallFilter): Promise<CallRow[]> {
    await this.settled();
    const clauses: string[] = [];
    const values: Array<string | number> = [];
    if (filter.routeId !== undefined) {
      clauses.push('route_id = ?');
      values.push(filter.routeId);
    }
    if (filter.outcome !== undefined) {
      clauses.push('outcome = ?');
      values.push(filter.outcome);
    }
    if (filter.caller !== undefined) {
      // The pattern's own wildcards are escaped: a caller field of "%" finds only a literal %.
      clauses.push("caller_number LIKE ? ESCAPE '\\'");
      values.push(`%${filter.caller.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    }
    if (filter.since !== undefined) {
      clauses.push('started_at >= ?');
      values.push(filter.since);
    }
    if (filter.until !== undefined) {
      clauses.push('started_at < ?');
      values.push(filter.until);
    }
    const where = clauses.length === 0 ? '' : `WHERE ${clauses.join(' AND ')}`;
    // At most 2^5 texts, each prepared once by the driver.
    return this.db.all<CallRow>(`SELECT * FROM calls ${where} ORDER BY started_at DESC, id LIMIT ?`, [
      ...values,
      filter.limit,
    ]);
  }

  /** Calls not yet ended, oldest first, each with its legs still up. */
  async live(limit = 200): Promise<LiveCall[]> {
    await this.settled();
    const calls = await this.db.all<CallRow>(
      'SELECT * FROM calls WHERE ended_at IS NULL ORDER BY started_at LIMIT ?',
      [limit],
    );
    // Served by the partial indexes of migration 7: only open rows are read.
    const legs = await this.db.all<LegRow>(
      `SELECT * FROM call_legs WHERE ended_at IS NULL
         AND call_id IN (SELECT id FROM calls WHERE ended_at IS NULL) ORDER BY started_at`,
    );
    const legsOf = new Map<string, LegRow[]>();
    for (const leg of legs) {
      const list = legsOf.get(leg.call_id) ?? [];
      list.push(leg);
      legsOf.set(leg.call_id, list);
    }
    return calls.map((call) => ({ call, legs: legsOf.get(call.id) ?? [] }));
  }
}
