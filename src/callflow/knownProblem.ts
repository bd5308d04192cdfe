/**
 * What a caller is told during an outage (paging/outageBoard.ts keeps it in memory): the route's
 * status message after the greeting; once the team is chosen, the team's status message and, when
 * the team has an open page, that the problem is known (and whether an engineer works on it), with
 * the choice to leave a message anyway, hold for a responder (direct routes) or hang up.
 */
import type { Config, Route, Team } from '../config/model';
import type { Logger } from '../log/logger';
import type { OutageBoard } from '../paging/outageBoard';
import type { PromptLibrary } from '../prompts/library';
import type { StatusMessageRow } from '../store/statusMessages';
import type { FlowContext, OutageNotices, RoutedCall } from './context';
import { declared, joinPrompts, promptRequest, render, teamsOf, type PromptDeclaration } from './prompts';
import type { RenderedPrompt } from './prompts';
import { routingsOf } from './routePlan';
import { gatherDigit } from './verbs/gather';
import { play } from './verbs/play';

const varsOf = (route: Route, team: Team, minutes = ''): Record<string, string> => ({
  route: route.name,
  team: team.name,
  minutes,
});

const says = {
  working: (route: Route, team: Team, minutes?: string) =>
    promptRequest('knownProblemWorking', undefined, varsOf(route, team, minutes), route),
  alerting: (route: Route, team: Team, minutes?: string) =>
    promptRequest('knownProblemAlerting', undefined, varsOf(route, team, minutes), route),
  choice: (route: Route, team: Team, hold: boolean) =>
    promptRequest(
      hold ? 'knownProblemChoiceHold' : 'knownProblemChoice',
      undefined,
      varsOf(route, team),
      route,
    ),
};

export const knownProblemPrompts: PromptDeclaration = (config) =>
  config.routes
    .filter((route) => route.active)
    .flatMap((route) =>
      teamsOf(config, route).flatMap((team) =>
        [
          says.working(route, team),
          says.alerting(route, team),
          says.choice(route, team, false),
          ...(routingsOf(route).has('direct') ? [says.choice(route, team, true)] : []),
        ].map((request) => declared(`route ${route.id}`, request)),
      ),
    );

/** The route's status message, as audio, when one is playing and its audio is made. */
export function routeStatus(ctx: FlowContext, route: Route): RenderedPrompt | undefined {
  const status = ctx.outage?.statusFor({ routeId: route.id });
  return status === undefined ? undefined : ctx.outage?.audioOf(status, route.language);
}

/** What the caller chose after hearing of the known problem. */
export type KnownProblemChoice = 'message' | 'hold' | 'as-routed';

/**
 * Tells the caller what is known about the chosen team's problem, if anything; resolves with the
 * caller's choice ('as-routed' when nothing was known or no key came: the route's own routing).
 * A caller who hangs up ends the call here (ChannelGone, as anywhere in the flow).
 */
export async function tellWhatIsKnown(
  call: RoutedCall,
  routing: 'voicemail' | 'direct',
): Promise<KnownProblemChoice> {
  const { ctx, caller, route, team } = call;
  const outage = ctx.outage;
  if (outage === undefined) return 'as-routed';
  const status = outage.statusFor({ teamId: team.id });
  const spoken = status === undefined ? undefined : outage.audioOf(status, route.language);
  const problem = outage.problemFor(team.id, route.dedupe.windowSeconds);
  if (problem === undefined) {
    if (spoken !== undefined) await playStatus(call, spoken);
    return 'as-routed';
  }
  const minutes = String(Math.max(1, Math.round((ctx.now() - problem.since) / 60_000)));
  const hold = routing === 'direct';
  const told = joinPrompts([
    render(ctx.prompts, (problem.acknowledged ? says.working : says.alerting)(route, team, minutes)),
    ...(spoken === undefined ? [] : [spoken]),
    render(ctx.prompts, says.choice(route, team, hold)),
  ]);
  ctx.logger.info('caller told of the known problem', {
    team: team.id,
    acknowledged: problem.acknowledged,
    minutes: Number(minutes),
  });
  caller.clearDigits();
  const digit = await gatherDigit(caller, told, route.menu.timeoutSeconds * 1000);
  caller.clearDigits();
  if (digit === '1') return 'message';
  if (digit === '2' && hold) return 'hold';
  return 'as-routed';
}

/** A status message alone: a key skips it, and is not taken for anything else. */
async function playStatus(call: RoutedCall, spoken: RenderedPrompt): Promise<void> {
  await play(call.caller, spoken, { bargeIn: true });
  call.caller.clearDigits();
}

/**
 * The flows' view of the board for calls on the Asterisk named `asterisk`: status audio from the
 * prompt library, or a recorded message where that Asterisk stores it (another Asterisk has no
 * copy, so its callers hear none).
 */
export function outageNotices(
  board: OutageBoard,
  library: PromptLibrary | undefined,
  asterisk: string,
): OutageNotices {
  return {
    problemFor: (teamId, windowSeconds) => board.problemFor(teamId, windowSeconds),
    statusFor: (target) => board.statusFor(target),
    audioOf: (status, language) =>
      status.recording === null
        ? library?.spokenText(status.text, language)
        : status.asterisk === asterisk
          ? { media: [`recording:${status.recording}`], text: `[${status.text}]` }
          : undefined,
  };
}

/**
 * A status message just appeared: its audio is made now, in the language of every route it can
 * play on, so that the next caller hears it. Without a speech engine it cannot be spoken: said so.
 */
export function speakStatus(
  config: Config,
  library: PromptLibrary | undefined,
  logger: Logger,
  status: StatusMessageRow,
): void {
  const routes = config.routes.filter((route) =>
    status.route_id !== null
      ? route.id === status.route_id
      : teamsOf(config, route).some((team) => team.id === status.team_id),
  );
  const languages = new Set(routes.map((route) => route.language));
  // A recorded message is its own audio.
  if (status.recording !== null) return;
  if (library === undefined || library.engineName.startsWith('none')) {
    logger.warn('a status message is set but prompts.engine is none: callers cannot hear its text', {
      status: status.id,
    });
    return;
  }
  for (const language of languages)
    void library.prepareText(status.text, language).then((made) => {
      if (!made)
        logger.warn('the status message could not be spoken; callers do not hear it', {
          status: status.id,
          language,
        });
    });
}
