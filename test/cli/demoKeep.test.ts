/**
 * `lcr demo --keep`: after its scripted calls the daemon and the simulated Asterisk stay up, the
 * console's address and a sign-in token are printed, and the demo's calls and pages are in the
 * console; Ctrl-C (SIGINT) stops everything and keeps the data.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { until } from '../helpers/harness';
import { tempDir } from '../helpers/tmp';
import { ConsoleClient } from '../helpers/console';

const BIN = path.join(__dirname, '../../bin/lcr.js');
const dir = tempDir();

test('lcr demo --keep serves the demo in the web console until Ctrl-C', async () => {
  const cwd = fs.mkdtempSync(path.join(dir, 'demo-keep-'));
  const child = spawn(process.execPath, [BIN, 'demo', '--keep'], {
    cwd,
    env: { ...process.env, XDG_CACHE_HOME: path.join(cwd, 'cache') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    const [, url, token] = await until(
      () =>
        /Web console: (http:\/\/127\.0\.0\.1:\d+)\/console\/ \(leave the responder id empty; token (\S+)\)/.exec(
          stdout,
        ) ?? undefined,
      160_000,
      'the console address',
    );
    const client = new ConsoleClient(url!);
    expect((await client.signIn('', token!)).status).toBe(303);
    const calls = await client.get('/console/calls');
    expect(calls.text).toContain('+15559876543');
    expect(calls.text).toContain('Vendor support line');
    const pages = await client.get('/console/pages');
    expect(pages.text).toMatch(/href="\/console\/pages\/1"/);
    const schedules = await client.get('/console/schedules');
    expect(schedules.text).toContain('Database primary: who is on call over the next 14 days');
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    const kept = /Demo data kept in (\S+) \(database \S+lcr\.db\)\./.exec(stdout);
    expect(kept).not.toBeNull();
    fs.rmSync(kept![1]!, { recursive: true, force: true });
  } finally {
    child.kill('SIGKILL');
  }
}, 190_000);
