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
      /INFO {2}the dialplan cannot be read over ARI: make sure \+1 555 0100, \+1 555 0150 reach Stasis\(lcr\)/,
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
