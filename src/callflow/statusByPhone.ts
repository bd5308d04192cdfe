/**
 * A status message recorded on a page call: the page's menu offers 4, "acknowledge and record a
 * message for callers"; the responder says what callers of the team should hear ("We know the
 * portal is down; next update at noon"). It plays after the team is chosen, as the recording
 * Asterisk stored, for
 * `notifications.phone.status_message_for`, like a status message set with `lcr status set`.
 */
import { randomBytes } from 'node:crypto';
import type { Config, Responder, Route } from '../config/model';
import type { Logger } from '../log/logger';
import type { Checked, StatusActor, StatusInput } from '../paging/statusMessages';
import type { PageRow } from '../store/pages';
import type { StatusMessageRow } from '../store/statusMessages';
import {
  declared,
  promptRequest,
  render,
  teamsOf,
  type PromptDeclaration,
  type PromptRenderer,
  type RenderedPrompt,
} from './prompts';
import type { CallSession } from './session';
import { hangup } from './verbs/hangup';
import { play } from './verbs/play';
import { recordMessage } from './verbs/record';
import { retryTransient } from '../store/sql/driver';

const MOST_SECONDS = 60;
/** Longest wait for another process's lock on the database. */
const LOCK_WAIT_MS = 20_000;
const SILENCE_SECONDS = 5;
/** Shorter than this is a slip of the finger, not a message. */
const LEAST_SECONDS = 1;

export interface StatusByPhoneDependencies {
  config: Config;
  prompts: PromptRenderer;
  logger: Logger;
  /** The Asterisk the page call is on: it stores the recording, and its callers hear it. */
  asterisk: string;
  /** Sets the status message (checked, in one transaction) and tells the outage board. */
  setStatus: (input: StatusInput, actor: StatusActor) => Promise<Checked<StatusMessageRow>>;
}

const vars = (team: string): Record<string, string> => ({ team });
const says = {
  offer: (route: Route | undefined, team: string) =>
    promptRequest('pageStatusOffer', undefined, vars(team), route),
  instructions: (route: Route | undefined) => promptRequest('statusRecordInstructions', undefined, {}, route),
  recorded: (route: Route | undefined, team: string) =>
    promptRequest('statusRecorded', undefined, vars(team), route),
  notRecorded: (route: Route | undefined) => promptRequest('statusNotRecorded', undefined, {}, route),
};

export const statusByPhonePrompts: PromptDeclaration = (config) =>
  config.notifications.phone.statusMessageForSeconds === 0
    ? []
    : config.routes
        .filter((route) => route.active)
        .flatMap((route) =>
          teamsOf(config, route).flatMap((team) =>
            [
              says.offer(route, team.name),
              says.instructions(route),
              says.recorded(route, team.name),
              says.notRecorded(route),
            ].map((request) => declared(`route ${route.id}`, request)),
          ),
        );

/** The menu line "to acknowledge and record a message for callers, press 4", when offered. */
export function statusMenuLine(deps: StatusByPhoneDependencies, page: PageRow): RenderedPrompt | undefined {
  if (deps.config.notifications.phone.statusMessageForSeconds === 0) return undefined;
  const route = deps.config.routes.find((r) => r.id === page.route_id);
  return render(deps.prompts, says.offer(route, deps.config.teams.get(page.team_id)?.name ?? page.team_id));
}

/** The key of that menu line. */
export const STATUS_KEY = '4';

/**
 * Records the acknowledging responder's message and sets it as the team's status message;
 * resolves with the page call's outcome once the call is hung up.
 */
export async function recordStatusMessage(
  deps: StatusByPhoneDependencies,
  session: CallSession,
  page: PageRow,
  responder: Responder,
): Promise<string> {
  const forSeconds = deps.config.notifications.phone.statusMessageForSeconds;
  const route = deps.config.routes.find((r) => r.id === page.route_id);
  const teamName = deps.config.teams.get(page.team_id)?.name ?? page.team_id;
  await play(session, render(deps.prompts, says.instructions(route)));
  const name = `lcr-status-${page.id}-${randomBytes(4).toString('hex')}`;
  const result = await recordMessage(session, {
    name,
    maxDurationSeconds: MOST_SECONDS,
    maxSilenceSeconds: SILENCE_SECONDS,
  });
  const logger = deps.logger.child({ pageId: page.id, responder: responder.id });
  // Silence is no message: Asterisk's talking time says whether anything was said.
  const spokenSeconds = result.state === 'done' ? (result.talkingSeconds ?? result.durationSeconds) : 0;
  if (result.state !== 'done' || spokenSeconds < LEAST_SECONDS) {
    logger.info('no status message recorded', { result: result.state });
    if (!session.gone)
      await play(session, render(deps.prompts, says.notRecorded(route))).catch(() => undefined);
    await hangup(session);
    return 'acknowledged; no status message recorded';
  }
  const set = await retryTransient(
    () =>
      deps.setStatus(
        {
          target: `team:${page.team_id}`,
          text: `Recorded by ${responder.name} on the call about page #${page.id}`,
          for: `${forSeconds}s`,
          recording: { name, asterisk: deps.asterisk },
        },
        { id: responder.id, via: 'phone' },
      ),
    LOCK_WAIT_MS,
  ).catch((error: unknown) => ({ ok: false as const, error: String(error) }));
  if (!set.ok) {
    logger.error('the recorded status message could not be set', { error: set.error });
    await play(session, render(deps.prompts, says.notRecorded(route))).catch(() => undefined);
    await hangup(session);
    return 'acknowledged; the status message could not be set';
  }
  logger.info('status message recorded', { status: set.value.id, seconds: result.durationSeconds });
  await play(session, render(deps.prompts, says.recorded(route, teamName))).catch(() => undefined);
  await hangup(session);
  return `acknowledged; recorded a status message (${result.durationSeconds}s)`;
}
