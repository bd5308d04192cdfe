import * as fs from 'node:fs';
import * as path from 'node:path';
import { BundledEspeakEngine } from '../../src/prompts/engines/bundled';
import { CommandEngine, SystemEspeakEngine, systemEspeakVersion } from '../../src/prompts/engines/system';
import { SynthesisError } from '../../src/prompts/engines/process';
import { durationMs, parseWav } from '../../src/prompts/wav';
import { tempDir } from '../helpers/tmp';

const FAKE_TTS = path.join(__dirname, 'fixtures', 'fake-tts.js');
const NASTY = `It's "urgent"; rm -rf / && $(touch PWNED) \`touch PWNED\` | cat > PWNED`;
const dir = tempDir('lcr-enginetest-');

function loudness(wav: Buffer): number {
  const { samples } = parseWav(wav);
  return samples.reduce((sum, s) => sum + Math.abs(s), 0) / samples.length;
}

test('the bundled eSpeak NG speaks after npm ci alone, and shell syntax in the text is only text', async () => {
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    const wav = await new BundledEspeakEngine().synthesize(
      { text: NASTY, voice: 'en-us', language: 'en' },
      30_000,
    );
    const pcm = parseWav(wav);
    expect(durationMs(pcm)).toBeGreaterThan(2000);
    expect(loudness(wav)).toBeGreaterThan(200);
    expect(fs.existsSync(path.join(dir, 'PWNED'))).toBe(false);
  } finally {
    process.chdir(cwd);
  }
});

test('the bundled engine names an unknown voice in its error', async () => {
  await expect(
    new BundledEspeakEngine().synthesize({ text: 'hello', voice: 'xx-nope', language: 'xx' }, 30_000),
  ).rejects.toThrow(/eSpeak NG \(bundled\) exited with status 1: .*voice does not exist/);
});

// .ci/run installs Debian's espeak-ng, so this runs in CI; on a machine without it, `auto` uses the bundled engine.
const withSystemEspeak = systemEspeakVersion() === undefined ? test.skip : test;
withSystemEspeak('the system espeak-ng speaks a German voice; its identity names its version', async () => {
  const engine = new SystemEspeakEngine(systemEspeakVersion()!);
  expect(engine.identity).toMatch(/^espeak-ng-system@eSpeak NG text-to-speech: \d/);
  const wav = await engine.synthesize({ text: `Guten Tag. ${NASTY}`, voice: 'de', language: 'de' }, 30_000);
  expect(durationMs(parseWav(wav))).toBeGreaterThan(2000);
  expect(fs.existsSync('PWNED')).toBe(false);
});

describe('an operator command (Piper and the like)', () => {
  const log = (): Array<{ args: string[]; stdin: string }> =>
    fs
      .readFileSync(path.join(dir, 'calls.log'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { args: string[]; stdin: string });
  beforeEach(() => {
    process.env['FAKE_TTS_LOG'] = path.join(dir, 'calls.log');
    process.env['FAKE_TTS_PIDS'] = path.join(dir, 'pids.json');
    delete process.env['FAKE_TTS_MODE'];
    fs.rmSync(path.join(dir, 'calls.log'), { force: true });
  });

  test('gets the text on stdin and each placeholder as one argument; its WAV file is read back', async () => {
    const engine = new CommandEngine([
      process.execPath,
      FAKE_TTS,
      '--voice',
      '{voice}',
      'lang={language}',
      'out={output}',
    ]);
    const wav = await engine.synthesize({ text: NASTY, voice: 'en_US-lessac', language: 'en' }, 10_000);
    expect(parseWav(wav).sampleRate).toBe(22050);
    const [call] = log();
    expect(call!.stdin).toBe(NASTY);
    expect(call!.args.slice(0, 3)).toEqual(['--voice', 'en_US-lessac', 'lang=en']);
    expect(call!.args[3]).toMatch(/^out=.*lcr-tts-.*\/prompt\.wav$/);
    // Its scratch directory is gone afterwards.
    expect(fs.existsSync(path.dirname(call!.args[3]!.slice(4)))).toBe(false);
    expect(fs.existsSync('PWNED')).toBe(false);
  });

  test('with {text} the text is one argument (nothing on stdin), and without {output} the WAV comes from stdout', async () => {
    const engine = new CommandEngine([process.execPath, FAKE_TTS, 'text={text}']);
    const wav = await engine.synthesize({ text: NASTY, voice: 'v', language: 'en' }, 10_000);
    expect(parseWav(wav).samples.length).toBe(`text=${NASTY}`.length * 200);
    expect(log()[0]).toEqual({ args: [`text=${NASTY}`], stdin: '' });
  });

  test('one that hangs is stopped at the timeout, with whatever it started', async () => {
    process.env['FAKE_TTS_MODE'] = 'hang';
    const engine = new CommandEngine([process.execPath, FAKE_TTS]);
    const started = Date.now();
    await expect(engine.synthesize({ text: 'hello', voice: 'v', language: 'en' }, 1500)).rejects.toThrow(
      new SynthesisError(`TTS command "${process.execPath}" did not finish within 1.5 s and was stopped`),
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    const pids = JSON.parse(fs.readFileSync(path.join(dir, 'pids.json'), 'utf8')) as number[];
    const alive = (pid: number): boolean => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 50 && pids.some(alive); i++) await new Promise((r) => setTimeout(r, 100));
    expect(pids.filter(alive)).toEqual([]);
  });

  test('one that fails says how, with the end of what it printed', async () => {
    process.env['FAKE_TTS_MODE'] = 'fail';
    await expect(
      new CommandEngine([process.execPath, FAKE_TTS]).synthesize(
        { text: 'x', voice: 'v', language: 'en' },
        10_000,
      ),
    ).rejects.toThrow(/exited with status 3: model file not found: \/opt\/voices\/missing\.onnx/);
    await expect(
      new CommandEngine(['/nonexistent/piper', '--model', 'x']).synthesize(
        { text: 'x', voice: 'v', language: 'en' },
        10_000,
      ),
    ).rejects.toThrow('command "/nonexistent/piper" not found');
    process.env['FAKE_TTS_MODE'] = 'ok';
    await expect(
      new CommandEngine([process.execPath, FAKE_TTS, 'x={output}']).synthesize(
        { text: 'x', voice: 'v', language: 'en' },
        10_000,
      ),
    ).rejects.toThrow('exited without writing {output}');
  });
});
