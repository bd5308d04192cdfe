/**
 * eSpeak NG compiled to WebAssembly, shipped in the `espeak-ng` npm package: works after
 * `npm ci` alone. The package is an ES module built for Emscripten, so it runs in a child Node
 * process (which also keeps a slow or crashing synthesis off the daemon's event loop).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { runEngineProcess } from './process';
import type { SpeechEngine, SpeechRequest } from './types';

// Reads the text from stdin into eSpeak's in-memory file system before main() runs, and writes
// the WAV to stdout. The text is never an argument, so nothing in it can look like an option.
const WORKER = `
const [modulePath, voice] = process.argv.slice(-2);
const { default: ESpeakNg } = await import(modulePath);
let text = '';
for await (const chunk of process.stdin) text += chunk;
const errors = [];
let status = 0;
const module = await ESpeakNg({
  arguments: ['-b', '1', '-v', voice, '-w', '/out.wav', '-f', '/in.txt'],
  preRun: [(m) => m.FS.writeFile('/in.txt', text)],
  print: () => {},
  printErr: (line) => errors.push(line),
  onExit: (code) => { status = code; },
  quit: (code) => { status = code; },
});
let wav;
try { wav = module.FS.readFile('/out.wav'); } catch {}
if (status !== 0 || wav === undefined || wav.length <= 44) {
  process.stderr.write(errors.join('\\n') || 'eSpeak NG exited with status ' + status);
  process.exit(1);
}
process.stdout.write(wav);
`;

export function bundledModulePath(): string {
  return require.resolve('espeak-ng');
}

export class BundledEspeakEngine implements SpeechEngine {
  readonly name = 'eSpeak NG (bundled WebAssembly)';
  readonly identity: string;
  private readonly modulePath = bundledModulePath();

  constructor() {
    const pkg = JSON.parse(readFileSync(join(dirname(this.modulePath), '..', 'package.json'), 'utf8')) as {
      version: string;
    };
    this.identity = `espeak-ng-wasm@${pkg.version}`;
  }

  synthesize(request: SpeechRequest, timeoutMs: number): Promise<Buffer> {
    return runEngineProcess({
      file: process.execPath,
      args: ['--input-type=module', '-e', WORKER, '--', this.modulePath, request.voice],
      stdin: request.text,
      timeoutMs,
      label: 'eSpeak NG (bundled)',
    });
  }
}
