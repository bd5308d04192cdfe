/** `lcr doctor`: one line per check; exit 1 when any check fails. */
import { runChecks } from '../../doctor/checks';
import { CliFailure, type CliIo } from '../io';
import { loadOrFail } from './shared';

const LABEL = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', info: 'INFO' } as const;

export async function doctorCommand(io: CliIo, file: string, dialplan?: string): Promise<void> {
  const { config } = loadOrFail(io, file);
  io.out(
    `PASS  configuration ${config.source} is valid (${config.routes.length} routes, ${config.responders.size} responders)`,
  );
  const results = await runChecks(config, dialplan === undefined ? {} : { dialplan });
  for (const result of results) {
    io.out(`${LABEL[result.status]}  ${result.title}`);
    if (result.fix !== undefined) io.out(`      fix: ${result.fix}`);
  }
  const failed = results.filter((r) => r.status === 'fail').length;
  if (failed > 0) throw new CliFailure(`${failed} check(s) failed`);
}
