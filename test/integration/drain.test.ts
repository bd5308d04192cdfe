/**
 * The end of a drain (issue 12): calls still in progress stay up in Asterisk for the next start
 * (`on_drain_timeout: leave`, the default) or are told and hung up (`hangup`); callers turned
 * away while stopping are heard out before the daemon lets go of Asterisk; nothing in progress,
 * nothing to wait for.
 */
import { Daemon } from '../../src/daemon';
import { silentLogger } from '../../src/log/logger';
import { openDatabase } from '../../src/store/database';
import { HANGUP_DETAIL } from '../../src/callflow/shutdown';
import { expectCleanAsterisk, startHarness, until, type Harness } from '../helpers/harness';
import { accepts, neverAnswers } from '../helpers/people';
import { drainConfig } from '../helpers/shutdown';

/** A caller who stays on the line once connected (until the test hangs up). */
const STAYS: Array<{ waitFor: 'bridged' } | { wait: number }> = [{ waitFor: 'bridged' }, { wait: 3_600_000 }];

/** Alice answers, presses 1 and stays; resolves once the caller and Alice are bridged. */
async function connectedCall(h: Harness): Promise<string> {
  h.sim.phone('PJSIP/alice', accepts(300));
  const caller = h.sim.call({ to: '5550200', from: '+15551230001', steps: STAYS });
  await until(() => h.sim.transcript(caller.channelId).some((t) => t.kind === 'bridged'), 10_000, 'bridged');
  return caller.channelId;
}

const played = (h: Harness, channelId: string): string[] =>
  h.sim
    .transcript(channelId)
    .filter((t) => t.kind === 'played')
    .map((t) => t.detail);

/** Rows as the stopped daemon left them (its own connection is closed). */
function rowsAfterStop<T>(h: Harness, sql: string): T[] {
  const db = openDatabase(h.daemon.currentConfig.settings.database);
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

/** Hangs up what a test left in Asterisk on purpose, so the next test starts clean. */
async function hangUpAll(h: Harness): Promise<void> {
  for (const id of h.sim.engine.channels.keys())
    void h.sim.act(id, [{ hangup: true }]).catch(() => undefined);
  await until(() => h.sim.leftovers().channels.length === 0 || undefined, 5000, 'the channels to end');
}

test('leave (default): the stop ends after the 2 s drain and the connected call stays up in Asterisk, rows open', async () => {
  const h = await startHarness({ yaml: drainConfig('{ drain: 2s }') });
  try {
    const callerId = await connectedCall(h);
    const started = Date.now();
    await h.daemon.stop(2000);
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(1900);
    expect(took).toBeLessThan(2000 + 1500);
    // Still there a moment later: nobody hung anything up.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const left = h.sim.leftovers();
    expect(left.channels).toHaveLength(2);
    expect([...h.sim.engine.channels.keys()]).toContain(callerId);
    expect(left.bridges).toHaveLength(1);
    expect(h.sim.violations).toEqual([]);
    const config = h.daemon.currentConfig;
    // Left for the next start to adopt: the rows say the call and Alice's leg are still going.
    const db = openDatabase(config.settings.database);
    try {
      expect(db.prepare('SELECT outcome, ended_at FROM calls').all()).toEqual([
        { outcome: 'connected', ended_at: null },
      ]);
      expect(db.prepare('SELECT result, ended_at FROM call_legs').all()).toEqual([
        { result: 'accepted', ended_at: null },
      ]);
    } finally {
      db.close();
    }
    // The next start on the same database is not refused: the application record is its own.
    h.daemon = new Daemon({ config, logger: silentLogger, ariUrl: h.sim.url, httpListen: '127.0.0.1:0' });
    await h.daemon.start();
    await until(() => h.sim.connectedWebSockets > 0 || undefined, 10_000, 'the next daemon to connect');
    // It adopts the call: when the caller hangs up, it hangs up Alice and closes the rows.
    await until(() => h.daemon.router.activeCalls > 0 || undefined, 10_000, 'the call to be taken back');
    await h.sim.act(callerId, [{ hangup: true }]);
    // Alice is hung up, then the bridge destroyed (one request after the other).
    await until(
      () => {
        const left = h.sim.leftovers();
        return (left.channels.length === 0 && left.bridges.length === 0) || undefined;
      },
      10_000,
      "Alice's leg to be hung up and the bridge destroyed",
    );
    expect(h.sim.leftovers()).toEqual({ channels: [], bridges: [] });
    const call = await until(
      async () => (await h.daemon.calls.listCalls(10)).find((row) => row.ended_at !== null),
      10_000,
      'the call row to close',
    );
    expect(call).toMatchObject({ outcome: 'connected', connected_responder_id: 'alice' });
    expect(await h.daemon.calls.legsOfCall(call.id)).toEqual([
      expect.objectContaining({ responder_id: 'alice', result: 'accepted', ended_at: expect.any(Number) }),
    ]);
  } finally {
    await hangUpAll(h);
    await h.stop();
  }
});

test('a caller arriving near the end of the drain hears the whole "call again" prompt and is hung up before the stop ends', async () => {
  const h = await startHarness({ yaml: drainConfig('{ drain: 2s }') });
  try {
    await connectedCall(h);
    const stopping = h.daemon.stop(2000);
    await new Promise((resolve) => setTimeout(resolve, 1850));
    const late = h.sim.call({ to: '5550100', from: '+15551230002', steps: [] });
    let lateEnded = false;
    void late.ended.then(() => (lateEnded = true));
    await stopping;
    expect(lateEnded).toBe(true);
    expect(played(h, late.channelId)).toEqual(['sound:pls-try-call-later', 'sound:vm-goodbye']);
    const db = openDatabase(h.daemon.currentConfig.settings.database);
    try {
      const row = db.prepare('SELECT * FROM calls WHERE channel_id = ?').get(late.channelId);
      expect(row).toMatchObject({ outcome: 'refused-stopping', ended_at: expect.any(Number) });
    } finally {
      db.close();
    }
  } finally {
    await hangUpAll(h);
    await h.stop();
  }
});

test('with no drain time, a caller being turned away is still heard out before the stop ends', async () => {
  const h = await startHarness({ yaml: drainConfig('{ drain: 0s }') });
  try {
    // The first thing stop() does; set here so that the caller is turned away before stop(0) runs.
    h.daemon.router.accepting = false;
    const late = h.sim.call({ to: '5550100', from: '+15551230002', steps: [] });
    await until(() => h.sim.transcript(late.channelId).some((t) => t.kind === 'played'), 5000, 'the prompt');
    await h.daemon.stop(0);
    expect(h.sim.leftovers()).toEqual({ channels: [], bridges: [] });
    expect(played(h, late.channelId)).toEqual(['sound:pls-try-call-later', 'sound:vm-goodbye']);
  } finally {
    await h.stop();
  }
});

test('on_drain_timeout: hangup: callers are told and hung up, legs and bridges with them, rows closed', async () => {
  const h = await startHarness({ yaml: drainConfig('{ drain: 1s, on_drain_timeout: hangup }') });
  try {
    const connected = await connectedCall(h);
    h.sim.phone('PJSIP/bob', neverAnswers);
    const waiting = h.sim.call({ to: '5550300', from: '+15551230003', steps: [] }).channelId;
    const ringing = (): boolean => h.sim.legs().some((l) => l.dialstring === 'bob');
    await until(ringing, 10_000, 'bob to ring');
    await h.daemon.stop(1000);
    expect(h.sim.leftovers()).toEqual({ channels: [], bridges: [] });
    for (const caller of [connected, waiting])
      expect(played(h, caller).slice(-2)).toEqual(['sound:pls-try-call-later', 'sound:vm-goodbye']);
    const rows = rowsAfterStop<{
      channel_id: string;
      outcome: string;
      outcome_detail: string;
      ended_at: number | null;
    }>(h, 'SELECT channel_id, outcome, outcome_detail, ended_at FROM calls ORDER BY started_at');
    expect(rows.map((r) => [r.channel_id, r.outcome, r.ended_at !== null])).toEqual([
      [connected, 'connected', true],
      [waiting, 'error', true],
    ]);
    expect(rows[1]!.outcome_detail).toContain(HANGUP_DETAIL);
    const legs = rowsAfterStop<{ responder_id: string; ended_at: number | null }>(
      h,
      'SELECT responder_id, ended_at FROM call_legs ORDER BY started_at',
    );
    expect(legs.map((l) => [l.responder_id, l.ended_at !== null])).toEqual([
      ['alice', true],
      ['bob', true],
    ]);
    await expectCleanAsterisk(h);
  } finally {
    await h.stop();
  }
});

test('nothing in progress: the stop does not wait for the drain time', async () => {
  const h = await startHarness({ yaml: drainConfig('{ drain: 30s }') });
  try {
    const started = Date.now();
    await h.daemon.stop(30_000);
    expect(Date.now() - started).toBeLessThan(1500);
  } finally {
    await h.stop();
  }
});
