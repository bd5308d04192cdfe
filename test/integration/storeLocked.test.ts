/**
 * Another process holds the database's write lock (a backup job): a real second SQLite
 * connection in a child process, in `BEGIN IMMEDIATE`. Meanwhile a caller leaves a voicemail
 * and /healthz is polled. The call goes on as if nothing happened (its rows are written once
 * the lock is gone), /healthz keeps answering and says the database is locked, and the page
 * call for the message goes out after the lock (issue 17, item 2).
 */
import { holdWriteLock, type LockHolder } from '../../src/bench/lockHolder';
import { type Harness, until, useHarness } from '../helpers/harness';
import { acknowledgesPage, leaveMessage } from '../helpers/people';
import type { PageRow } from '../../src/store/pages';

let h: Harness;
useHarness({}, (started) => (h = started));

let lock: LockHolder | undefined;
afterEach(async () => {
  await lock?.release();
  lock = undefined;
});

interface HealthAnswer {
  status: number;
  database: { writable: boolean; locked?: boolean };
}

async function health(): Promise<HealthAnswer> {
  const response = await fetch(`${h.daemon.httpUrl}/healthz`);
  const body = (await response.json()) as { database: HealthAnswer['database'] };
  return { status: response.status, database: body.database };
}

test('a caller is served while another process locks the database; /healthz answers and names the lock', async () => {
  h.sim.phone('PJSIP/carol', acknowledgesPage(500));
  lock = await holdWriteLock(h.daemon.db.name, 60_000);

  // Polled all along, one request at a time, as a monitor would.
  const answers: HealthAnswer[] = [];
  let polling = true;
  const poller = (async () => {
    while (polling) {
      answers.push(await health());
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();

  const call = h.sim.call({ to: '+15550150', from: '+15551230009', steps: leaveMessage(2000) });
  // The whole call happens under the lock: greeting, beep, message, goodbye, hang-up.
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    call.ended,
    new Promise((_resolve, reject) => {
      timer = setTimeout(
        () => reject(new Error('the caller was not served while the database was locked')),
        20_000,
      );
    }),
  ]).finally(() => clearTimeout(timer));
  const kinds = call.transcript.map((entry) => entry.kind);
  expect(kinds).toContain('answered');
  expect(kinds).toContain('recorded');
  // Nothing could be written yet: the rows wait for the lock, in order.
  expect(await h.daemon.calls.callOfChannel(call.channelId)).toBeUndefined();
  const locked = answers.filter((a) => a.database.locked === true);
  expect(locked.length).toBeGreaterThanOrEqual(3);
  expect(locked[0]).toMatchObject({ status: 503, database: { writable: false, locked: true } });

  await lock.release();
  lock = undefined;
  const row = await h.finishedCall(call.channelId);
  expect(row).toMatchObject({ route_id: 'vendors', team_id: 'net-team', outcome: 'voicemail' });
  expect(h.voicemails(row.id)).toHaveLength(1);
  const page = await until(() => h.pages()[0], 10_000, 'the page for the message');
  expect(page).toMatchObject({ call_id: row.id, team_id: 'net-team' });
  await until(
    // Read straight from the daemon's database, as an operator's sqlite3 would: `until` polls synchronously.
    () =>
      (h.daemon.db.prepare('SELECT * FROM pages WHERE id = ?').get(page.id) as PageRow | undefined)!
        .status === 'acknowledged' || undefined,
    20_000,
    'carol to acknowledge the page by phone',
  );
  await until(() => answers.at(-1)?.database.writable === true || undefined, 5000, 'healthz to recover');
  polling = false;
  await poller;
  expect(answers.at(-1)).toMatchObject({ status: 200, database: { writable: true } });
}, 60_000);
