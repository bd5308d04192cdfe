/**
 * Graceful shutdown: calls in progress finish (up to the drain time); callers arriving meanwhile
 * are asked to call again or handed back to the dialplan; nothing committed is lost.
 */
import { Daemon } from '../../src/daemon';
import { silentLogger } from '../../src/log/logger';
import { openDatabase } from '../../src/store/database';
import type { CallRow } from '../../src/store/calls';
import { TEST_CONFIG, expectCleanAsterisk, startHarness, type Harness, until } from '../helpers/harness';
import { leaveMessage } from '../helpers/people';

const MESSAGE = leaveMessage(4000);

function withShutdown(settings: string): string {
  return TEST_CONFIG.replace(
    '  http_listen: 127.0.0.1:0\n',
    `  http_listen: 127.0.0.1:0\n  shutdown: ${settings}\n`,
  );
}

async function recordingStarted(h: Harness, channelId: string, timeoutMs: number): Promise<void> {
  await until(
    () => h.sim.transcript(channelId).some((t) => t.kind === 'recorded') || undefined,
    timeoutMs,
    'the recording',
  );
}

function rowsAfterStop(database: string): CallRow[] {
  const db = openDatabase(database);
  try {
    return db.prepare('SELECT * FROM calls ORDER BY started_at').all() as CallRow[];
  } finally {
    db.close();
  }
}

test('SIGTERM-style stop: the message being left is kept and paged; a new caller is asked to call again', async () => {
  const h = await startHarness({});
  try {
    const database = h.daemon.currentConfig.settings.database;
    const leaving = h.sim.call({ to: '+15550150', from: '+15551230009', steps: MESSAGE });
    await recordingStarted(h, leaving.channelId, 5000);
    const stopping = h.daemon.stop(20_000);
    const late = h.sim.call({ to: '+15550100', from: '+15551230002', steps: [] });
    await late.ended;
    await stopping;
    const late_heard = late.transcript.filter((t) => t.kind === 'played').map((t) => t.detail);
    expect(late_heard).toEqual(['sound:pls-try-call-later', 'sound:vm-goodbye']);
    const rows = rowsAfterStop(database);
    expect(rows.map((r) => [r.caller_number, r.outcome])).toEqual([
      ['+15551230009', 'voicemail'],
      ['+15551230002', 'refused-stopping'],
    ]);
    expect(rows[1]!.outcome_detail).toBe('asked to call again: lcr was stopping');
    const db = openDatabase(database);
    expect(db.prepare('SELECT COUNT(*) AS n FROM pages').get()).toEqual({ n: 1 });
    db.close();
    await expectCleanAsterisk(h);
  } finally {
    await h.stop();
  }
});

test('with new_calls: dialplan, callers arriving during the stop go back to the dialplan after Stasis()', async () => {
  const h = await startHarness({
    yaml: withShutdown('{ drain: 10s, new_calls: dialplan }'),
  });
  try {
    const database = h.daemon.currentConfig.settings.database;
    const leaving = h.sim.call({ to: '+15550150', from: '+15551230009', steps: MESSAGE });
    await recordingStarted(h, leaving.channelId, 5000);
    const stopping = h.daemon.stop(h.daemon.currentConfig.settings.shutdown.drainSeconds * 1000);
    const late = h.sim.call({ to: '+15550100', from: '+15551230002', steps: [] });
    await late.ended;
    expect(late.transcript.map((t) => t.kind)).toEqual(['continued', 'ended']);
    await stopping;
    expect(rowsAfterStop(database).map((r) => [r.outcome, r.answered_at === null])).toEqual([
      ['voicemail', false],
      ['refused-stopping', true],
    ]);
    await expectCleanAsterisk(h);
  } finally {
    await h.stop();
  }
});

test('a call longer than the drain time does not hold the stop; the next start takes it back', async () => {
  const h = await startHarness({
    yaml: withShutdown('{ drain: 1s }'),
    timeScale: 1,
  });
  try {
    const long = h.sim.call({
      to: '+15550150',
      from: '+15551230009',
      steps: leaveMessage(15_000, 'silence'),
    });
    await recordingStarted(h, long.channelId, 10_000);
    const started = Date.now();
    await h.daemon.stop(h.daemon.currentConfig.settings.shutdown.drainSeconds * 1000);
    expect(Date.now() - started).toBeLessThan(8000);
    const [row] = rowsAfterStop(h.daemon.currentConfig.settings.database);
    expect(row).toMatchObject({ caller_number: '+15551230009', ended_at: null });
    const config = h.daemon.currentConfig;
    h.daemon = new Daemon({ config, logger: silentLogger, ariUrl: h.sim.url, httpListen: '127.0.0.1:0' });
    await h.daemon.start();
    // Asterisk kept the caller recording: the message is stopped, kept and paged, marked interrupted.
    const ended = await h.finishedCall(long.channelId, 20_000);
    expect(ended).toMatchObject({ id: row!.id, outcome: 'voicemail' });
    expect(h.voicemails(row!.id).map((v) => v.ended_by)).toEqual(['interrupted']);
  } finally {
    await h.stop();
  }
});
