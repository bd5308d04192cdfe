import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { AsteriskSimulator } from '../../src/simulator';
import { TEST_CONFIG, until } from '../helpers/harness';
import { tempDir } from '../helpers/tmp';
import { leaveMessage } from '../helpers/people';

const BIN = path.join(__dirname, '../../bin/lcr.js');
const dir = tempDir();

test('lcr start: connects, routes a call, and exits 0 on SIGTERM after the call', async () => {
  const sim = await AsteriskSimulator.start({ timeScale: 0.1 });
  const file = path.join(dir, 'routes.yaml');
  fs.writeFileSync(
    file,
    TEST_CONFIG.replace('http://127.0.0.1:1', sim.url).replace(
      'password: lcr-secret',
      'password_env: TEST_ARI_PASSWORD',
    ),
  );
  const child = spawn(process.execPath, [BIN, 'start', '--config', file], {
    env: { ...process.env, TEST_ARI_PASSWORD: 'lcr-secret' },
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    await until(() => sim.connectedWebSockets > 0 || undefined, 15_000, 'lcr start to connect');
    const call = sim.call({
      to: '+15550150',
      from: '+15551230001',
      steps: leaveMessage(2500),
    });
    await call.ended;
    // SIGHUP with a broken file: the located error is logged and the daemon keeps running.
    fs.writeFileSync(
      file,
      fs.readFileSync(file, 'utf8').replace('escalation_policy: net-policy', 'escalation_policy: nope'),
    );
    child.kill('SIGHUP');
    await until(() => /"reason":"SIGHUP"/.test(stderr) || undefined, 10_000, 'the SIGHUP reload attempt');
    const reloadLine = stderr.split('\n').find((l) => l.includes('"reason":"SIGHUP"'))!;
    expect(JSON.parse(reloadLine)).toMatchObject({
      message: 'configuration not reloaded: the file has errors; keeping the running configuration',
      issues: [
        expect.stringMatching(
          /routes\.yaml:\d+:\d+ teams\[1\]\.escalation_policy: unknown escalation policy "nope"/,
        ),
      ],
    });
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const lines = stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.some((l) => l['message'] === 'connected to Asterisk ARI')).toBe(true);
    const callLines = lines.filter((l) => l['message'] === 'call ended');
    expect(callLines).toEqual([
      expect.objectContaining({ outcome: 'voicemail', callId: expect.any(String) }),
    ]);
    const db = new Database(path.join(dir, 'data', 'lcr.db'), { readonly: true });
    expect(db.prepare('SELECT outcome FROM calls').all()).toEqual([{ outcome: 'voicemail' }]);
    db.close();
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- lcr start stderr:\n${stderr}`, { cause: error });
  } finally {
    child.kill('SIGKILL');
    await sim.stop();
  }
});

test('lcr start with a missing password variable says so and exits 1', () => {
  const file = path.join(dir, 'nopass.yaml');
  fs.writeFileSync(
    file,
    TEST_CONFIG.replace('password: lcr-secret', 'password_env: LCR_TEST_UNSET_VARIABLE'),
  );
  const result = spawnSync(process.execPath, [BIN, 'start', '-c', file], {
    encoding: 'utf8',
    env: { ...process.env, LCR_TEST_UNSET_VARIABLE: undefined },
  });
  expect(result.status).toBe(1);
  expect(result.stderr).toContain(
    'asterisk.password_env: environment variable LCR_TEST_UNSET_VARIABLE is not set',
  );
});

test('lcr demo runs the example end to end', () => {
  const cwd = fs.mkdtempSync(path.join(dir, 'demo-'));
  const cache = path.join(cwd, 'cache');
  const result = spawnSync(process.execPath, [BIN, 'demo'], {
    encoding: 'utf8',
    cwd,
    timeout: 150_000,
    env: { ...process.env, XDG_CACHE_HOME: cache },
  });
  expect(result.status).toBe(0);
  // Prompts are synthesized before the first call, kept in the user's cache, and all were ready.
  const ready = /Prompts ready: (\d+) audio files, (\d+) synthesized now/.exec(result.stdout)!;
  expect(Number(ready[1])).toBeGreaterThan(30);
  // One more: the outage's status message, spoken when the operator sets it.
  expect(fs.readdirSync(path.join(cache, 'lcr', 'prompts'))).toHaveLength(Number(ready[1]) + 1);
  expect(result.stdout).toContain('Every prompt played was made ahead of time');
  expect(result.stdout).toContain('caller hears: "Please leave your message after the tone.');
  expect(result.stdout).toMatch(
    /-> call \S+: route vendors, option 1, outcome voicemail \(6s, ended by dtmf\)/,
  );
  expect(result.stdout).toMatch(/-> voicemail 6s stored at .*\.wav/);
  expect(result.stdout).toMatch(/-> page #1 for db-team \(high urgency\), assigned to \w+/);
  // The page: nobody at level 1 acknowledges, level 2 is called and acknowledges by phone.
  expect(result.stdout).toMatch(
    /\+\s+5\.\d s {2}nobody acknowledged within 5 s .*: escalated to level 2: Carol Nguyen, Erin Schmidt/,
  );
  expect(result.stdout).toMatch(
    /Carol Nguyen hears: "New page for Database from Vendor support line\. Caller \+15559876543\. \[the voicemail\] Press 1 to acknowledge/,
  );
  expect(result.stdout).toMatch(/page acknowledged by Carol Nguyen \(phone\)/);
  expect(result.stdout).toMatch(/phone notification to Carol Nguyen: PJSIP\/carol: acknowledged/);
  // The direct call: level 1 does not answer, level 2 declines, level 3 accepts.
  expect(result.stdout).toMatch(/-> level 1: rang .*: no-answer/);
  expect(result.stdout).toMatch(/-> level 2: rang .*: declined \(pressed 2\)/);
  expect(result.stdout).toMatch(/-> level 3: rang .*: accepted/);
  expect(result.stdout).toMatch(/outcome connected/);
  // Outside support hours: the outside-hours greeting, a message, a low-urgency page that waits.
  expect(result.stdout).toContain(
    'caller hears: "Thank you for calling the Acme office. We are closed right now, but you can leave a message."',
  );
  expect(result.stdout).toMatch(
    /route office, option 1, outcome voicemail \(4s, ended by dtmf\), outside support hours/,
  );
  expect(result.stdout).toMatch(/for network-team \(low urgency: no phone call, escalates \S+ once open\)/);
  // Screening: a blocked number hears the short message and is hung up.
  expect(result.stdout).toContain('+19005550199 dials +1 555 0100');
  expect(result.stdout).toMatch(
    /route hotline, option -, outcome screened \(blocked number\), screened: blocked/,
  );
  expect(result.stdout).toContain('outcome rejected-inactive');
  expect(result.stdout).toContain('outcome unknown-number');
  // The outage: a status message, three callers on one page, a callback bridged.
  expect(result.stdout).toMatch(
    /-> one page, #\d+ for Database, with 3 callers: .*call back at \+15557770001/,
  );
  expect(result.stdout).toContain('+15557770001 heard the status message\n');
  expect(result.stdout).toContain('+15557770003 heard the status message and that the problem is known');
  expect(result.stdout).toMatch(/another caller joined \(\+15557770002\): 2 callers/);
  expect(result.stdout).toMatch(/called \+15557770001 back \(phone\): connected/);
  expect(result.stdout).toMatch(
    /-> callback call \S+: connected \(callback by \w+ for page #\d+\), 1 responder leg/,
  );
}, 160_000);
