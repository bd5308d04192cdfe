/**
 * Voicemail routing: instructions, beep, the recording, then the message is copied from Asterisk
 * to the daemon's own storage, recorded in the database and turned into a page for the team.
 * What the caller said is kept even if they hang up, and even if the copy fails (the recording
 * then stays on Asterisk and the row says why, for a later retry).
 */
import { randomUUID } from 'node:crypto';
import type { Route, Team } from '../config/model';
import type { RoutedCall } from './context';
import { declared, promptRequest, render, teamsOf, type PromptDeclaration } from './prompts';
import { play } from './verbs/play';
import { recordMessage } from './verbs/record';
import { copyRecording, recordCopy } from './voicemailCopy';

const varsOf = (route: Route, team: Team): Record<string, string> => ({ route: route.name, team: team.name });

/** What a caller leaving a message can hear: used by the render calls below and the declaration. */
const says = {
  instructions: (route: Route, team: Team) =>
    promptRequest('voicemailPrompt', route.voicemail.prompt, varsOf(route, team), route),
  thanks: (route: Route, team: Team, tooShort: boolean) =>
    promptRequest(
      tooShort ? 'voicemailTooShort' : 'voicemailThanks',
      route.voicemail.thanks,
      varsOf(route, team),
      route,
    ),
  failed: (route: Route, team: Team) => promptRequest('error', undefined, varsOf(route, team), route),
};

/** Routes that take messages: voicemail routing, and direct routing when nobody answers. */
export function takesVoicemail(route: Route): boolean {
  return route.routing === 'voicemail' || route.direct.onNoAnswer === 'voicemail';
}

export const voicemailPrompts: PromptDeclaration = (config) =>
  config.routes
    .filter((route) => route.active && takesVoicemail(route))
    .flatMap((route) =>
      teamsOf(config, route).flatMap((team) =>
        [
          says.instructions(route, team),
          says.thanks(route, team, false),
          says.thanks(route, team, true),
          says.failed(route, team),
        ].map((request) => declared(`route ${route.id}`, request)),
      ),
    );

/** Records a message for `team` and pages it. Returns once the page exists (or the call failed). */
export async function takeVoicemail(call: RoutedCall): Promise<void> {
  const { ctx, caller: session, facts, route, team } = call;
  await play(session, render(ctx.prompts, says.instructions(route, team)));
  session.ensurePresent();
  const recordingName = `lcr-vm-${facts.callId}`;
  const result = await recordMessage(session, {
    name: recordingName,
    maxDurationSeconds: route.voicemail.maxDurationSeconds,
    maxSilenceSeconds: route.voicemail.maxSilenceSeconds,
  });
  if (result.state === 'failed') {
    ctx.logger.error('voicemail recording failed', { reason: result.reason });
    facts.outcome = 'error';
    facts.detail = `recording failed: ${result.reason}`;
    if (!session.gone)
      await play(session, render(ctx.prompts, says.failed(route, team))).catch(() => undefined);
    return;
  }

  const at = ctx.now();
  const voicemailId = randomUUID();
  const tooShort = result.durationSeconds < route.voicemail.minDurationSeconds;
  ctx.calls.insertVoicemail({
    id: voicemailId,
    call_id: facts.callId,
    route_id: route.id,
    team_id: team.id,
    recording_name: recordingName,
    file_path: null,
    format: 'wav',
    duration_seconds: result.durationSeconds,
    size_bytes: null,
    too_short: tooShort ? 1 : 0,
    ended_by: result.endedBy,
    fetch_error: null,
    created_at: at,
  });
  facts.outcome = 'voicemail';
  facts.detail = `${result.durationSeconds}s, ended by ${result.endedBy}${tooShort ? ', too short' : ''}`;

  // The caller hears the thanks while the message is copied; both are done before hanging up.
  const thanks = session.gone
    ? Promise.resolve()
    : play(session, render(ctx.prompts, says.thanks(route, team, tooShort))).then(
        () => undefined,
        () => undefined,
      );
  const copied = await copyRecording(session.ari, ctx.logger, ctx.voicemailDir, {
    id: voicemailId,
    recording_name: recordingName,
    created_at: at,
  });
  recordCopy(ctx.calls, voicemailId, copied);

  const summary = `Voicemail for ${team.name} via ${route.name} from ${facts.callerNumber || 'an unknown number'} (${result.durationSeconds}s${tooShort ? ', very short' : ''})`;
  ctx.paging.triggerBehind({
    teamId: team.id,
    routeId: route.id,
    callId: facts.callId,
    voicemailId,
    callerNumber: facts.callerNumber || null,
    summary,
    at,
  });
  await thanks;
}
