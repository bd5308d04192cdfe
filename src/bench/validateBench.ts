/**
 * Issue 17: `lcr validate` on generated files with 5,000 / 20,000 / 100,000 unknown top-level
 * keys (target: linear in the file's size, 100,000 under 2 s), and the event loop during a
 * reload of the 20,000-key file (the daemon checks it on a worker thread).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loadConfigFileOffThread } from '../config/loadOffThread';
import { ms, nowMs } from './stats';

const EXAMPLE = path.resolve(__dirname, '../../routes.example.yaml');
const CLI = path.resolve(__dirname, '../../bin/lcr.js');

function fileWithUnknownKeys(dir: string, count: number): string {
  const file = path.join(dir, `keys-${count}.yaml`);
  const keys = Array.from({ length: count }, (_, i) => `unknown_key_${i}: 1`).join('\n');
  fs.writeFileSync(file, `${fs.readFileSync(EXAMPLE, 'utf8')}\n${keys}\n`);
  return file;
}

export async function runValidateBench(print: (line: string) => void): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lcr-bench-validate-'));
  try {
    const perKey: string[] = [];
    for (const count of [5_000, 20_000, 100_000]) {
      const file = fileWithUnknownKeys(dir, count);
      const started = nowMs();
      const result = spawnSync(process.execPath, [CLI, 'validate', file], { encoding: 'utf8' });
      const took = nowMs() - started;
      if (result.status !== 1 || !result.stderr.includes(`${count} error(s)`))
        throw new Error(
          `lcr validate of ${count} unknown keys: exit ${result.status}, ${result.stderr.slice(-200)}`,
        );
      const size = fs.statSync(file).size;
      perKey.push(`${count} keys (${(size / 1048576).toFixed(2)} MB): ${ms(took)}`);
    }
    print(
      `  lcr validate, unknown top-level keys (whole command, node start included): ${perKey.join(' | ')}   target: linear, 100k < 2 s`,
    );

    const file = fileWithUnknownKeys(dir, 20_000);
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const started = nowMs();
    await loadConfigFileOffThread(file).then(
      () => {
        throw new Error('the 20,000-key file was accepted');
      },
      () => undefined,
    );
    const took = nowMs() - started;
    delay.disable();
    print(
      `  reload check of the 20,000-key file on its worker: ${ms(took)}; event loop delay meanwhile p99 ${ms(delay.percentile(99) / 1e6)}, max ${ms(delay.max / 1e6)}`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
