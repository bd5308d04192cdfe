/**
 * `lcr start` as systemd runs it, stopped with SIGTERM (issue 12): a connected call outlives the
 * process after the drain, nothing in progress exits at once, and a second daemon on another
 * database is refused with a clear message and exit code 1.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { AsteriskSimulator } from '../../src/simulator';
import { until } from '../helpers/harness';
import { tempDir } from '../helpers/tmp';
import { accepts } from '../helpers/people';
import { drainConfig } from '../helpers/shutdown';

const BIN = path.join(__dirname, '../../bin/lcr.js');
const dir = tempDir();

interface Running {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<number | null>;
}

function lcrStart(sim: AsteriskSimulator, name: string, shutdown: string): Running {
  const folder = fs.mkdtempSync(path.join(dir, `${name}-`));
  const file = path.join(folder, 'routes.yaml');
  fs.writeFileSync(file, drainConfig(shutdown).replace('http://127.0.0.1:1', sim.url));
  const child = spawn(process.execPath, [BIN, 'start', '--config', file]);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stderr: () => stderr, exited };
}

async function withSim(test: (sim: AsteriskSimulator, started: Running[]) => Promise<void>): Promise<void> {
  const sim = await AsteriskSimulator.start({ timeScale: 0.1 });
  const started: Running[] = [];
  try {
    await test(sim, started);
  } catch (error) {
    const logs = started.map((r, i) => `--- lcr start #${i + 1} stderr:\n${r.stderr()}`).join('\n');
    throw new Error(`${(error as Error).message}\n${logs}`, { cause: error });
  } finally {
    for (const r of started) r.child.kill('SIGKILL');
    await sim.stop();
  }
}

test('SIGTERM with a connected call and a 2 s drain: the process exits after the drain, the call stays up', () =>
  withSim(async (sim, started) => {
    const daemon = lcrStart(sim, 'connected', '{ drain: 2s }');
    started.push(daemon);
    await until(() => sim.connectedWebSockets > 0 || undefined, 15_000, 'lcr start to connect');
    sim.phone('PJSIP/alice', accepts(300));
    const caller = sim.call({
      to: '5550200',
      from: '+15551230001',
      steps: [{ waitFor: 'bridged' }, { wait: 3_600_000 }],
    });
    await until(() => sim.transcript(caller.channelId).some((t) => t.kind === 'bridged'), 10_000, 'bridged');
    const sent = Date.now();
    daemon.child.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);
    expect(Date.now() - sent).toBeGreaterThanOrEqual(1900);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect([...sim.engine.channels.keys()]).toHaveLength(2);
    expect([...sim.engine.channels.keys()]).toContain(caller.channelId);
    expect(sim.engine.bridges.size).toBe(1);
    expect(sim.violations).toEqual([]);
    expect(daemon.stderr()).toContain(
      'calls still in progress stay up in Asterisk for the next start to adopt',
    );
  }));

test('SIGTERM with nothing in progress exits at once, whatever the drain time', () =>
  withSim(async (sim, started) => {
    const daemon = lcrStart(sim, 'idle', '{ drain: 30s }');
    started.push(daemon);
    await until(() => sim.connectedWebSockets > 0 || undefined, 15_000, 'lcr start to connect');
    const sent = Date.now();
    daemon.child.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);
    expect(Date.now() - sent).toBeLessThan(1500);
  }));

test('a second lcr start with the same application on another database is refused: exit 1 and why', () =>
  withSim(async (sim, started) => {
    const first = lcrStart(sim, 'first', '{ drain: 1s }');
    started.push(first);
    await until(() => sim.connectedWebSockets > 0 || undefined, 15_000, 'lcr start to connect');
    const second = lcrStart(sim, 'second', '{ drain: 1s }');
    started.push(second);
    expect(await second.exited).toBe(1);
    expect(second.stderr()).toMatch(
      /lcr: another lcr daemon \(.+, database [0-9a-f]{16}\) is connected to Asterisk as application "lcr"/,
    );
    expect(sim.webSocketsOf('lcr')).toBe(1);
    expect(first.child.exitCode).toBeNull();
  }));
