/**
 * Status messages: what a route or a team tells its callers during an outage ("Database outage,
 * next update at 14:30"), until it expires or is cleared. Statements only; paging/statusMessages.ts
 * checks what is set.
 */
import type { EventVia } from './pages';
import type { SqlSession } from './sql/driver';

export interface StatusMessageRow {
  id: number;
  /** The route it plays on (its greeting), or null for a team's (after the team is chosen). */
  route_id: string | null;
  team_id: string | null;
  text: string;
  set_by: string;
  via: EventVia;
  set_at: number;
  expires_at: number;
  cleared_at: number | null;
  cleared_by: string | null;
  /** A recorded message's stored recording, on the Asterisk named by `asterisk`; null for text. */
  recording: string | null;
  asterisk: string | null;
}

export interface NewStatusMessage {
  routeId: string | null;
  teamId: string | null;
  text: string;
  setBy: string;
  via: EventVia;
  at: number;
  expiresAt: number;
  recording?: { name: string; asterisk: string };
}

export class StatusStore {
  constructor(private readonly db: SqlSession) {}

  in(tx: SqlSession): StatusStore {
    return new StatusStore(tx);
  }

  /** Sets the route's (or team's) message, clearing the one it replaces. Run it in a transaction. */
  async set(message: NewStatusMessage): Promise<StatusMessageRow> {
    await this.clear(
      { routeId: message.routeId, teamId: message.teamId },
      `replaced by ${message.setBy}`,
      message.at,
    );
    return (await this.db.get<StatusMessageRow>(
      `INSERT INTO status_messages (route_id, team_id, text, set_by, via, set_at, expires_at, recording, asterisk)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
      [
        message.routeId,
        message.teamId,
        message.text,
        message.setBy,
        message.via,
        message.at,
        message.expiresAt,
        message.recording?.name ?? null,
        message.recording?.asterisk ?? null,
      ],
    ))!;
  }

  /** Clears the live message of a route or team; returns how many it cleared (0 or 1). */
  async clear(
    target: { routeId: string | null; teamId: string | null },
    by: string,
    at: number,
  ): Promise<number> {
    const result = await this.db.run(
      `UPDATE status_messages SET cleared_at = ?, cleared_by = ?
       WHERE cleared_at IS NULL AND expires_at > ?
         AND route_id IS NOT DISTINCT FROM ? AND team_id IS NOT DISTINCT FROM ?`,
      [at, by, at, target.routeId, target.teamId],
    );
    return result.changes;
  }

  /** The messages playing at `now`. */
  live(now: number): Promise<StatusMessageRow[]> {
    return this.db.all<StatusMessageRow>(
      'SELECT * FROM status_messages WHERE cleared_at IS NULL AND expires_at > ? ORDER BY id',
      [now],
    );
  }

  /** The latest messages, live or not, newest first. */
  recent(limit: number): Promise<StatusMessageRow[]> {
    return this.db.all<StatusMessageRow>('SELECT * FROM status_messages ORDER BY id DESC LIMIT ?', [limit]);
  }
}
