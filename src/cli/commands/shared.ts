import { loadConfigFile, type LoadedConfig } from '../../config/load';
import { ConfigError, formatIssues } from '../../config/issues';
import type { Config } from '../../config/model';
import { resolveSecret } from '../../config/secrets';
import { openDatabase } from '../../store/database';
import type { SqlDatabase } from '../../store/sql/driver';
import { openPostgres, withoutSecrets } from '../../store/sql/postgres';
import { SqliteDatabase } from '../../store/sql/sqlite';
import { CliFailure, type CliIo } from '../io';

export const DEFAULT_CONFIG = 'routes.yaml';

export function configPath(option: string | undefined): string {
  return option ?? process.env['LCR_CONFIG'] ?? DEFAULT_CONFIG;
}

/** Loads the configuration or prints its located errors and fails with exit code 1. */
export function loadOrFail(io: CliIo, file: string): LoadedConfig {
  try {
    const loaded = loadConfigFile(file);
    for (const line of formatIssues(loaded.warnings)) io.err(line);
    return loaded;
  } catch (error) {
    if (error instanceof ConfigError) {
      for (const line of formatIssues(error.issues, error.total)) io.err(line);
      throw new CliFailure(`${file}: ${error.total} error(s)`);
    }
    throw error;
  }
}

/**
 * The configured database for a command: the SQLite file (`--db` overrides it; read-only for the
 * listings), or the PostgreSQL the daemons share. Closed by `use`'s end.
 */
export async function withConfiguredDatabase<T>(
  config: Config,
  options: { db?: string; readonly?: boolean },
  use: (sql: SqlDatabase) => Promise<T>,
): Promise<T> {
  const postgres = config.settings.postgres;
  let sql: SqlDatabase;
  if (postgres !== undefined && options.db === undefined) {
    const password = resolveSecret(postgres.password, config.source, 'settings.database.password');
    try {
      sql = await openPostgres({
        url: postgres.url,
        ...(password === undefined ? {} : { password }),
        poolSize: 2,
      });
    } catch (error) {
      throw new CliFailure(
        `cannot open the database ${withoutSecrets(postgres.url)}: ${(error as Error).message}`,
      );
    }
  } else {
    const file = options.db ?? config.settings.database;
    sql = new SqliteDatabase(openDatabase(file, { readonly: options.readonly ?? false }), `sqlite:${file}`);
  }
  try {
    return await use(sql);
  } finally {
    await sql.close();
  }
}
