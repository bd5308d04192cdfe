/**
 * Operators' own audio files. WAV in any PCM layout is converted here; other formats (MP3, FLAC,
 * OGG, ...) go through `sox` when it is installed, and otherwise get an error that says what to do.
 */
import { execFileSync } from 'node:child_process';
import { runEngineProcess } from './engines/process';
import { NotAudioError, toTelephoneWav } from './wav';

let soxChecked: boolean | undefined;

function soxInstalled(): boolean {
  if (soxChecked === undefined) {
    try {
      execFileSync('sox', ['--version'], { stdio: 'pipe', timeout: 5000 });
      soxChecked = true;
    } catch {
      soxChecked = false;
    }
  }
  return soxChecked;
}

export async function convertAudioFile(
  content: Buffer,
  path: string,
  sampleRate: 8000 | 16000,
  timeoutMs: number,
): Promise<Buffer> {
  const isWav = content.length >= 12 && content.toString('ascii', 0, 4) === 'RIFF';
  if (isWav) {
    try {
      return toTelephoneWav(content, sampleRate);
    } catch (error) {
      if (!(error instanceof NotAudioError) || !soxInstalled()) throw error;
    }
  } else if (!soxInstalled()) {
    throw new NotAudioError(
      'not a WAV file, and sox is not installed to convert it: install sox (apt-get install sox libsox-fmt-all) or convert the file to WAV',
    );
  }
  // sox reads the file itself (its path, not stdin, so it can tell the format by the extension).
  const wav = await runEngineProcess({
    file: 'sox',
    args: [
      '-V1',
      path,
      '-t',
      'wav',
      '-e',
      'signed-integer',
      '-b',
      '16',
      '-c',
      '1',
      '-r',
      String(sampleRate),
      '-',
    ],
    stdin: '',
    timeoutMs,
    label: 'sox',
  }).catch((error: Error) => {
    throw new NotAudioError(`not an audio file sox can read (${error.message})`);
  });
  return toTelephoneWav(wav, sampleRate);
}
