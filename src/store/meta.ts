/** Small facts the daemon keeps about itself: the signing secret of ack links (used tokens: linkTokens.ts). */
import { randomBytes } from 'node:crypto';
import type { Db } from './database';

/** The secret is made once and kept, so links mailed before a restart still work after it. */
export function linkSigningSecret(db: Db): Buffer {
  db.prepare(`INSERT OR IGNORE INTO meta (key, value) VALUES ('link_secret', ?)`).run(
    randomBytes(32).toString('hex'),
  );
  const hex = db.prepare(`SELECT value FROM meta WHERE key = 'link_secret'`).pluck().get() as string;
  return Buffer.from(hex, 'hex');
}

/**
 * Names this database among the daemons that share one Asterisk (ari/ownership.ts): made once
 * and kept, so the next process on the same database knows the application record is its own.
 */
export function databaseId(db: Db): string {
  db.prepare(`INSERT OR IGNORE INTO meta (key, value) VALUES ('database_id', ?)`).run(
    randomBytes(8).toString('hex'),
  );
  return db.prepare(`SELECT value FROM meta WHERE key = 'database_id'`).pluck().get() as string;
}
