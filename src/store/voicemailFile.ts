/**
 * Where a voicemail's audio is on disk. The file is named by the voicemail's row, never by a
 * request: an id is looked up, not joined into a path, and the stored path must stay inside the
 * voicemail directory. The API, email attachments and page calls all find files this way.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CallStore } from './calls';

export async function voicemailFile(
  calls: Pick<CallStore, 'getVoicemail'>,
  voicemailDir: string,
  id: string,
): Promise<string | undefined> {
  if (!/^[A-Za-z0-9-]{1,64}$/.test(id)) return undefined;
  const row = await calls.getVoicemail(id);
  if (row?.file_path === undefined || row.file_path === null) return undefined;
  const root = path.resolve(voicemailDir);
  const file = path.resolve(root, row.file_path);
  if (!file.startsWith(root + path.sep) || !fs.existsSync(file)) return undefined;
  return file;
}
