/**
 * A row update that writes only the columns it is given, with one statement text per set of
 * columns (a flow writes a handful of different sets; the driver prepares each text once). The
 * call log updates its rows several times per call on the event loop, and one statement for
 * every column (`col = CASE WHEN ? THEN ? ELSE col END` for all 18 of them) meant building and
 * binding 37 parameters per write: ~2% of the daemon's CPU under load.
 */
import type { RunResult, SqlSession, SqlValue } from './sql/driver';

/** More shapes than this means updates are not the few fixed ones expected: the catch-all serves the rest. */
const MAX_SHAPES = 64;

export class ShapedUpdate {
  private readonly byShape = new Map<string, string>();
  private readonly catchAll: string;

  constructor(
    private readonly table: string,
    /** The columns an update may write (never from the caller: they are put in the SQL). */
    private readonly columns: ReadonlyArray<string>,
  ) {
    const sets = columns.map((c) => `${c} = CASE WHEN ? = 1 THEN ? ELSE ${c} END`).join(', ');
    this.catchAll = `UPDATE ${table} SET ${sets} WHERE id = ?`;
  }

  /** Writes the columns of `update` that are not undefined (null is written as NULL). */
  run(on: SqlSession, id: string, update: Record<string, unknown>): Promise<RunResult> {
    const present = this.columns.filter((column) => update[column] !== undefined);
    const key = present.join(',');
    let sql = this.byShape.get(key);
    if (sql === undefined && present.length > 0 && this.byShape.size < MAX_SHAPES) {
      sql = `UPDATE ${this.table} SET ${present.map((column) => `${column} = ?`).join(', ')} WHERE id = ?`;
      this.byShape.set(key, sql);
    }
    if (sql !== undefined) return on.run(sql, [...present.map((column) => update[column] as SqlValue), id]);
    // No column (the row is only touched, as before) or an unexpected shape.
    const params: SqlValue[] = [];
    for (const column of this.columns) {
      const given = update[column] !== undefined;
      params.push(given ? 1 : 0, given ? (update[column] as SqlValue) : null);
    }
    return on.run(this.catchAll, [...params, id]);
  }
}
