/**
 * Ack link tokens already used. A token works once: its nonce is recorded when used. A row is
 * needed only while its token could still be presented and pass its signature and expiry checks,
 * so rows are pruned once their token has been expired for a retention (kept a while to tell
 * "already used" from "expired" in the logs of whoever investigates).
 */
import type { Db } from './database';

export class LinkTokenStore {
  private readonly useStatement;
  private readonly pruneStatement;

  constructor(db: Db) {
    this.useStatement = db.prepare(
      'INSERT OR IGNORE INTO used_link_tokens (nonce, used_at, expires_at) VALUES (?, ?, ?)',
    );
    this.pruneStatement = db.prepare('DELETE FROM used_link_tokens WHERE expires_at < ?');
  }

  /** Marks a link token as used; false when it already was. */
  use(nonce: string, expiresAt: number, at: number): boolean {
    return this.useStatement.run(nonce, at, expiresAt).changes === 1;
  }

  /** Deletes the tokens that expired before `expiredBefore`; returns how many. */
  prune(expiredBefore: number): number {
    return this.pruneStatement.run(expiredBefore).changes;
  }
}
