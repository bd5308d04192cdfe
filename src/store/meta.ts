/** Small facts the daemon keeps about itself: the signing secret of ack links, used link tokens. */
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

/** Marks a link token as used; false when it already was. */
export function useLinkToken(db: Db, nonce: string, at: number): boolean {
  return (
    db.prepare('INSERT OR IGNORE INTO used_link_tokens (nonce, used_at) VALUES (?, ?)').run(nonce, at)
      .changes === 1
  );
}
