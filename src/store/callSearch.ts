/**
 * The call log as people look at it: filtered lists (route, outcome, caller, a time span) and
 * the calls in progress with the phones ringing for them. Read-only; each query is bounded by
 * a limit and served by an index (calls_started, calls_caller, calls_open, call_legs_open); a
 * search by caller digits reads the span it is given (the console gives 90 days by default).
 */
import type { Db } from './database';
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

/** Statements are made once per combination of filters (at most 2^5 of them). */
export class CallSearch {
  private readonly statements = new Map<string, ReturnType<Db['prepare']>>();
  private readonly liveCalls;
  private readonly liveLegs;

  constructor(
    private readonly db: Db,
    /** Lands the call log's queued writes first, so that what is shown is what happened. */
    private readonly flush: () => void,
  ) {
    this.liveCalls = db.prepare('SELECT * FROM calls WHERE ended_at IS NULL ORDER BY started_at LIMIT ?');
    // Both served by the partial indexes of migration 7: only open rows are read.
    this.liveLegs = db.prepare(
      `SELECT * FROM call_legs WHERE ended_at IS NULL
         AND call_id IN (SELECT id FROM calls WHERE ended_at IS NULL) ORDER BY started_at`,
    );
  }

  search(filter: CallFilter): CallRow[] {
    this.flush();
    const clauses: string[] = [];
    const values: Record<string, string | number> = { limit: filter.limit };
    if (filter.routeId !== undefined) {
      clauses.push('route_id = @route');
      values['route'] = filter.routeId;
    }
    if (filter.outcome !== undefined) {
      clauses.push('outcome = @outcome');
      values['outcome'] = filter.outcome;
    }
    if (filter.caller !== undefined) {
      // The pattern's own wildcards are escaped: a caller field of "%" finds only a literal %.
      clauses.push("caller_number LIKE @caller ESCAPE '\\'");
      values['caller'] = `%${filter.caller.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    }
    if (filter.since !== undefined) {
      clauses.push('started_at >= @since');
      values['since'] = filter.since;
    }
    if (filter.until !== undefined) {
      clauses.push('started_at < @until');
      values['until'] = filter.until;
    }
    const where = clauses.length === 0 ? '' : `WHERE ${clauses.join(' AND ')}`;
    let statement = this.statements.get(where);
    if (statement === undefined) {
      statement = this.db.prepare(`SELECT * FROM calls ${where} ORDER BY started_at DESC, id LIMIT @limit`);
      this.statements.set(where, statement);
    }
    return statement.all(values) as CallRow[];
  }

  /** Calls not yet ended, oldest first, each with its legs still up. */
  live(limit = 200): LiveCall[] {
    this.flush();
    const calls = this.liveCalls.all(limit) as CallRow[];
    const legsOf = new Map<string, LegRow[]>();
    for (const leg of this.liveLegs.all() as LegRow[]) {
      const list = legsOf.get(leg.call_id) ?? [];
      list.push(leg);
      legsOf.set(leg.call_id, list);
    }
    return calls.map((call) => ({ call, legs: legsOf.get(call.id) ?? [] }));
  }
}
