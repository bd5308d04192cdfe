/**
 * Play a prompt and wait for it to finish. With barge-in, a key press stops it (the key stays in
 * the session's digit buffer for whoever reads it next). Aborting `signal` stops it too. Either
 * way the promise settles once the stop is issued: the port keeps a channel's requests in order,
 * so a request that follows reaches Asterisk after the stop and is never queued behind the prompt
 * (direct-accept-and-bridge trace).
 */
import { AriRequestError } from '../../ari/types';
import type { RenderedPrompt } from '../prompts';
import { ChannelGone, type CallSession } from '../session';
import { whenAborted } from './abort';

/** Longest a prompt may take before we stop waiting for its PlaybackFinished (a lost event). */
const PROMPT_GUARD_MS = 10 * 60_000;

/** `interrupted`: a key stopped it (barge-in); `stopped`: the signal did. */
export type PlayResult = 'finished' | 'interrupted' | 'stopped' | 'failed';

export interface PlayOptions {
  bargeIn?: boolean;
  signal?: AbortSignal;
}

export async function play(
  session: CallSession,
  prompt: RenderedPrompt,
  options: PlayOptions = {},
): Promise<PlayResult> {
  session.ensurePresent();
  if (options.signal?.aborted) return 'stopped';
  if (options.bargeIn && session.digits.length > 0) return 'interrupted';
  const playbackId = session.nextId('pb');
  const finished = session.waitFor(
    (event) =>
      (event.type === 'PlaybackFinished' && event.playback.id === playbackId) ||
      (event.type === 'lcr:PlaybackGone' && event.playbackId === playbackId) ||
      (options.bargeIn === true && event.type === 'ChannelDtmfReceived'),
    PROMPT_GUARD_MS,
  );
  session.logger.debug('playing', { prompt: prompt.text, media: prompt.media });
  const requested = session.ari.play(session.channelId, prompt.media, playbackId);
  // Not waited for: the port delivers this channel's requests in the order they are issued, so
  // whatever comes next (the bridge join, the next prompt, the hangup) reaches Asterisk after the
  // stop. The stop is issued inside the abort, so that whoever aborts can issue the next request
  // at once; a stop asked while the play request is on its way still stops the prompt. Stopping a
  // playback that just ended is not an error: nothing plays any more.
  let stopIssued = false;
  const issueStop = (): void => {
    if (stopIssued) return;
    stopIssued = true;
    session.ari.stopPlayback(playbackId).catch(() => undefined);
  };
  const stop = whenAborted(options.signal, issueStop);
  try {
    await requested;
  } catch (error) {
    stop.off();
    if (error instanceof AriRequestError && error.notFound) throw new ChannelGone(session.channelId);
    // A prompt Asterisk will not play must not leave the caller stuck: log it and go on.
    session.logger.error('prompt could not be played', {
      prompt: prompt.text,
      error: (error as Error).message,
    });
    return 'failed';
  }
  // If the WebSocket drops, the PlaybackFinished may be lost: ask Asterisk whether it still plays.
  const check = async (): Promise<void> => {
    await session.ari.getPlayback(playbackId).catch((error: unknown) => {
      if (error instanceof AriRequestError && error.notFound) {
        session.deliver({ type: 'lcr:PlaybackGone', playbackId });
      }
    });
  };
  session.resyncChecks.add(check);
  const event = await Promise.race([finished, stop.aborted.then(() => 'stop' as const)]).finally(() => {
    session.resyncChecks.delete(check);
    stop.off();
  });
  if (event === 'stop' || event?.type === 'ChannelDtmfReceived') {
    issueStop();
    return event === 'stop' ? 'stopped' : 'interrupted';
  }
  if (event === undefined) session.logger.warn('prompt did not report its end; going on', { playbackId });
  return event?.type === 'PlaybackFinished' && event.playback.state === 'failed' ? 'failed' : 'finished';
}
