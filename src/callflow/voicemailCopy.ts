/**
 * Copying a voicemail from Asterisk to the daemon's own storage: during the call, and again for
 * any message whose copy failed (Asterisk unreachable for a while) each time the daemon
 * (re)connects, so nothing recorded is lost.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AriPort } from '../ari/types';
import type { Logger } from '../log/logger';
import type { CallStore, VoicemailRow } from '../store/calls';

const FETCH_ATTEMPTS = 3;

export type CopyResult = { file: string; size: number } | { error: string };

export async function copyRecording(
  ari: AriPort,
  logger: Logger,
  voicemailDir: string,
  voicemail: Pick<VoicemailRow, 'id' | 'recording_name' | 'created_at'>,
  attempts = FETCH_ATTEMPTS,
): Promise<CopyResult> {
  const date = new Date(voicemail.created_at);
  const relative = path.join(
    String(date.getUTCFullYear()),
    String(date.getUTCMonth() + 1).padStart(2, '0'),
    `${voicemail.id}.wav`,
  );
  let lastError = '';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const audio = await ari.storedRecordingFile(voicemail.recording_name);
      const absolute = path.join(voicemailDir, relative);
      fs.mkdirSync(path.dirname(absolute), { recursive: true });
      // Write then rename: a crash never leaves half a message under the final name.
      fs.writeFileSync(`${absolute}.part`, audio);
      fs.renameSync(`${absolute}.part`, absolute);
      await ari.deleteStoredRecording(voicemail.recording_name).catch((error: Error) =>
        logger.warn('could not delete the recording on Asterisk after copying it', {
          recordingName: voicemail.recording_name,
          error: error.message,
        }),
      );
      return { file: relative, size: audio.length };
    } catch (error) {
      lastError = (error as Error).message;
      logger.warn('copying the voicemail from Asterisk failed', {
        recordingName: voicemail.recording_name,
        attempt,
        error: lastError,
      });
      if (attempt < attempts) await new Promise((resolve) => setTimeout(resolve, 250 * 2 ** attempt));
    }
  }
  return { error: lastError };
}

export function recordCopy(calls: CallStore, voicemailId: string, result: CopyResult): void {
  if ('error' in result) calls.updateVoicemailFile(voicemailId, null, null, result.error);
  else calls.updateVoicemailFile(voicemailId, result.file, result.size, null);
}

/**
 * Retries every copy that failed before; one attempt each, on every (re)connection. Never
 * rejects (it runs on its own, from a connection event): a failure is logged for the next try.
 */
export async function retryFailedCopies(
  ari: AriPort,
  logger: Logger,
  voicemailDir: string,
  calls: CallStore,
): Promise<void> {
  try {
    await retryEach(ari, logger, voicemailDir, calls);
  } catch (error) {
    logger.error('retrying voicemail copies failed', { error: (error as Error).message });
  }
}

async function retryEach(
  ari: AriPort,
  logger: Logger,
  voicemailDir: string,
  calls: CallStore,
): Promise<void> {
  for (const voicemail of calls.voicemailsNotCopied()) {
    const result = await copyRecording(ari, logger, voicemailDir, voicemail, 1);
    if ('error' in result && /not found/i.test(result.error)) {
      logger.error('voicemail is gone from Asterisk and was never copied', { voicemailId: voicemail.id });
    }
    recordCopy(calls, voicemail.id, result);
    if (!('error' in result)) logger.info('voicemail copied on retry', { voicemailId: voicemail.id });
  }
}
