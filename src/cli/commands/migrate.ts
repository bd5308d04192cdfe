/**
 * `lcr migrate --from sqlite:FILE --to postgres://…`: copies an existing installation's database
 * (the daemon's SQLite file) into an empty PostgreSQL database, which gets the schema first.
 * Everything is copied in one transaction: on any error the target is left as it was.
 */
import * as path from 'node:path';
import { openDatabase } from '../../store/database';
import { databaseInUse } from '../../store/lock';
import { copyDatabase, CopyError } from '../../store/sql/copy';
import { openPostgres, withoutSecrets, type PostgresDatabase } from '../../store/sql/postgres';
import { SqliteDatabase } from '../../store/sql/sqlite';
import { CliFailure, EXIT_FAILURE, EXIT_USAGE, type CliIo } from '../io';

export interface MigrateOptions {
  from: string;
  to: string;
  passwordEnv?: string;
}

/** The SQLite file a `--from` names (`sqlite:FILE`, relative to the working directory). */
export function sqliteFileOf(location: string, cwd: string = process.cwd()): string {
  const match = /^sqlite:(.+)$/.exec(location);
  if (match === null)
    throw new CliFailure(
      `--from must be sqlite:FILE (the daemon's settings.database), not "${location}"`,
      EXIT_USAGE,
    );
  return path.resolve(cwd, match[1]!);
}

function checkTarget(url: string): void {
  if (/^postgres(ql)?:\/\//.test(url)) return;
  // Only the scheme is repeated: the rest may hold a password.
  const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(url)?.[0];
  throw new CliFailure(
    `--to must be a PostgreSQL URL (postgres://user@host:port/database or postgresql://…)` +
      (scheme === undefined ? '' : `, not a ${scheme} one`),
    EXIT_USAGE,
  );
}

function passwordOf(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  const password = process.env[name];
  if (password === undefined)
    throw new CliFailure(`--password-env ${name}: the environment has no ${name}`, EXIT_USAGE);
  return password;
}

export async function migrateCommand(io: CliIo, options: MigrateOptions): Promise<void> {
  const file = sqliteFileOf(options.from);
  checkTarget(options.to);
  const password = passwordOf(options.passwordEnv);
  const target = withoutSecrets(options.to);

  if (databaseInUse(file))
    throw new CliFailure(
      `${file} is in use by a running lcr daemon: stop it first, so that nothing it writes after the copy is lost`,
      EXIT_FAILURE,
    );
  const db = openDatabase(file, { readonly: true });
  try {
    // One read transaction: the copy is of one moment of the file, even should a daemon still write to it.
    db.exec('BEGIN');
    const source = new SqliteDatabase(db, 'sqlite:' + file);
    let to: PostgresDatabase;
    try {
      to = await openPostgres({
        url: options.to,
        ...(password === undefined ? {} : { password }),
        poolSize: 2,
      });
    } catch (error) {
      throw new CliFailure(`cannot open ${target}: ${(error as Error).message}`, EXIT_FAILURE);
    }
    try {
      const report = await copyDatabase(source, to, {
        onTable: (table, rows) => io.out(`${table}: ${rows} rows`),
      });
      io.out(`copied ${report.rows} rows from ${source.location} to ${to.location}`);
    } catch (error) {
      if (error instanceof CopyError) throw new CliFailure(error.message, EXIT_FAILURE);
      throw new CliFailure(
        `copy to ${to.location} failed, nothing was written: ${(error as Error).message}`,
        EXIT_FAILURE,
      );
    } finally {
      await to.close();
    }
  } finally {
    db.close();
  }
}
