/**
 * Two daemons, one Asterisk (issue 12): a second daemon with the same application name on another
 * database is refused at start, and the first keeps its calls; the owner record lives in an
 * Asterisk global variable (src/ari/ownership.ts), since Asterisk 22 keeps listing an application
 * whose WebSocket is gone.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Daemon, StartupError } from '../../src/daemon';
import { loadConfigText } from '../../src/config/load';
import { silentLogger } from '../../src/log/logger';
import { AriHttpPort } from '../../src/ari/httpPort';
import { TEST_CONFIG, expectCleanAsterisk, startHarness } from '../helpers/harness';
import { leaveMessage } from '../helpers/people';

test('a second daemon on another database is refused at start; the first keeps the application', async () => {
  const h = await startHarness({});
  const otherDir = fs.mkdtempSync(path.join(h.dir, 'other-'));
  const file = path.join(otherDir, 'routes.yaml');
  const yaml = TEST_CONFIG.replace('http://127.0.0.1:1', h.sim.url);
  const { config } = loadConfigText(yaml, 'routes.yaml', file);
  const second = new Daemon({ config, logger: silentLogger, httpListen: '127.0.0.1:0' });
  try {
    expect(config.settings.database).not.toBe(h.daemon.currentConfig.settings.database);
    const refused = await second.start().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(StartupError);
    expect((refused as Error).message).toMatch(
      /^another lcr daemon \(.+, database [0-9a-f]{16}\) is connected to Asterisk as application "lcr" \(its heartbeat is \d+ s old\); two daemons on different databases cannot share an application name/,
    );
    await second.stop();
    expect(h.sim.webSocketsOf('lcr')).toBe(1);
    // The first daemon still takes the calls, and its record is still there.
    const call = h.sim.call({ to: '+15550150', from: '+15551230009', steps: leaveMessage(2500) });
    expect(await h.finishedCall(call.channelId)).toMatchObject({ outcome: 'voicemail' });
    const ari = new AriHttpPort({
      baseUrl: h.sim.url,
      username: 'lcr',
      password: 'lcr-secret',
      timeoutMs: 2000,
    });
    try {
      expect(await ari.getGlobalVariable('LCR_OWNER_lcr')).toMatch(/;[0-9a-f]{16};\d+$/);
      await expectCleanAsterisk(h);
      // Stopped with nothing left running, the first gives the name up: the other may start at once.
      await h.daemon.stop();
      expect(await ari.getGlobalVariable('LCR_OWNER_lcr')).toBe('');
    } finally {
      ari.close();
    }
    const third = new Daemon({ config, logger: silentLogger, httpListen: '127.0.0.1:0' });
    await third.start();
    await third.stop();
  } finally {
    await h.stop();
  }
});
