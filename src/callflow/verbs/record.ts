/**
 * Record the caller: a beep, then until `#`, the silence limit, the length limit, the hangup or
 * `signal` aborting (Asterisk is asked to stop, and what was said is kept). A hangup keeps what
 * was said too: Asterisk finishes the recording as it tears the channel down.
 */
import { AriRequestError } from '../../ari/types';
import { ChannelGone, type CallSession } from '../session';
import { whenAborted } from './abort';

export interface RecordSettings {
  name: string;
  maxDurationSeconds: number;
  maxSilenceSeconds: number;
}

/** `unknown`: the recording ended while the events WebSocket was down, so how is not known. */
export type RecordingEnd = 'dtmf' | 'silence' | 'max-duration' | 'hangup' | 'stopped' | 'unknown';

export type RecordResult =
  | { state: 'done'; endedBy: RecordingEnd; durationSeconds: number; talkingSeconds: number | undefined }
  /**
   * Asterisk finished the recording while the daemon did not hear it (a WebSocket gap): its
   * length must come from the stored file, never from an event that did not arrive.
   */
  | { state: 'end-missed'; endedBy: 'hangup' | 'unknown' }
  | { state: 'failed'; reason: string };

export async function recordMessage(
  session: CallSession,
  settings: RecordSettings,
  options: { signal?: AbortSignal } = {},
): Promise<RecordResult> {
  session.ensurePresent();
  session.clearDigits();
  const started = session.waitFor(
    (e) => e.type === 'RecordingStarted' && e.recording.name === settings.name,
    30_000,
    { outlivesHangup: true },
  );
  const finished = session.waitFor(
    (e) =>
      ((e.type === 'RecordingFinished' || e.type === 'RecordingFailed') &&
        e.recording.name === settings.name) ||
      (e.type === 'lcr:RecordingGone' && e.name === settings.name),
    (settings.maxDurationSeconds + 60) * 1000,
    { outlivesHangup: true },
  );
  try {
    await session.ari.record(session.channelId, {
      name: settings.name,
      format: 'wav',
      maxDurationSeconds: settings.maxDurationSeconds,
      maxSilenceSeconds: settings.maxSilenceSeconds,
      beep: true,
      terminateOn: '#',
      ifExists: 'overwrite',
    });
  } catch (error) {
    started.catch(() => undefined);
    finished.catch(() => undefined);
    if (error instanceof AriRequestError && error.notFound) throw new ChannelGone(session.channelId);
    return { state: 'failed', reason: (error as Error).message };
  }
  const startedEvent = await started;
  if (startedEvent === undefined && session.gone) {
    finished.catch(() => undefined);
    throw new ChannelGone(session.channelId);
  }
  // A RecordingFinished lost in a WebSocket gap: a live recording Asterisk no longer has is finished.
  const check = async (): Promise<void> => {
    await session.ari.getLiveRecording(settings.name).catch((error: unknown) => {
      if (error instanceof AriRequestError && error.notFound) {
        session.deliver({ type: 'lcr:RecordingGone', name: settings.name });
      }
    });
  };
  session.resyncChecks.add(check);
  // Stopped early, Asterisk still ends the recording with RecordingFinished: awaited as usual.
  const stop = whenAborted(options.signal);
  void stop.aborted.then(() =>
    session.ari
      .stopRecording(settings.name)
      .catch((error: Error) =>
        session.logger.debug('stopping the recording failed (probably over)', { error: error.message }),
      ),
  );
  const event = await finished.finally(() => {
    session.resyncChecks.delete(check);
    stop.off();
  });
  if (event === undefined)
    return { state: 'failed', reason: 'Asterisk never reported the end of the recording' };
  if (event.type === 'RecordingFailed')
    return { state: 'failed', reason: event.recording.cause ?? 'recording failed' };
  if (event.type !== 'RecordingFinished') {
    // The digits of the gap were lost with its events: `#` cannot be told from silence.
    session.clearDigits();
    return { state: 'end-missed', endedBy: session.gone ? 'hangup' : 'unknown' };
  }
  const recording = event.recording;
  const durationSeconds = recording.duration ?? 0;
  const pressedHash = session.digits.includes('#');
  session.clearDigits();
  const endedBy: RecordingEnd = pressedHash
    ? 'dtmf'
    : options.signal?.aborted
      ? 'stopped'
      : session.gone
        ? 'hangup'
        : durationSeconds >= settings.maxDurationSeconds
          ? 'max-duration'
          : 'silence';
  return { state: 'done', endedBy, durationSeconds, talkingSeconds: recording.talking_duration };
}
