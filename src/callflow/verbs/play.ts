/**
 * Play a prompt and wait for it to finish. With barge-in, a key press stops it (the key stays in
 * the session's digit buffer for whoever reads it next).
 */
import { AriRequestError } from '../../ari/types';
import type { RenderedPrompt } from '../prompts';
import { ChannelGone, type CallSession } from '../session';

/** Longest a prompt may take before we stop waiting for its PlaybackFinished (a lost event). */
const PROMPT_GUARD_MS = 10 * 60_000;

export type PlayResult = 'finished' | 'interrupted' | 'failed';

export interface PlayOptions {
  bargeIn?: boolean;
  /**
   * On barge-in, return as soon as the stop is requested (it is left in `session.pendingStop`),
   * for a caller that has other requests to make meanwhile.
   */
  returnBeforeStopped?: boolean;
  /** Told the playback id once requested, for a caller that may need to stop it early. */
  onRequested?: (playbackId: string) => void;
}

export async function play(
  session: CallSession,
  prompt: RenderedPrompt,
  options: PlayOptions = {},
): Promise<PlayResult> {
  session.ensurePresent();
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
  try {
    options.onRequested?.(playbackId);
    await session.ari.play(session.channelId, prompt.media, playbackId);
  } catch (error) {
    finished.catch(() => undefined);
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
  const event = await finished.finally(() => session.resyncChecks.delete(check));
  if (event?.type === 'ChannelDtmfReceived') {
    const stopping = session.ari.stopPlayback(playbackId).then(
      () => undefined,
      () => undefined,
    );
    session.pendingStop = stopping;
    if (!options.returnBeforeStopped) await stopping;
    return 'interrupted';
  }
  if (event === undefined) session.logger.warn('prompt did not report its end; going on', { playbackId });
  return event?.type === 'PlaybackFinished' && event.playback.state === 'failed' ? 'failed' : 'finished';
}
