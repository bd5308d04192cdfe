/**
 * Engines the operator installs: the system `espeak-ng` (Debian's package; faster than the
 * bundled build) and any command that writes a WAV file, such as Piper for a more natural voice.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runEngineProcess, SynthesisError } from './process';
import type { SpeechEngine, SpeechRequest } from './types';

/** The version line of the installed espeak-ng, or undefined when there is none. */
export function systemEspeakVersion(): string | undefined {
  try {
    return execFileSync('espeak-ng', ['--version'], { encoding: 'utf8', timeout: 5000, stdio: 'pipe' })
      .trim()
      .split('\n')[0];
  } catch {
    return undefined;
  }
}

export class SystemEspeakEngine implements SpeechEngine {
  readonly name = 'espeak-ng (system)';
  readonly identity: string;

  constructor(version: string) {
    this.identity = `espeak-ng-system@${version}`;
  }

  synthesize(request: SpeechRequest, timeoutMs: number): Promise<Buffer> {
    return runEngineProcess({
      file: 'espeak-ng',
      args: ['-b', '1', '-v', request.voice, '--stdout', '--stdin'],
      stdin: request.text,
      timeoutMs,
      label: 'espeak-ng',
    });
  }
}

/**
 * `command: [piper, --model, /opt/piper/en_US-lessac-medium.onnx, --output_file, '{output}']`.
 * Placeholders: {output} (a file the command writes; without it the WAV is read from stdout),
 * {text} (without it the text goes to stdin), {voice}, {language}. Each argument stays one
 * argument whatever the text holds.
 */
export class CommandEngine implements SpeechEngine {
  readonly name: string;
  readonly identity: string;

  constructor(private readonly argv: readonly string[]) {
    this.name = `command ${argv[0]}`;
    this.identity = `command:${JSON.stringify(argv)}`;
  }

  async synthesize(request: SpeechRequest, timeoutMs: number): Promise<Buffer> {
    const workDir = await mkdtemp(join(tmpdir(), 'lcr-tts-'));
    try {
      const output = join(workDir, 'prompt.wav');
      const textAsArgument = this.argv.some((arg) => arg.includes('{text}'));
      const fill = (arg: string): string =>
        arg.replace(/\{(output|text|voice|language)\}/g, (_, name: string) =>
          name === 'output'
            ? output
            : name === 'text'
              ? request.text
              : name === 'voice'
                ? request.voice
                : request.language,
        );
      const [file, ...args] = this.argv.map(fill);
      const stdout = await runEngineProcess({
        file: file!,
        args,
        stdin: textAsArgument ? '' : request.text,
        timeoutMs,
        label: `TTS command "${this.argv[0]}"`,
      });
      if (!this.argv.some((arg) => arg.includes('{output}'))) return stdout;
      return await readFile(output).catch(() => {
        throw new SynthesisError(`TTS command "${this.argv[0]}" exited without writing {output}`);
      });
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
  }
}
