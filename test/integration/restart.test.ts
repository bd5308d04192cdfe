import * as path from 'node:path';
import { Daemon } from '../../src/daemon';
import { loadConfigText } from '../../src/config/load';
import { silentLogger } from '../../src/log/logger';
import { openDatabase } from '../../src/store/database';
import { CallStore } from '../../src/store/calls';
import { SqliteDatabase } from '../../src/store/sql/sqlite';
import { AsteriskSimulator } from '../../src/simulator';
import { TEST_CONFIG, until } from '../helpers/harness';
import { tempDir } from '../helpers/tmp';

const dir = tempDir();

test('calls left open by a crash are closed honestly when the daemon starts again', async () => {
  const sim = await AsteriskSimulator.start();
  const file = path.join(dir, 'routes.yaml');
  const { config } = loadConfigText(TEST_CONFIG.replace('http://127.0.0.1:1', sim.url), 'routes.yaml', file);
  const before = openDatabase(config.settings.database);
  const calls = new CallStore(new SqliteDatabase(before, `sqlite:${config.settings.database}`));
  calls.insertCall({
    id: 'cut-short',
    channel_id: 'gone',
    caller_number: '+1555',
    caller_name: '',
    dialed_number: '5550100',
    started_at: 1000,
  });
  await calls.writes.flushed();
  before.close();

  const daemon = new Daemon({ config, logger: silentLogger });
  await daemon.start();
  try {
    // Closed once the daemon has seen that Asterisk no longer holds the call's channel.
    await until(
      async () => (await daemon.calls.getCall('cut-short'))!.ended_at !== null || undefined,
      10_000,
      'the row',
    );
    expect(await daemon.calls.getCall('cut-short')).toMatchObject({
      outcome: 'error',
      outcome_detail: 'the daemon stopped during the call',
    });
    expect((await daemon.calls.getCall('cut-short'))!.ended_at).not.toBeNull();
  } finally {
    await daemon.stop();
    await sim.stop();
  }
});
