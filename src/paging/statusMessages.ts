/**
 * Setting and clearing status messages, from the CLI, the HTTP API and a responder's phone: the
 * checks every way shares (a known route or team, a text a caller can sit through, an expiry in
 * the future), then one statement. The daemons pick the change up at their next look (outageBoard.ts).
 */
import type { Config } from '../config/model';
import { parseDurationSeconds } from '../config/duration';
import { MAX_PROMPT_CHARACTERS } from '../config/fields';
import { speakable } from '../prompts/library';
import type { EventVia } from '../store/pages';
import type { StatusMessageRow, StatusStore } from '../store/statusMessages';
import type { SqlSession } from '../store/sql/driver';

/** Longest a status message may stay up without being set again: a forgotten one misleads callers. */
export const MAX_STATUS_SECONDS = 7 * 86400;

export interface StatusInput {
  /** A route id, or `team:<id>` for a team's message. */
  target: string;
  text?: string;
  /** "2h", "90m": from now. */
  for?: string;
  /** An ISO 8601 instant ("2026-12-07T14:30:00Z", or local time with an offset). */
  until?: string;
  /** Recorded on a page call: `text` then describes it for lists and logs. */
  recording?: { name: string; asterisk: string };
}

export type StatusTarget = { routeId: string; teamId: null } | { routeId: null; teamId: string };

export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

/** The route or team a target names. */
export function statusTarget(config: Config, target: string): Checked<StatusTarget> {
  const team = /^team:(.+)$/.exec(target)?.[1];
  if (team !== undefined)
    return config.teams.has(team)
      ? { ok: true, value: { routeId: null, teamId: team } }
      : { ok: false, error: `no team "${team}" (teams: ${[...config.teams.keys()].join(', ')})` };
  return config.routes.some((r) => r.id === target)
    ? { ok: true, value: { routeId: target, teamId: null } }
    : {
        ok: false,
        error: `no route "${target}" (routes: ${config.routes.map((r) => r.id).join(', ')}; a team's message: team:<id>)`,
      };
}

/** What a set asks for, checked: the target, the text as it will be spoken, and the expiry. */
export function checkStatus(
  config: Config,
  input: StatusInput,
  now: number,
): Checked<StatusTarget & { text: string; expiresAt: number }> {
  const target = statusTarget(config, input.target);
  if (!target.ok) return target;
  const text = speakable(input.text ?? '');
  if (text === '') return { ok: false, error: 'the status message is empty' };
  if (text.length > MAX_PROMPT_CHARACTERS)
    return {
      ok: false,
      error: `a status message of ${text.length} characters would play for minutes; keep it under ${MAX_PROMPT_CHARACTERS} (about a minute of speech)`,
    };
  if ((input.for === undefined) === (input.until === undefined))
    return { ok: false, error: 'give how long it plays: --for 2h, or --until 2026-12-07T14:30:00Z' };
  let expiresAt: number;
  if (input.for !== undefined) {
    let seconds: number;
    try {
      seconds = parseDurationSeconds(input.for);
    } catch {
      return { ok: false, error: `--for: "${input.for}" is no duration (30m, 2h, 1d)` };
    }
    if (seconds <= 0) return { ok: false, error: '--for: the duration must be more than 0' };
    expiresAt = now + seconds * 1000;
  } else {
    expiresAt = Date.parse(input.until!);
    if (!Number.isFinite(expiresAt) || !/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(input.until!))
      return { ok: false, error: `--until: "${input.until}" is no ISO 8601 time (2026-12-07T14:30:00Z)` };
    if (expiresAt <= now)
      return {
        ok: false,
        error: `--until: ${input.until} is in the past; a status message must expire later`,
      };
  }
  if (expiresAt - now > MAX_STATUS_SECONDS * 1000)
    return { ok: false, error: 'a status message may play for 7 days at most; set it again to keep it' };
  return { ok: true, value: { ...target.value, text, expiresAt } };
}

export interface StatusActor {
  id: string;
  via: EventVia;
}

/** Sets a checked status message (replacing the target's live one), in one transaction. */
export async function setStatus(
  sql: SqlSession,
  statuses: StatusStore,
  config: Config,
  input: StatusInput,
  actor: StatusActor,
  now = Date.now(),
): Promise<Checked<StatusMessageRow>> {
  const checked = checkStatus(config, input, now);
  if (!checked.ok) return checked;
  const row = await sql.transaction((tx) =>
    statuses.in(tx).set({
      routeId: checked.value.routeId,
      teamId: checked.value.teamId,
      text: checked.value.text,
      setBy: actor.id,
      via: actor.via,
      at: now,
      expiresAt: checked.value.expiresAt,
      ...(input.recording === undefined ? {} : { recording: input.recording }),
    }),
  );
  return { ok: true, value: row };
}

/** Clears a target's live message; says whether there was one. */
export async function clearStatus(
  statuses: StatusStore,
  config: Config,
  target: string,
  actor: StatusActor,
  now = Date.now(),
): Promise<Checked<number>> {
  const checked = statusTarget(config, target);
  if (!checked.ok) return checked;
  return { ok: true, value: await statuses.clear(checked.value, actor.id, now) };
}
