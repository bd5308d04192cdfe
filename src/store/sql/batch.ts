/**
 * Many rows in one statement: `VALUES (?, ?), (?, ?), ...` in chunks, so that a tick writing a
 * thousand rows pays a few round trips to PostgreSQL instead of a thousand (each is a network
 * wait; SQLite, in process, barely notices either way). Chunks stay far below both engines'
 * limits on parameters (SQLite 32766, PostgreSQL 65535), and their sizes repeat, so the
 * statement cache holds few texts.
 */

/** Rows per statement. */
export const BATCH_ROWS = 200;

/** `rows` in chunks of at most `size`. */
export function chunksOf<T>(rows: readonly T[], size = BATCH_ROWS): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < rows.length; start += size) chunks.push(rows.slice(start, start + size));
  return chunks;
}

/**
 * `(?, ?, ?), (?, ?, ?)` for `rowCount` rows of `columns`; a column given as a type is cast to it
 * (`CAST(? AS BIGINT)`), which PostgreSQL needs where nothing else tells a parameter's type (a
 * VALUES list compared with a column).
 */
export function valuesList(rowCount: number, columns: ReadonlyArray<string | undefined>): string {
  const row = `(${columns.map((type) => (type === undefined ? '?' : `CAST(? AS ${type})`)).join(', ')})`;
  return Array.from({ length: rowCount }, () => row).join(', ');
}
