/**
 * The escalation state lives in SQLite: `lcr start` as a child process is killed with SIGKILL in
 * the middle of an escalation and started again, and the page goes on at the right level at the
 * right time, each missed deadline firing once. A second daemon on the same database refuses to start.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import Database from 'better-sqlite3';
import { AsteriskSimulator } from '../../src/simulator';
import type { PageEventRow, PageRow } from '../../src/store/pages';
import { TEST_CONFIG, until } from '../helpers/harness';
import { tempDir } from '../helpers/tmp';
import { messageFor } from '../helpers/people';

const BIN = path.join(__dirname, '../../bin/lcr.js');
const dir = tempDir();

function startDaemon(file: string): { child: ChildProcess; stderr: () => string } {
  const child = spawn(process.execPath, [BIN, 'start', '--config', file], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return { child, stderr: () => stderr };
}

function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

test('SIGKILL in the middle of an escalation: the restarted daemon resumes it from the database', async () => {
  const sim = await AsteriskSimulator.start({ timeScale: 0.1 });
  const file = path.join(dir, 'routes.yaml');
  fs.writeFileSync(
    file,
    TEST_CONFIG.replace('http://127.0.0.1:1', sim.url)
      .replace('escalate_after: 5m', 'escalate_after: 4s')
      .replace(
        '- { targets: [{ responder: carol }], ring_timeout: 3s }\n  - id: net-policy',
        '- { targets: [{ responder: carol }], ring_timeout: 3s, escalate_after: 4s }\n  - id: net-policy',
      ),
  );
  const dbFile = path.join(dir, 'data', 'lcr.db');
  let daemon = startDaemon(file);
  const running: ChildProcess[] = [daemon.child];
  const read = <T>(query: (db: Database.Database) => T): T => {
    const db = new Database(dbFile, { readonly: true });
    try {
      return query(db);
    } finally {
      db.close();
    }
  };
  const page = (): PageRow => read((db) => db.prepare('SELECT * FROM pages WHERE id = 1').get() as PageRow);
  const events = (): PageEventRow[] =>
    read(
      (db) => db.prepare('SELECT * FROM page_events WHERE page_id = 1 ORDER BY id').all() as PageEventRow[],
    );
  try {
    await until(() => sim.connectedWebSockets > 0 || undefined, 15_000, 'the daemon to connect');
    const call = sim.call({
      to: '+15550100',
      from: '+15551230001',
      steps: [...messageFor('1')],
    });
    await call.ended;
    await until(
      () =>
        (fs.existsSync(dbFile) &&
          read((db) => db.prepare('SELECT COUNT(*) AS n FROM pages').get() as { n: number }).n === 1) ||
        undefined,
      10_000,
      'the page',
    );
    const firstDeadline = page().next_escalation_at!;
    expect(firstDeadline - page().created_at).toBe(4000);

    // A second daemon on the same database refuses, and says who holds it.
    const second = spawnSync(process.execPath, [BIN, 'start', '--config', file], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(second.status).toBe(1);
    expect(second.stderr).toContain(`is in use by another lcr daemon (pid ${daemon.child.pid}`);

    // Killed before the deadline, restarted before it: the escalation happens at the deadline, once.
    await killHard(daemon.child);
    daemon = startDaemon(file);
    running.push(daemon.child);
    await until(
      () => events().some((e) => e.type === 'escalated') || undefined,
      15_000,
      'the escalation to level 2',
    );
    const escalated = events().find((e) => e.type === 'escalated')!;
    expect(escalated.at).toBeGreaterThanOrEqual(firstDeadline);
    expect(escalated.at - firstDeadline).toBeLessThan(2000);
    expect(page()).toMatchObject({ escalation_level: 1, next_escalation_at: escalated.at + 4000 });

    // Killed again and kept down past the next deadline: nothing happens while it is down...
    await killHard(daemon.child);
    const secondDeadline = page().next_escalation_at!;
    await until(() => Date.now() > secondDeadline || undefined, 10_000, 'the second deadline to pass');
    expect(events().map((e) => e.type)).toEqual(['triggered', 'assigned', 'escalated']);
    // ...and the missed deadline fires at once, exactly once, when it is back.
    const restartedAt = Date.now();
    daemon = startDaemon(file);
    running.push(daemon.child);
    await until(
      () => events().some((e) => e.type === 'exhausted') || undefined,
      15_000,
      'the policy to be exhausted',
    );
    // Nothing is left to do once every notification has been sent or given up: any doubled step
    // would have shown by then (and an exhausted page has no deadline left to fire).
    await until(
      () =>
        read(
          (db) =>
            db
              .prepare(`SELECT COUNT(*) AS n FROM notifications WHERE status IN ('pending', 'sending')`)
              .get() as {
              n: number;
            },
        ).n === 0 || undefined,
      20_000,
      'every notification to be settled',
    );
    const types = events().map((e) => e.type);
    expect(types).toEqual(['triggered', 'assigned', 'escalated', 'exhausted']);
    expect(events().at(-1)!.at).toBeGreaterThanOrEqual(restartedAt);
    expect(page()).toMatchObject({ status: 'triggered', escalation_level: 1, next_escalation_at: null });
    // Level 1 was notified once, level 2 once: the kills lost and doubled nothing.
    const phoneCalls = read((db) =>
      db
        .prepare(
          `SELECT responder_id, level FROM notifications WHERE page_id = 1 AND channel = 'phone' ORDER BY id`,
        )
        .all(),
    );
    expect(phoneCalls).toEqual([
      { responder_id: 'alice', level: 0 },
      { responder_id: 'bob', level: 0 },
      { responder_id: 'carol', level: 1 },
    ]);
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- daemon stderr:\n${daemon.stderr().slice(-3000)}`, {
      cause: error,
    });
  } finally {
    for (const child of running) await killHard(child);
    await sim.stop();
  }
}, 90_000);
