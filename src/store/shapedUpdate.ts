/**
 * A row update that writes only the columns it is given, with one prepared UPDATE per set of
 * columns (prepared on first use; a flow writes a handful of different sets). The call log
 * updates its rows several times per call on the event loop, and one statement for every column
 * (`col = CASE WHEN @set_col THEN @col ELSE col END` for all 18 of them) meant building and
 * binding 37 named parameters per write: ~2% of the daemon's CPU under load.
 */
import type Database from 'better-sqlite3';
import type { Db } from './database';

/** More shapes than this means updates are not the few fixed ones expected: the catch-all serves the rest. */
const MAX_SHAPES = 64;

export class ShapedUpdate {
  private readonly byShape = new Map<string, Database.Statement>();
  private readonly catchAll: Database.Statement;

  constructor(
    private readonly db: Db,
    private readonly table: string,
    /** The columns an update may write (never from the caller: they are put in the SQL). */
    private readonly columns: ReadonlyArray<string>,
  ) {
    const sets = columns.map((c) => `${c} = CASE WHEN @set_${c} THEN @${c} ELSE ${c} END`).join(', ');
    this.catchAll = db.prepare(`UPDATE ${table} SET ${sets} WHERE id = @id`);
  }

  /** Writes the columns of `update` that are not undefined (null is written as NULL). */
  run(id: string, update: Record<string, unknown>): Database.RunResult {
    const present = this.columns.filter((column) => update[column] !== undefined);
    const key = present.join(',');
    let statement = this.byShape.get(key);
    if (statement === undefined && present.length > 0 && this.byShape.size < MAX_SHAPES) {
      const sets = present.map((column) => `${column} = ?`).join(', ');
      statement = this.db.prepare(`UPDATE ${this.table} SET ${sets} WHERE id = ?`);
      this.byShape.set(key, statement);
    }
    if (statement !== undefined) return statement.run(...present.map((column) => update[column]), id);
    // No column (the row is only touched, as before) or an unexpected shape.
    const params: Record<string, unknown> = { id };
    for (const column of this.columns) {
      const given = update[column] !== undefined;
      params[`set_${column}`] = given ? 1 : 0;
      params[column] = given ? update[column] : null;
    }
    return this.catchAll.run(params);
  }
}
