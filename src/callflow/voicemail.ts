/**
 * Voicemail routing: instructions, beep, the recording, then the message is copied from Asterisk
 * to the daemon's own storage, recorded in the database and turned into a page for the team.
 * What the caller said is kept even if they hang up, and even if the copy fails (the recording
 * then stays on Asterisk and the row says why, for a later retry).
 */
import { randomUUID } from 'node:crypto';
import { routingsOf } from './routePlan';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Route, Team } from '../config/model';
import type { FlowContext, RoutedCall } from './context';
import { AriRequestError } from '../ari/types';
import {
  declared,
  promptRequest,
  render,
  teamsOf,
  type PromptDeclaration,
  type RenderedPrompt,
} from './prompts';
import { enterStage } from './stage';
import { play } from './verbs/play';
import { recordMessage, type RecordingEnd, type RecordResult } from './verbs/record';
import { copyRecording, recordCopy } from './voicemailCopy';
import { offerCallback } from './callback/offer';
import { pageWhatTheCallerLeft } from './direct/connectedPage';
import type { CallRow, CopyResult } from '../store/calls';
import { durationMs, parseWav } from '../prompts/wav';

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

/**
 * Routes that take messages: voicemail routing (also outside hours), and direct routing when
 * nobody answers.
 */
export function takesVoicemail(route: Route): boolean {
  const routings = routingsOf(route);
  return routings.has('voicemail') || (routings.has('direct') && route.direct.onNoAnswer === 'voicemail');
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
  if (ctx.calls.writes.failing) {
    // A message needs the store: its row and its page. While the store takes no writes (a full
    // disk), the caller is asked to call again rather than leave a message that reaches nobody.
    ctx.logger.error('not taking a message: the database takes no writes');
    facts.outcome = 'error';
    facts.detail = 'no message taken: the database took no writes';
    await play(session, render(ctx.prompts, says.failed(route, team)));
    return;
  }
  enterStage(ctx, facts.callId, 'message');
  await play(session, render(ctx.prompts, says.instructions(route, team)));
  session.ensurePresent();
  const recordingName = recordingNameOf(facts.callId);
  enterStage(ctx, facts.callId, 'recording');
  const result = await recordMessage(session, {
    name: recordingName,
    maxDurationSeconds: route.voicemail.maxDurationSeconds,
    maxSilenceSeconds: route.voicemail.maxSilenceSeconds,
  });
  await keepMessage(call, recordingName, result);
}

const recordingNameOf = (callId: string): string => `lcr-vm-${callId}`;

/**
 * A message the last process was recording when it lost the call (reconcile/): Asterisk kept
 * recording meanwhile. It is stopped, then kept, copied and paged like any message, marked
 * interrupted; the caller is told the call was interrupted, thanked, and the call ends.
 */
export async function keepInterruptedMessage(call: RoutedCall, interrupted: RenderedPrompt): Promise<void> {
  const { caller: session, facts } = call;
  const name = recordingNameOf(facts.callId);
  const finished = session.waitFor(
    (e) => (e.type === 'RecordingFinished' || e.type === 'RecordingFailed') && e.recording.name === name,
    10_000,
    { outlivesHangup: true },
  );
  let result: RecordResult;
  try {
    await session.ari.stopRecording(name);
    const event = await finished;
    result =
      event?.type === 'RecordingFinished'
        ? {
            state: 'done',
            endedBy: 'stopped',
            durationSeconds: event.recording.duration ?? 0,
            talkingSeconds: undefined,
          }
        : { state: 'failed', reason: 'the interrupted recording did not finish' };
  } catch (error) {
    finished.catch(() => undefined);
    if (!(error instanceof AriRequestError && error.notFound)) throw error;
    // It ended while nobody watched (silence, `#`, the length limit): the file is all there is,
    // and its length is read from it (measureMissedEnd).
    result = { state: 'end-missed', endedBy: 'unknown' };
  }
  if (!session.gone) await play(session, interrupted).catch(() => undefined);
  await keepMessage(call, name, result, 'interrupted');
}

/**
 * The length of a recording whose end was missed, from the WAV file Asterisk stored (the header
 * says how many samples it holds). Without a file, the time since the recording began is the
 * only bound there is, capped by the route's limit.
 */
async function measureMissedEnd(
  call: RoutedCall,
  endedBy: 'hangup' | 'unknown',
  copied: CopyResult,
): Promise<{ endedBy: RecordingEnd; durationSeconds: number }> {
  const { ctx, facts, route } = call;
  if (!('error' in copied)) {
    try {
      const pcm = parseWav(fs.readFileSync(path.join(ctx.voicemailDir, copied.file)));
      // Whole seconds counted down, as Asterisk counts a recording's duration.
      const seconds = Math.floor(durationMs(pcm) / 1000);
      const atLimit = seconds >= route.voicemail.maxDurationSeconds;
      return {
        endedBy: atLimit && endedBy === 'unknown' ? 'max-duration' : endedBy,
        durationSeconds: seconds,
      };
    } catch (error) {
      ctx.logger.warn('the copied voicemail is not a WAV file it could be measured from', {
        error: (error as Error).message,
      });
    }
  }
  const startedAt = (await ctx.calls.getCall(facts.callId).catch(() => undefined))?.stage_at ?? ctx.now();
  const seconds = Math.min(route.voicemail.maxDurationSeconds, Math.round((ctx.now() - startedAt) / 1000));
  return { endedBy, durationSeconds: seconds };
}

/** The end of a recording: the voicemail row, the copy, the page, and the caller's thanks. */
async function keepMessage(
  call: RoutedCall,
  recordingName: string,
  result: RecordResult,
  endedBy?: 'interrupted',
): Promise<void> {
  const { ctx, caller: session, facts, route, team } = call;
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
  const copy = (): Promise<CopyResult> =>
    copyRecording(session.ari, ctx.logger, ctx.voicemailDir, {
      id: voicemailId,
      recording_name: recordingName,
      created_at: at,
    });
  // A recording whose end the daemon missed is measured from its file, copied first.
  const early = result.state === 'end-missed' ? await copy() : undefined;
  const measured =
    result.state === 'end-missed' ? await measureMissedEnd(call, result.endedBy, early!) : result;
  const tooShort = measured.durationSeconds < route.voicemail.minDurationSeconds;
  ctx.calls.insertVoicemail({
    id: voicemailId,
    call_id: facts.callId,
    route_id: route.id,
    team_id: team.id,
    recording_name: recordingName,
    file_path: null,
    format: 'wav',
    duration_seconds: measured.durationSeconds,
    size_bytes: null,
    too_short: tooShort ? 1 : 0,
    ended_by: endedBy ?? measured.endedBy,
    fetch_error: null,
    created_at: at,
  });
  facts.outcome = 'voicemail';
  facts.detail = `${measured.durationSeconds}s, ended by ${endedBy ?? measured.endedBy}${tooShort ? ', too short' : ''}`;
  // The message is kept: a daemon taking the call back from here must not record it again.
  ctx.calls.updateCall(facts.callId, { outcome: facts.outcome, outcome_detail: facts.detail });
  enterStage(ctx, facts.callId, 'ending');

  // The message is copied while the caller hears the callback offer and the thanks; all of it is
  // done before hanging up.
  const copying = early === undefined ? copy() : Promise.resolve(early);
  const callbackNumber = await offerCallback(call).catch((error: Error) => {
    ctx.logger.error('the callback offer failed; the message is paged without one', { error: error.message });
    return undefined;
  });
  const thanks =
    session.gone || callbackNumber !== undefined
      ? Promise.resolve()
      : play(session, render(ctx.prompts, says.thanks(route, team, tooShort))).then(
          () => undefined,
          () => undefined,
        );
  const copied = await copying;
  recordCopy(ctx.calls, voicemailId, copied);

  const summary = `Voicemail for ${team.name} via ${route.name} from ${facts.callerNumber || 'an unknown number'} (${measured.durationSeconds}s${tooShort ? ', very short' : ''}${endedBy === undefined ? '' : ', interrupted'}${callbackNumber === undefined ? '' : `; call back at ${callbackNumber}`})`;
  pageWhatTheCallerLeft(call, {
    voicemailId,
    durationSeconds: measured.durationSeconds,
    callbackNumber: callbackNumber ?? null,
    summary,
    at,
  });
  await thanks;
}

/**
 * A message kept by a process that stopped before paging it (it was offering the callback, or
 * saying thanks): paged now, once, by whoever takes the call back or closes its row. Without a
 * callback number: the caller's choice died with the process.
 */
export function pageKeptMessage(ctx: FlowContext, row: CallRow): void {
  if (row.outcome !== 'voicemail' || row.team_id === null || row.route_id === null) return;
  const route = ctx.config.routes.find((r) => r.id === row.route_id);
  const team = ctx.config.teams.get(row.team_id);
  if (route === undefined || team === undefined) return;
  ctx.paging.behind(async (paging) => {
    if (await paging.messagePaged(row.id)) return;
    const [message] = await ctx.calls.voicemailsOfCall(row.id);
    if (message === undefined) return;
    ctx.logger.warn('a kept message was not paged when its daemon stopped: paged now', { callId: row.id });
    await paging.trigger({
      teamId: team.id,
      routeId: route.id,
      optionKey: row.option_key,
      callId: row.id,
      voicemailId: message.id,
      callerNumber: row.caller_number || null,
      durationSeconds: message.duration_seconds,
      callbackNumber: null,
      summary: `Voicemail for ${team.name} via ${route.name} from ${row.caller_number || 'an unknown number'} (${message.duration_seconds}s, interrupted)`,
      urgency: row.urgency ?? 'high',
      dedupe: route.dedupe,
      at: message.created_at,
    });
  });
}
