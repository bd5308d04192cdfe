/**
 * The daemons sharing one database, each with a heartbeat, so that each of them (and /healthz)
 * can tell who is alive: a daemon whose heartbeat stopped for longer than the engine's lease is
 * taken for dead.
 */
import type { SqlSession } from './sql/driver';

export interface NodeRow {
  id: string;
  app: string;
  host: string;
  pid: number;
  started_at: number;
  heartbeat_at: number;
  stopped_at: number | null;
}

export class NodeStore {
  constructor(private readonly db: SqlSession) {}

  /** This daemon is (again) one of them. */
  async join(node: Pick<NodeRow, 'id' | 'app' | 'host' | 'pid'>, now: number): Promise<void> {
    await this.db.run(
      `INSERT INTO nodes (id, app, host, pid, started_at, heartbeat_at, stopped_at) VALUES (?, ?, ?, ?, ?, ?, NULL)
       ON CONFLICT (id) DO UPDATE SET app = excluded.app, host = excluded.host, pid = excluded.pid,
         started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at, stopped_at = NULL`,
      [node.id, node.app, node.host, node.pid, now, now],
    );
  }

  async beat(id: string, now: number): Promise<void> {
    await this.db.run('UPDATE nodes SET heartbeat_at = ? WHERE id = ?', [now, id]);
  }

  /** A daemon that stops says so, so the others need not wait for its heartbeat to lapse. */
  async leave(id: string, now: number): Promise<void> {
    await this.db.run('UPDATE nodes SET heartbeat_at = ?, stopped_at = ? WHERE id = ?', [now, now, id]);
  }

  /**
   * PostgreSQL: the daemons that have a session on the server now (a process that died has none:
   * the server sees its connections close). Undefined on SQLite, which cannot tell.
   */
  async withSessions(): Promise<Set<string> | undefined> {
    if (this.db.dialect !== 'postgres') return undefined;
    const rows = await this.db.all<{ name: string }>(
      `SELECT DISTINCT application_name AS name FROM pg_stat_activity
       WHERE datname = current_database() AND application_name LIKE 'lcr:%'`,
    );
    return new Set(rows.map((r) => r.name.slice('lcr:'.length)));
  }

  list(): Promise<NodeRow[]> {
    return this.db.all<NodeRow>('SELECT * FROM nodes ORDER BY id');
  }
}

/** Alive: not stopped, and heard from within `withinMs`. */
export function isAlive(node: NodeRow, now: number, withinMs: number): boolean {
  return node.stopped_at === null && now - node.heartbeat_at <= withinMs;
}
