/** Small facts the daemon keeps about itself: the signing secret of ack links (used tokens: linkTokens.ts). */
import { randomBytes } from 'node:crypto';
import type { Db } from './database';
import type { SqlSession } from './sql/driver';

const KEEP = `INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`;
const READ = `SELECT value FROM meta WHERE key = ?`;

/** The secret is made once and kept, so links mailed before a restart still work after it. */
export function linkSigningSecret(db: Db): Buffer {
  db.prepare(KEEP).run('link_secret', randomBytes(32).toString('hex'));
  return Buffer.from(db.prepare(READ).pluck().get('link_secret') as string, 'hex');
}

/**
 * Names this database among the daemons that share one Asterisk (ari/ownership.ts): made once
 * and kept, so the next process on the same database knows the application record is its own.
 */
export function databaseId(db: Db): string {
  db.prepare(KEEP).run('database_id', randomBytes(8).toString('hex'));
  return db.prepare(READ).pluck().get('database_id') as string;
}

/** Both, on a database several daemons share: whoever comes first makes them, everyone reads the same. */
export async function sharedFacts(sql: SqlSession): Promise<{ linkSecret: Buffer; databaseId: string }> {
  const kept = async (key: string, made: string): Promise<string> => {
    await sql.run(KEEP, [key, made]);
    return (await sql.get<{ value: string }>(READ, [key]))!.value;
  };
  return {
    linkSecret: Buffer.from(await kept('link_secret', randomBytes(32).toString('hex')), 'hex'),
    databaseId: await kept('database_id', randomBytes(8).toString('hex')),
  };
}
