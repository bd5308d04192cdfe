/**
 * Files a configuration names beside itself (holidays_file, pins_file): read when it loads, and
 * a file that cannot be read is a located error at the key that names it, never a crash.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ConfigIssue } from './issues';

/** The file's text and absolute path, or undefined (and an error in `issues`) when it cannot be read. */
export function readBesideConfig(
  file: string,
  configDir: string,
  what: string,
  where: ConfigIssue['path'],
  issues: ConfigIssue[],
): { absolute: string; text: string } | undefined {
  const absolute = path.resolve(configDir, file);
  try {
    return { absolute, text: fs.readFileSync(absolute, 'utf8') };
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    issues.push({ severity: 'error', path: where, message: `cannot read ${what} ${absolute}: ${reason}` });
    return undefined;
  }
}
