/**
 * Ack link tokens already used. A token works once: its nonce is recorded when used. A row is
 * needed only while its token could still be presented and pass its signature and expiry checks,
 * so rows are pruned once their token has been expired for a retention (kept a while to tell
 * "already used" from "expired" in the logs of whoever investigates).
 */
import type { SqlSession } from './sql/driver';

export class LinkTokenStore {
  constructor(private readonly db: SqlSession) {}

  /** The same store inside `tx`. */
  in(tx: SqlSession): LinkTokenStore {
    return new LinkTokenStore(tx);
  }

  /** Marks a link token as used; false when it already was. */
  async use(nonce: string, expiresAt: number, at: number): Promise<boolean> {
    const used = await this.db.run(
      'INSERT INTO used_link_tokens (nonce, used_at, expires_at) VALUES (?, ?, ?) ON CONFLICT (nonce) DO NOTHING',
      [nonce, at, expiresAt],
    );
    return used.changes === 1;
  }

  /** Deletes the tokens that expired before `expiredBefore`; returns how many. */
  async prune(expiredBefore: number): Promise<number> {
    return (await this.db.run('DELETE FROM used_link_tokens WHERE expires_at < ?', [expiredBefore])).changes;
  }
}
