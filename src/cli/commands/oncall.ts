import { DateTime } from 'luxon';
import type { Config } from '../../config/model';
import { formatDuration } from '../../config/duration';
import { resolveOnCall, type OnCallAnswer } from '../../oncall/escalation';
import { CliFailure, EXIT_USAGE, type CliIo } from '../io';
import { didYouMean } from '../../config/issues';
import { loadOrFail } from './shared';

export interface OnCallOptions {
  team?: string;
  at?: string;
  json?: boolean;
}

/** An ISO time with an offset is taken as given; one without is read in the configured zone. */
export function parseAt(text: string | undefined, zone: string): number {
  if (text === undefined) return Date.now();
  const parsed = DateTime.fromISO(text, { zone, setZone: true });
  if (!parsed.isValid) {
    throw new CliFailure(
      `--at: "${text}" is not an ISO date-time (e.g. 2026-11-24T09:30 or 2026-11-24T14:30Z)`,
      EXIT_USAGE,
    );
  }
  return parsed.toMillis();
}

function answerToJson(answer: OnCallAnswer): unknown {
  return {
    team: answer.team.id,
    policy: answer.policy.id,
    at: new Date(answer.at).toISOString(),
    levels: answer.levels.map((level) => ({
      level: level.index + 1,
      ringTimeoutSeconds: level.level.ringTimeoutSeconds,
      escalateAfterSeconds: level.level.escalateAfterSeconds,
      responders: level.responders.map((r) => ({
        id: r.responder.id,
        name: r.responder.name,
        firstPhone: r.firstPhone?.dialString ?? null,
        via: r.via.kind === 'schedule' ? `schedule:${r.via.scheduleId}` : 'direct',
      })),
    })),
  };
}

function answerToText(config: Config, answer: OnCallAnswer): string {
  const local = DateTime.fromMillis(answer.at, { zone: config.settings.timezone });
  const lines = [
    `${answer.team.name} (${answer.team.id}), policy ${answer.policy.id}, at ${local.toFormat('yyyy-MM-dd HH:mm ZZZZ')}`,
  ];
  for (const level of answer.levels) {
    lines.push(
      `  Level ${level.index + 1} (ring ${formatDuration(level.level.ringTimeoutSeconds)}, escalate after ${formatDuration(level.level.escalateAfterSeconds)})`,
    );
    if (level.responders.length === 0) lines.push('    nobody on call');
    for (const r of level.responders) {
      const via = r.via.kind === 'schedule' ? `schedule ${r.via.scheduleId}` : 'named';
      const phone = r.firstPhone === undefined ? 'NO PHONE (skipped on live calls)' : r.firstPhone.dialString;
      lines.push(`    ${r.responder.name} (${r.responder.id})  via ${via}  first phone: ${phone}`);
    }
  }
  return lines.join('\n');
}

export function oncallCommand(io: CliIo, file: string, options: OnCallOptions): void {
  const { config } = loadOrFail(io, file);
  const at = parseAt(options.at, config.settings.timezone);
  let teamIds = [...config.teams.keys()];
  if (options.team !== undefined) {
    if (!config.teams.has(options.team)) {
      throw new CliFailure(`unknown team "${options.team}"${didYouMean(options.team, teamIds)}`, EXIT_USAGE);
    }
    teamIds = [options.team];
  }
  const answers = teamIds.map((id) => resolveOnCall(config, id, at));
  if (options.json) io.out(JSON.stringify(answers.map(answerToJson), null, 2));
  else io.out(answers.map((answer) => answerToText(config, answer)).join('\n\n'));
}
