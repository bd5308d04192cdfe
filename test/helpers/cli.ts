import { run } from '../../src/cli/main';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `lcr <args>` in-process through the real command parser, capturing what it prints. */
export async function lcr(...args: string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await run(['node', 'lcr', ...args], {
    out: (text) => (stdout += text.endsWith('\n') ? text : text + '\n'),
    err: (text) => (stderr += text.endsWith('\n') ? text : text + '\n'),
  });
  return { code, stdout, stderr };
}
