/**
 * Copies an lcr database into another, empty one: `lcr migrate --from sqlite:FILE --to postgres://…`
 * moves an installation from the embedded SQLite to a PostgreSQL that several daemons share.
 *
 * Everything is written in one transaction on the target, so a copy that fails half-way leaves
 * the target as it was. Rows are read from the source a page at a time (by rowid) and written in
 * multi-row INSERTs of a few hundred rows, so a million calls neither build one giant statement
 * nor sit in memory at once. Ids are copied as they are (pages keep their numbers, so mailed ack
 * links and `lcr pages show 42` still mean the same page), and PostgreSQL's identity sequences
 * are then moved past them.
 */
import { MIGRATIONS } from '../migrations';
import type { SqlDatabase, SqlSession, SqlValue } from './driver';
import { postgresSchemaVersion } from './schema';
import { namedError } from '../../util/namedError';

/**
 * Every table of the schema, each after the tables its foreign keys reference (PostgreSQL checks
 * a reference as the row is inserted): calls before their legs and voicemails, voicemails before
 * the pages made from them, pages before their assignments, events and notifications, events
 * before the notifications they caused, notifications before their attempts. A migration that
 * adds a table must add it here too: a table the source has and this list lacks is refused
 * rather than silently left behind.
 */
export const COPY_ORDER: readonly string[] = [
  'calls',
  'call_legs',
  'voicemails',
  'pages',
  'page_assignments',
  'page_events',
  'page_callers',
  'notifications',
  'notification_attempts',
  'used_link_tokens',
  'meta',
  'leases',
  'nodes',
  'status_messages',
];

/** Rows per INSERT, at most: 500, fewer for a wide table (see MAX_PARAMETERS). */
const BATCH_ROWS = 500;
/** Placeholders per statement, at most: below SQLite's 32766 and PostgreSQL's 65535. */
const MAX_PARAMETERS = 30_000;

/** The tables whose emptiness the target must show before anything is copied into it. */
const MUST_BE_EMPTY = ['pages', 'calls', 'notifications', 'meta'] as const;

/** The name the source's rowid is read under, to page by it (no lcr column has it). */
const ROWID = 'lcr_copy_rowid';

export interface CopiedTable {
  table: string;
  rows: number;
}

export interface CopyReport {
  /** In the order they were copied. */
  tables: CopiedTable[];
  /** All rows copied. */
  rows: number;
}

export interface CopyOptions {
  /** Told of each table once its rows are written (before the transaction commits). */
  onTable?: (table: string, rows: number) => void;
  /** Rows per page read and per INSERT (default 500; fewer for a wide table). */
  batchRows?: number;
}

/** The source or the target is not one lcr migrate copies from or into; nothing was written. */
export class CopyError extends namedError('CopyError') {}

/**
 * Copies every table of `from` (an lcr SQLite database at this lcr's schema version) into `to`
 * (at the same version, and empty). Throws CopyError, having written nothing, when either is not
 * as it should be; any other failure rolls the target's transaction back.
 */
export async function copyDatabase(
  from: SqlDatabase,
  to: SqlDatabase,
  options: CopyOptions = {},
): Promise<CopyReport> {
  if (from.dialect !== 'sqlite')
    throw new CopyError(`lcr migrate copies from a SQLite database, not ${from.location}`);
  await checkSourceVersion(from);
  await checkTargetVersion(to);
  const tables = await sourceTables(from);

  return to.transaction(async (tx) => {
    await checkEmpty(tx, to.location);
    const report: CopyReport = { tables: [], rows: 0 };
    for (const table of tables) {
      const rows = await copyTable(from, tx, table, options.batchRows ?? BATCH_ROWS);
      report.tables.push({ table, rows });
      report.rows += rows;
      options.onTable?.(table, rows);
    }
    if (tx.dialect === 'postgres') await moveSequencesPastIds(tx, tables);
    return report;
  });
}

async function checkSourceVersion(from: SqlDatabase): Promise<void> {
  const version = (await from.get<{ user_version: number }>('PRAGMA user_version'))?.user_version ?? 0;
  if (version < MIGRATIONS.length)
    throw new CopyError(
      `${from.location} has schema version ${version}, older than this lcr's (${MIGRATIONS.length}): ` +
        `start the daemon of this lcr once on it (lcr start), which brings it up to date, then migrate`,
    );
  if (version > MIGRATIONS.length)
    throw new CopyError(
      `${from.location} has schema version ${version}, newer than this lcr's (${MIGRATIONS.length}): upgrade lcr`,
    );
}

async function checkTargetVersion(to: SqlDatabase): Promise<void> {
  const version =
    to.dialect === 'postgres'
      ? await postgresSchemaVersion(to)
      : ((await to.get<{ user_version: number }>('PRAGMA user_version'))?.user_version ?? 0);
  if (version !== MIGRATIONS.length)
    throw new CopyError(
      `${to.location} has schema version ${version}, not this lcr's (${MIGRATIONS.length}): ` +
        `open it with this lcr first so that it gets the schema`,
    );
}

/** The source's tables in COPY_ORDER; refuses one that is not in it. */
async function sourceTables(from: SqlDatabase): Promise<string[]> {
  const names = (
    await from.all<{ name: string }>(
      `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`,
    )
  ).map((row) => row.name);
  const unknown = names.filter((name) => !COPY_ORDER.includes(name));
  if (unknown.length > 0)
    throw new CopyError(
      `${from.location} has table(s) lcr migrate does not know how to copy: ${unknown.join(', ')} ` +
        `(not written by this lcr, or COPY_ORDER in src/store/sql/copy.ts misses them)`,
    );
  return COPY_ORDER.filter((name) => names.includes(name));
}

async function checkEmpty(tx: SqlSession, location: string): Promise<void> {
  const counts: Record<string, number> = {};
  for (const table of MUST_BE_EMPTY)
    counts[table] = (await tx.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`))?.n ?? 0;
  if (Object.values(counts).every((n) => n === 0)) return;
  const others = [
    counts['notifications'] ? `, ${counts['notifications']} notifications` : '',
    counts['meta'] ? `, ${counts['meta']} meta rows` : '',
  ].join('');
  throw new CopyError(
    `target database ${location} is not empty (${counts['pages']} pages, ${counts['calls']} calls${others}): ` +
      `lcr migrate copies into an empty database only`,
  );
}

/** Copies one table page by page; returns how many rows it wrote. */
async function copyTable(
  from: SqlDatabase,
  to: SqlSession,
  table: string,
  batchRows: number,
): Promise<number> {
  const pageRows = Math.max(1, Math.floor(batchRows));
  let after = Number.MIN_SAFE_INTEGER;
  let columns: string[] | undefined;
  let insert: (rows: number) => string = () => '';
  let perStatement = pageRows;
  let copied = 0;
  for (;;) {
    const page = await from.all<Record<string, unknown>>(
      `SELECT rowid AS ${ROWID}, * FROM ${quote(table)} WHERE rowid > ? ORDER BY rowid LIMIT ?`,
      [after, pageRows],
    );
    if (page.length === 0) return copied;
    after = page[page.length - 1]![ROWID] as number;
    if (columns === undefined) {
      columns = Object.keys(page[0]!).filter((column) => column !== ROWID);
      insert = insertStatement(table, columns);
      // A wide table gets fewer rows per statement: none has more than MAX_PARAMETERS placeholders.
      perStatement = Math.max(
        1,
        Math.min(pageRows, Math.floor(MAX_PARAMETERS / Math.max(1, columns.length))),
      );
    }
    const rows = page.filter((row) => shouldCopy(table, row));
    for (let start = 0; start < rows.length; start += perStatement) {
      const chunk = rows.slice(start, start + perStatement);
      const values: SqlValue[] = [];
      for (const row of chunk)
        for (const column of columns) values.push(sqlValue(table, column, row[column]));
      await to.run(insert(chunk.length), values);
    }
    copied += rows.length;
  }
}

/**
 * The old daemon's lock record (meta 'daemon': who held the SQLite lock) means nothing on the
 * target; everything else is kept, the link signing secret above all, so that ack links already
 * mailed still work, and the database id, so that the daemons know the Asterisk application as
 * their own.
 */
function shouldCopy(table: string, row: Record<string, unknown>): boolean {
  return !(table === 'meta' && row['key'] === 'daemon');
}

function sqlValue(table: string, column: string, value: unknown): SqlValue {
  if (value === null || typeof value === 'string' || typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  throw new CopyError(`${table}.${column} holds a value lcr migrate cannot copy (${typeof value})`);
}

/** `INSERT INTO t (a, b) VALUES (?, ?), (?, ?), …` for `rows` rows, one text per row count. */
function insertStatement(table: string, columns: readonly string[]): (rows: number) => string {
  const head = `INSERT INTO ${quote(table)} (${columns.map(quote).join(', ')}) VALUES `;
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  const texts = new Map<number, string>();
  return (rows) => {
    let text = texts.get(rows);
    if (text === undefined) {
      text = head + Array.from({ length: rows }, () => tuple).join(', ');
      texts.set(rows, text);
    }
    return text;
  };
}

/**
 * The copied rows kept their ids; the identity columns' sequences still stand at 1, so the next
 * page would be given id 1 again (and fail on the primary key). Each is set to just past the
 * highest id copied.
 */
async function moveSequencesPastIds(tx: SqlSession, tables: readonly string[]): Promise<void> {
  const identities = await tx.all<{ table_name: string; column_name: string }>(
    `SELECT table_name, column_name FROM information_schema.columns
     WHERE table_schema = current_schema() AND is_identity = 'YES' ORDER BY table_name`,
  );
  for (const { table_name: table, column_name: column } of identities) {
    if (!tables.includes(table)) continue;
    await tx.get(
      `SELECT setval(pg_get_serial_sequence(?, ?), (SELECT COALESCE(MAX(${quote(column)}), 0) + 1 FROM ${quote(table)}), false)`,
      [quote(table), column],
    );
  }
}

/** An identifier quoted for both engines. */
function quote(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
