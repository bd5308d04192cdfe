/**
 * `npm run bench`: prints every benchmark's figures. These are measurements on a shared,
 * noisy machine, never pass/fail tests. `npm run bench -- config` runs one group.
 */
import { runClusterBench } from './clusterBench';
import { runConfigBench } from './configBench';
import { runInboundBench } from './inboundBench';
import { runStormBench } from './stormBench';
import { runDirectBench } from './directBench';
import { runFaultsBench } from './faultsBench';
import { runPagingBench } from './pagingBench';
import { runPromptsBench } from './promptsBench';

const groups: Record<string, (print: (line: string) => void) => Promise<void> | void> = {
  config: runConfigBench,
  inbound: async (print) => {
    await runInboundBench(print);
    print('');
    await runStormBench(print);
  },
  direct: async (print) => void (await runDirectBench(print)),
  paging: async (print) => void (await runPagingBench(print)),
  prompts: (print) => runPromptsBench(print),
  faults: (print) => runFaultsBench(print),
  cluster: (print) => runClusterBench(print),
};

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const failed: string[] = [];
  const print = (line: string): void => console.log(line);
  print(`lcr benchmarks on node ${process.version}, ${new Date().toISOString()}`);
  for (const [name, bench] of Object.entries(groups)) {
    if (wanted.length > 0 && !wanted.includes(name)) continue;
    print('');
    print(`== ${name}`);
    try {
      await bench(print);
    } catch (error) {
      // The other groups still run, but the run as a whole fails.
      failed.push(name);
      print(`  FAILED: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (wanted.some((name) => !(name in groups))) {
    failed.push(...wanted.filter((name) => !(name in groups)).map((name) => `${name} (no such group)`));
  }
  if (failed.length > 0) {
    print('');
    print(`failed: ${failed.join(', ')}`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
