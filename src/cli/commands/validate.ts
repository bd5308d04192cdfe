import type { CliIo } from '../io';
import { loadOrFail } from './shared';

export function validateCommand(io: CliIo, file: string): void {
  const { config, warnings } = loadOrFail(io, file);
  const counts = [
    `${config.responders.size} responders`,
    `${config.schedules.size} schedules`,
    `${config.policies.size} escalation policies`,
    `${config.teams.size} teams`,
    `${config.routes.length} routes`,
  ].join(', ');
  io.out(`${file}: OK (${counts}; ${warnings.length} warning${warnings.length === 1 ? '' : 's'})`);
}
