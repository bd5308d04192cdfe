/** `lcr doctor` against the simulated Asterisk: a healthy setup, and each problem with its fix. */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { AsteriskSimulator } from '../../src/simulator';
import { lcr } from '../helpers/cli';
import { TEST_CONFIG, startHarness } from '../helpers/harness';
import { startSmtpPeer } from '../helpers/peers';
import { tempDir } from '../helpers/tmp';

const dir = tempDir();

test('a healthy setup: every check passes and the exit code is 0', async () => {
  const smtp = await startSmtpPeer();
  const h = await startHarness({
    yaml: TEST_CONFIG.replace(
      'escalation_policies:',
      `notifications:\n  email: { host: 127.0.0.1, port: ${smtp.port}, tls: none, from: pages@example.com }\nescalation_policies:`,
    ),
  });
  try {
    for (const endpoint of ['PJSIP/alice', 'PJSIP/bob', 'PJSIP/carol', 'PJSIP/trunk'])
      h.sim.phone(endpoint, { kind: 'no-answer' });
    const result = await lcr('doctor', '--config', path.join(h.dir, 'routes.yaml'));
    expect(result.stdout).toContain('PASS  ARI reachable at http://127.0.0.1:');
    expect(result.stdout).toContain('credentials accepted (Asterisk 22.0.0-lcr-simulator)');
    expect(result.stdout).toContain('PASS  Stasis application "lcr" is registered');
    expect(result.stdout).toContain('PASS  PJSIP endpoint "trunk" exists (used by bob (+15551230002))');
    expect(result.stdout).toContain('PASS  PJSIP endpoint "alice" exists (used by alice (PJSIP/alice))');
    expect(result.stdout).toMatch(
      /INFO {2}the dialplan cannot be read here: make sure \+1 555 0100, \+1 555 0150 reach Stasis\(lcr\)/,
    );
    expect(result.stdout).toContain(
      'INFO  text prompts play as stock Asterisk sounds (prompts.engine: none)',
    );
    expect(result.stdout).toMatch(/PASS {2}database .* opens and takes writes/);
    expect(result.stdout).toContain(`PASS  SMTP server 127.0.0.1:${smtp.port} reachable`);
    expect(result.stdout).not.toMatch(/^FAIL/m);
    expect(result.code).toBe(0);
  } finally {
    await h.stop();
    await smtp.stop();
  }
});

test('each problem is a FAIL or WARN line with its fix, and the exit code is 1', async () => {
  const sim = await AsteriskSimulator.start();
  try {
    sim.phone('PJSIP/alice', { kind: 'no-answer' });
    const file = path.join(dir, 'routes.yaml');
    fs.writeFileSync(file, TEST_CONFIG.replace('http://127.0.0.1:1', sim.url));
    const result = await lcr('doctor', '--config', file);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      'WARN  Stasis application "lcr" is not registered: no daemon is connected',
    );
    expect(result.stdout).toContain('      fix: start the daemon (lcr start)');
    expect(result.stdout).toContain('FAIL  PJSIP endpoint "bob" does not exist (used by bob (PJSIP/bob))');
    expect(result.stdout).toContain('      fix: add [bob] (type=endpoint');
    expect(result.stdout).toContain('INFO  email notifications are not configured');
    expect(result.stderr).toContain('lcr: 3 check(s) failed');

    fs.writeFileSync(file, TEST_CONFIG.replace('http://127.0.0.1:1', sim.url).replace('lcr-secret', 'wrong'));
    const refused = await lcr('doctor', '--config', file);
    expect(refused.stdout).toContain('FAIL  ARI credentials for user "lcr" refused (401)');
    expect(refused.stdout).toContain('fix: ari.conf needs [lcr] type=user');

    // A port nothing listens on (taken, then released).
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    fs.writeFileSync(file, TEST_CONFIG.replace('http://127.0.0.1:1', `http://127.0.0.1:${port}`));
    const unreachable = await lcr('doctor', '--config', file);
    expect(unreachable.stdout).toMatch(/FAIL {2}ARI reachable at http:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/);
    expect(unreachable.stdout).toContain('fix: in http.conf set enabled=yes');
    expect(unreachable.code).toBe(1);
  } finally {
    await sim.stop();
  }
});

const KIT_DIALPLAN = path.join(__dirname, '..', '..', 'asterisk-config', 'extensions.conf');
const FAKE_TTS = path.join(__dirname, '..', 'prompts', 'fixtures', 'fake-tts.js');

test('the dialplan: the kit sends every hotline number to Stasis(lcr); other dialplans get a FAIL or a WARN with the fix', async () => {
  const file = path.join(dir, 'dialplan.yaml');
  fs.writeFileSync(file, TEST_CONFIG);
  const kit = await lcr('doctor', '--config', file, '--dialplan', KIT_DIALPLAN);
  expect(kit.stdout).toMatch(
    /PASS {2}route main: \+1 555 0100 reaches Stasis\(lcr\) \(.*extensions\.conf:\d+, \[from-trunk\] _X\.\)/,
  );
  expect(kit.stdout).toMatch(/PASS {2}route vendors: \+1 555 0150 reaches Stasis\(lcr\)/);
  const narrow = path.join(dir, 'narrow.conf');
  fs.writeFileSync(
    narrow,
    '[from-trunk]\nexten => 15550100,1,Answer()\n same => n,Stasis(lcr,main) ; the main line only\n',
  );
  const partial = await lcr('doctor', '--config', file, '--dialplan', narrow);
  expect(partial.stdout).toContain('PASS  route main: +1 555 0100 reaches Stasis(lcr)');
  expect(partial.stdout).toContain('WARN  route vendors: +1 555 0150 matches none of [from-trunk] 15550100');
  const none = path.join(dir, 'none.conf');
  fs.writeFileSync(none, '[from-trunk]\nexten => _X.,1,Dial(PJSIP/alice)\n; exten => _X.,1,Stasis(lcr)\n');
  const missing = await lcr('doctor', '--config', file, '--dialplan', none);
  expect(missing.stdout).toContain(`FAIL  ${none} has no extension that runs Stasis(lcr)`);
  expect(missing.stdout).toContain(
    'fix: add to the context your trunk delivers calls to: exten => _X.,1,Stasis(lcr)',
  );
});

test("two daemons: the dialplan must run the peers' Stasis() after this one's, with no Hangup between", async () => {
  const file = path.join(dir, 'peers.yaml');
  fs.writeFileSync(
    file,
    TEST_CONFIG.replace('  password: lcr-secret', '  password: lcr-secret\n  app: lcr-a\n  peers: [lcr-b]'),
  );
  const kit = await lcr('doctor', '--config', file, '--dialplan', KIT_DIALPLAN);
  expect(kit.stdout).toMatch(
    /PASS {2}route main: \+1 555 0100 reaches Stasis\(lcr-a\) and then Stasis\(lcr-b\) \(.*extensions\.conf:\d+, \[from-trunk-two-daemons\] _X\.\)/,
  );
  const alone = path.join(dir, 'alone.conf');
  fs.writeFileSync(alone, '[from-trunk]\nexten => _X.,1,Stasis(lcr-a)\n same => n,Hangup()\n');
  const missing = await lcr('doctor', '--config', file, '--dialplan', alone);
  expect(missing.stdout).toContain(
    'WARN  route main: +1 555 0100 reaches Stasis(lcr-a) (' +
      alone +
      ':2, [from-trunk] _X.) but never runs Stasis(lcr-b): when this daemon is down or stopping, its callers are not handed to the others',
  );
  expect(missing.stdout).toContain(
    "fix: run each daemon's Stasis() in turn, with nothing between them: same => n,Stasis(lcr-a)",
  );
  const cut = path.join(dir, 'cut.conf');
  fs.writeFileSync(
    cut,
    '[from-trunk]\nexten => _X.,1,Stasis(lcr-a)\n same => n,Hangup()\n same => n,Stasis(lcr-b)\n',
  );
  const hungUp = await lcr('doctor', '--config', file, '--dialplan', cut);
  expect(hungUp.stdout).toContain(`hangs up at line 3, before the next daemon's Stasis()`);
});

test('a peer daemon named in asterisk.peers that is not connected is a WARN', async () => {
  const h = await startHarness({
    yaml: TEST_CONFIG.replace('  password: lcr-secret', '  password: lcr-secret\n  peers: [lcr-b]'),
  });
  try {
    const result = await lcr('doctor', '--config', path.join(h.dir, 'routes.yaml'));
    expect(result.stdout).toContain(
      'WARN  peer daemon "lcr-b" is not registered: while this daemon is down or stopping, its callers have nobody to go to',
    );
  } finally {
    await h.stop();
  }
});

test('prompts: each prompt that cannot be made is a FAIL with its fix; a remote Asterisk cannot fetch from loopback', async () => {
  const file = path.join(dir, 'prompts.yaml');
  const failing = `prompts:\n  engine: command\n  command: ['${process.execPath}', '${FAKE_TTS}', 'out={output}']\n  cache_dir: ./doctor-cache`;
  fs.writeFileSync(file, TEST_CONFIG.replace('prompts: { engine: none }', failing));
  process.env['FAKE_TTS_MODE'] = 'fail';
  try {
    const broken = await lcr('doctor', '--config', file);
    expect(broken.stdout).toMatch(
      /FAIL {2}prompt unknown number, notInService: "The number you have dialed is not in service\.": .*exited with status 3: model file not found/,
    );
    expect(broken.stdout).toContain('fix: run prompts.command by hand with a short text');
    expect(broken.stdout).toMatch(/FAIL {2}\.\.\. and \d+ more prompts could not be made/);
  } finally {
    delete process.env['FAKE_TTS_MODE'];
  }
  fs.writeFileSync(
    file,
    TEST_CONFIG.replace('prompts: { engine: none }', failing).replace(
      'http://127.0.0.1:1',
      'http://10.1.2.3:8088',
    ),
  );
  const remote = await lcr('doctor', '--config', file);
  expect(remote.stdout).toMatch(
    /PASS {2}prompts synthesizable: \d+ audio files ready with command .* in .*doctor-cache/,
  );
  expect(remote.stdout).toContain('FAIL  Asterisk at 10.1.2.3 cannot fetch prompts from http://127.0.0.1:0');
});

test('several Asterisks: each is checked, its lines named, and one missing an endpoint fails alone', async () => {
  const east = await AsteriskSimulator.start();
  const west = await AsteriskSimulator.start();
  try {
    for (const endpoint of ['PJSIP/alice', 'PJSIP/bob', 'PJSIP/carol', 'PJSIP/trunk'])
      east.phone(endpoint, { kind: 'no-answer' });
    for (const endpoint of ['PJSIP/alice', 'PJSIP/carol', 'PJSIP/trunk'])
      west.phone(endpoint, { kind: 'no-answer' });
    const file = path.join(dir, 'two.yaml');
    fs.writeFileSync(
      file,
      TEST_CONFIG.replace(
        /^asterisk:\n(?: {2}.*\n)+/m,
        `asterisk:\n  - { name: east, url: ${east.url}, username: lcr, password: lcr-secret }\n  - { name: west, url: ${west.url}, username: lcr, password: lcr-secret }\n`,
      ),
    );
    const result = await lcr('doctor', '--config', file);
    expect(result.stdout).toContain(
      `PASS  Asterisk east: ARI reachable at ${east.url}, credentials accepted`,
    );
    expect(result.stdout).toContain(
      `PASS  Asterisk west: ARI reachable at ${west.url}, credentials accepted`,
    );
    expect(result.stdout).toContain(
      'PASS  Asterisk east: PJSIP endpoint "bob" exists (used by bob (PJSIP/bob))',
    );
    expect(result.stdout).toContain(
      'FAIL  Asterisk west: PJSIP endpoint "bob" does not exist (used by bob (PJSIP/bob))',
    );
    expect(result.stdout).not.toMatch(/^FAIL {2}Asterisk east/m);
    expect(result.code).toBe(1);
  } finally {
    await east.stop();
    await west.stop();
  }
});
