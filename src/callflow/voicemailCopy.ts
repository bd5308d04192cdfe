/**
 * Copying a voicemail from Asterisk to the daemon's own storage during the call. A message whose
 * copy failed (Asterisk unreachable for a while) is copied again later by the engine
 * (src/paging/modules.ts), on a schedule and whenever the daemon reconnects, so nothing recorded is lost.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AriPort } from '../ari/types';
import type { Logger } from '../log/logger';
import type { CallStore, CopyResult, VoicemailRow } from '../store/calls';

const FETCH_ATTEMPTS = 3;

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
