import * as fs from 'node:fs';
import * as path from 'node:path';
import { runDemo } from '../../demo/demo';
import type { CliIo } from '../io';
import { loadOrFail } from './shared';

/** The example configuration at the root of the package. */
export const EXAMPLE_CONFIG = path.resolve(__dirname, '../../../routes.example.yaml');

export async function demoCommand(io: CliIo, options: { config?: string; keep?: boolean }): Promise<void> {
  const file = options.config ?? (fs.existsSync('routes.yaml') ? 'routes.yaml' : EXAMPLE_CONFIG);
  io.out(`lcr demo with ${path.relative(process.cwd(), file) || file}`);
  const { config } = loadOrFail(io, file);
  const stopped =
    options.keep === true
      ? new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        })
      : undefined;
  await runDemo(config, (line) => io.out(line), stopped);
}
