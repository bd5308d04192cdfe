/**
 * Leases on the engine's work, for several daemons sharing one database (GoAlert's processing
 * lock). A lease names one kind of work ("escalate-due-pages"); one daemon holds it at a time
 * until it expires. Each new holder gets a higher token, and the holder proves it still holds
 * the lease inside every transaction it writes in (`fence`): a daemon that was paused (SIGSTOP,
 * a partition) past its lease while another took over finds a higher token and its transaction
 * rolls back, so no step happens twice. Taking an expired lease waits for the row the old holder
 * is fencing on, so the two are serialized by the database, whatever the clocks say; clocks only
 * decide how soon a silent holder is replaced.
 */
import type { SqlSession } from './sql/driver';
import { namedError } from '../util/namedError';

export interface Lease {
  readonly name: string;
  readonly holder: string;
  readonly token: number;
  readonly expiresAt: number;
}

export interface LeaseRow {
  name: string;
  holder: string;
  token: number;
  acquired_at: number;
  expires_at: number;
}

/** The transaction's lease was taken over: nothing it wrote is kept. */
export class LeaseLostError extends namedError('LeaseLostError') {}

export class LeaseStore {
  constructor(private readonly db: SqlSession) {}

  /**
   * Takes the lease, or keeps it when `holder` has it already (its expiry moved on). Undefined:
   * another holder has it and it has not expired.
   */
  async acquire(name: string, holder: string, now: number, ttlMs: number): Promise<Lease | undefined> {
    const expiresAt = now + ttlMs;
    const inserted = await this.db.run(
      `INSERT INTO leases (name, holder, token, acquired_at, expires_at) VALUES (?, ?, 1, ?, ?)
       ON CONFLICT (name) DO NOTHING`,
      [name, holder, now, expiresAt],
    );
    if (inserted.changes === 1) return { name, holder, token: 1, expiresAt };
    const row = await this.row(name);
    if (row === undefined) return undefined;
    if (row.holder === holder) {
      // Ours, expired or not: nobody else took it since (the token would have moved).
      const kept = await this.renew(
        { name, holder, token: row.token, expiresAt: row.expires_at },
        now,
        ttlMs,
      );
      if (kept !== undefined) return kept;
      return undefined;
    }
    if (row.expires_at > now) return undefined;
    const taken = await this.db.run(
      `UPDATE leases SET holder = ?, token = token + 1, acquired_at = ?, expires_at = ?
       WHERE name = ? AND token = ? AND expires_at <= ?`,
      [holder, now, expiresAt, name, row.token, now],
    );
    if (taken.changes !== 1) return undefined; // another daemon took it first
    return { name, holder, token: row.token + 1, expiresAt };
  }

  /**
   * Takes the lease from a holder known to be dead before it expires (its process is gone: its
   * database sessions ended), if it still has token `token`. Safe all the same: should the holder
   * live after all, its next fence or renewal finds the higher token.
   */
  async takeFromDead(
    name: string,
    token: number,
    holder: string,
    now: number,
    ttlMs: number,
  ): Promise<Lease | undefined> {
    const taken = await this.db.run(
      `UPDATE leases SET holder = ?, token = token + 1, acquired_at = ?, expires_at = ? WHERE name = ? AND token = ?`,
      [holder, now, now + ttlMs, name, token],
    );
    return taken.changes === 1 ? { name, holder, token: token + 1, expiresAt: now + ttlMs } : undefined;
  }

  /** Moves the expiry on; undefined when the lease was taken over meanwhile. */
  async renew(lease: Lease, now: number, ttlMs: number): Promise<Lease | undefined> {
    const expiresAt = now + ttlMs;
    const renewed = await this.db.run(
      'UPDATE leases SET expires_at = ? WHERE name = ? AND holder = ? AND token = ?',
      [expiresAt, lease.name, lease.holder, lease.token],
    );
    return renewed.changes === 1 ? { ...lease, expiresAt } : undefined;
  }

  /** Gives the lease up now (a stopping daemon), so another may take it without waiting. */
  async release(lease: Lease, now: number): Promise<boolean> {
    const released = await this.db.run(
      'UPDATE leases SET expires_at = ? WHERE name = ? AND holder = ? AND token = ?',
      [now, lease.name, lease.holder, lease.token],
    );
    return released.changes === 1;
  }

  /**
   * Proves, inside `tx`, that `lease` is still held: throws LeaseLostError when another holder
   * has taken it. The update locks the lease's row until `tx` ends, so a takeover waits for it.
   */
  static async fence(tx: SqlSession, lease: Lease): Promise<void> {
    const held = await tx.run(
      'UPDATE leases SET holder = holder WHERE name = ? AND holder = ? AND token = ?',
      [lease.name, lease.holder, lease.token],
    );
    if (held.changes !== 1)
      throw new LeaseLostError(`lease ${lease.name} (token ${lease.token}) was taken over by another daemon`);
  }

  row(name: string): Promise<LeaseRow | undefined> {
    return this.db.get<LeaseRow>('SELECT * FROM leases WHERE name = ?', [name]);
  }

  list(): Promise<LeaseRow[]> {
    return this.db.all<LeaseRow>('SELECT * FROM leases ORDER BY name');
  }
}
