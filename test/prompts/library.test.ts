import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfigText } from '../../src/config/load';
import type { Config } from '../../src/config/model';
import { PromptCache } from '../../src/prompts/cache';
import { createPromptLibrary } from '../../src/prompts/setup';
import { FLOW_PROMPTS } from '../../src/callflow/flowPrompts';
import { PromptLibrary } from '../../src/prompts/library';
import { encodeWav, parseWav } from '../../src/prompts/wav';
import { EXAMPLE_YAML, MINIMAL_YAML } from '../helpers/config';
import { captureLogger, until } from '../helpers/harness';
import { tempDir } from '../helpers/tmp';

const FAKE_TTS = path.join(__dirname, 'fixtures', 'fake-tts.sh');
const root = tempDir('lcr-library-');
// What the fake engine "speaks": a second of 22,050 Hz audio, as eSpeak writes it.
process.env['FAKE_TTS_WAV'] = path.join(root, 'speech.wav');
beforeAll(() => {
  const samples = new Int16Array(22050).map((_, i) => Math.round(6000 * Math.sin(i / 4)));
  fs.writeFileSync(process.env['FAKE_TTS_WAV']!, encodeWav({ sampleRate: 22050, samples }));
});
let dir: string;
let calls: () => Array<{ args: string[]; stdin: string }>;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(root, 't-'));
  const log = path.join(dir, 'tts.log');
  process.env['FAKE_TTS_LOG'] = log;
  delete process.env['FAKE_TTS_MODE'];
  calls = () =>
    fs.existsSync(log)
      ? fs
          .readFileSync(log, 'utf8')
          .trim()
          .split('\n')
          .map((line) => {
            const [voice, stdin] = line.split('\t') as [string, string];
            return { args: [voice], stdin };
          })
      : [];
});

const FAKE_ENGINE = `prompts:
  engine: command
  command: [/bin/sh, '${FAKE_TTS}', 'voice={voice}', 'out={output}']
  timeout: 2s
  cache_dir: ./cache
`;

function configOf(yaml: string): Config {
  const file = path.join(dir, 'routes.yaml');
  fs.writeFileSync(file, yaml);
  return loadConfigText(yaml, 'routes.yaml', file).config;
}

function libraryFor(config: Config, logs: string[] = []): PromptLibrary {
  return createPromptLibrary(config.prompts, captureLogger(logs), () => 'http://10.0.0.5:8080');
}

function renderAll(library: PromptLibrary, config: Config) {
  return FLOW_PROMPTS.flatMap((declare) => declare(config)).map((use) =>
    library.render(use.slot, use.override, use.vars, use.scope),
  );
}

test('every prompt of routes.example.yaml is made at load, served from the cache after, and a restart synthesizes nothing', async () => {
  // The example's own prompts section (its texts included), with the test engine.
  const config = configOf(EXAMPLE_YAML.replace(/^prompts:\n {2}engine: auto.*\n/m, FAKE_ENGINE));
  expect(config.prompts.texts.noAnswer).toBeDefined();
  const library = libraryFor(config);
  const first = await library.prepare(config, FLOW_PROMPTS);
  expect(first.failures).toEqual([]);
  expect(first.synthesized).toBe(first.needed);
  expect(calls()).toHaveLength(first.needed);
  const rendered = renderAll(library, config);
  expect(library.misses).toBe(0);
  for (const prompt of rendered)
    for (const media of prompt.media)
      expect(media).toMatch(/^sound:http:\/\/10\.0\.0\.5:8080\/prompts\/[0-9a-f]{64}\.wav$|^sound:custom\//);
  // Each file is 8 kHz mono 16-bit, whatever the engine wrote (22,050 Hz here).
  const files = fs.readdirSync(path.join(dir, 'cache'));
  expect(files).toHaveLength(first.needed);
  const pcm = parseWav(fs.readFileSync(path.join(dir, 'cache', files[0]!)));
  expect(pcm.sampleRate).toBe(8000);

  const restarted = libraryFor(config);
  const second = await restarted.prepare(config, FLOW_PROMPTS);
  expect(second).toMatchObject({ needed: first.needed, synthesized: 0, failures: [] });
  expect(calls()).toHaveLength(first.needed);
  expect(renderAll(restarted, config)).toEqual(rendered);
  expect(restarted.misses).toBe(0);
});

test('a prompt no flow declares is reported as undeclared (the harness fails a test that plays one); declared ones are not', async () => {
  const config = configOf(`${MINIMAL_YAML}\n${FAKE_ENGINE}`);
  const library = libraryFor(config);
  await library.prepare(config, FLOW_PROMPTS);
  renderAll(library, config);
  expect(library.undeclared).toEqual([]);
  const route = config.routes[0]!;
  library.render('pageAnnounce', undefined, { team: 'Database', route: route.name, caller: '+1 555' }, route);
  expect(library.undeclared).toEqual([]);
  // A flow asking for a prompt with a value its declaration did not foresee.
  library.render('greeting', route.greeting, { route: 'Another name' }, route);
  library.render('greeting', route.greeting, { route: 'Another name' }, route);
  expect(library.undeclared).toHaveLength(1);
  expect(library.undeclared[0]).toContain('Another name');
});

test('the error prompt of a call to an inactive route is declared (the hand-written list missed it)', async () => {
  const config = configOf(`${MINIMAL_YAML}  - id: old
    name: Old line
    numbers: ['+1 555 0199']
    active: false
    routing: voicemail
    options: [{ key: 1, team: db-team, label: Database }]
prompts: { engine: none }
`);
  const library = libraryFor(config);
  await library.prepare(config, FLOW_PROMPTS);
  const old = config.routes.find((route) => route.id === 'old')!;
  library.render('inactive', old.inactiveMessage, { route: old.name }, old);
  library.render('error', undefined, {}, old);
  expect(library.undeclared).toEqual([]);
});

test("a caller's number is spoken from cached digits; the team and route are part of the cached sentence", async () => {
  const config = configOf(`${MINIMAL_YAML}\n${FAKE_ENGINE}`);
  const library = libraryFor(config);
  await library.prepare(config, FLOW_PROMPTS);
  const route = config.routes[0]!;
  const announce = library.render(
    'pageAnnounce',
    undefined,
    { team: 'Database', route: 'Main', caller: '+1 (555) 123-0009', callerDigits: '15551230009' },
    route,
  );
  expect(library.misses).toBe(0);
  expect(announce.text).toBe('New page for Database from Main. Caller +1 (555) 123-0009.');
  expect(announce.media).toHaveLength(1 + 11);
  const spoken = calls().map((c) => c.stdin);
  expect(spoken).toContain('New page for Database from Main. Caller');
  expect(spoken).toEqual(expect.arrayContaining(['0', '1', '5', '9', 'unknown']));
  const [sentence, ...digits] = announce.media;
  const five = library.render(
    'pageAnnounce',
    undefined,
    { team: 'Database', route: 'Main', caller: '5' },
    route,
  );
  expect(five.media).toEqual([sentence, digits[1]]);
  const anonymous = library.render(
    'pageAnnounce',
    undefined,
    { team: 'Database', route: 'Main', caller: 'anonymous' },
    route,
  );
  expect(anonymous.media).toHaveLength(2);
});

test('a sentence no configuration foresaw (a page of a route since removed) is synthesized once, then cached', async () => {
  const config = configOf(`${MINIMAL_YAML}\n${FAKE_ENGINE}`);
  const library = libraryFor(config);
  await library.prepare(config, FLOW_PROMPTS);
  const vars = { team: 'Storage', route: 'the hotline', caller: '12' };
  const cached = () => fs.readdirSync(path.join(dir, 'cache')).filter((name) => !name.startsWith('.')).length;
  const before = cached();
  const first = library.render('pageAnnounce', undefined, vars, undefined);
  expect(first.media).toEqual(['sound:vm-youhave', 'sound:vm-message']);
  expect(library.misses).toBe(1);
  const spoken = () => calls().filter((c) => c.stdin === 'New page for Storage from the hotline. Caller');
  await until(() => (cached() === before + 1 ? true : undefined), 10_000, 'the background synthesis');
  expect(library.misses).toBe(1);
  expect(library.render('pageAnnounce', undefined, vars).media[0]).toMatch(/\/prompts\/[0-9a-f]{64}\.wav$/);
  expect(spoken()).toHaveLength(1);
});

test('languages: operator text is spoken in the route language (and its configured voice); built-in English stays English', async () => {
  const yaml = `${MINIMAL_YAML.replace('    routing: voicemail\n', '    routing: voicemail\n    language: de\n    greeting: Willkommen bei {route}.\n    prompts:\n      voicemail_thanks: Danke.\n')}
${FAKE_ENGINE}  voices: { de: de+f3 }
  texts:
    voicemail_thanks: Thanks, everywhere else.
    error: Something broke.
`;
  const config = configOf(yaml);
  const library = libraryFor(config);
  await library.prepare(config, FLOW_PROMPTS);
  const byText = new Map(calls().map((c) => [c.stdin, c.args[0]]));
  expect(byText.get('Willkommen bei Main.')).toBe('voice=de+f3');
  expect(byText.get('Danke.')).toBe('voice=de+f3');
  expect(
    byText.get(
      'Please leave your message after the tone. When you are done, hang up or press the pound key.',
    ),
  ).toBe('voice=en-us');
  // The route's own text wins over the global one; the global one covers what the route leaves.
  const route = config.routes[0]!;
  expect(library.render('voicemailThanks', route.voicemail.thanks, {}, route).text).toBe('Danke.');
  expect(library.render('error', undefined, {}, route).text).toBe('Something broke.');
  expect(byText.has('Thanks, everywhere else.')).toBe(false);
});

test('control characters are spoken as spaces; shell syntax reaches the engine as plain text', async () => {
  const config = configOf(
    `${MINIMAL_YAML.replace('    routing: voicemail\n', '    routing: voicemail\n    greeting: "Hello\\u0007\\u0000 there;\\n rm -rf / $(reboot)"\n')}\n${FAKE_ENGINE}`,
  );
  const library = libraryFor(config);
  await library.prepare(config, FLOW_PROMPTS);
  expect(calls().map((c) => c.stdin)).toContain('Hello there; rm -rf / $(reboot)');
  expect(library.render('greeting', config.routes[0]!.greeting, {}, config.routes[0]).text).toBe(
    'Hello there; rm -rf / $(reboot)',
  );
});

test("operators' audio files: any PCM WAV is converted; a file that is not audio is reported and the built-in sound plays", async () => {
  fs.writeFileSync(path.join(dir, 'greeting.wav'), stereo44k());
  fs.writeFileSync(path.join(dir, 'thanks.wav'), '<html>this is not audio</html>');
  const config = configOf(
    `${MINIMAL_YAML.replace('    routing: voicemail\n', '    routing: voicemail\n    greeting: { file: greeting.wav }\n    voicemail: { thanks: { file: thanks.wav } }\n')}\n${FAKE_ENGINE}`,
  );
  const logs: string[] = [];
  const library = libraryFor(config, logs);
  const report = await library.prepare(config, FLOW_PROMPTS);
  expect(report.converted).toBe(1);
  expect(report.failures).toEqual([
    {
      where: expect.stringContaining(`route main, voicemailThanks (${path.join(dir, 'thanks.wav')})`),
      error: expect.stringMatching(/not a WAV file|not an audio file/),
    },
  ]);
  const route = config.routes[0]!;
  const greeting = library.render('greeting', route.greeting, {}, route);
  const hash = /([0-9a-f]{64})\.wav$/.exec(greeting.media[0]!)![1]!;
  const converted = parseWav(fs.readFileSync(path.join(dir, 'cache', `${hash}.wav`)));
  expect(converted.sampleRate).toBe(8000);
  expect(converted.samples.length).toBe(4000);
  expect(library.render('voicemailThanks', route.voicemail.thanks, {}, route).media).toEqual([
    'sound:vm-msgsaved',
    'sound:vm-goodbye',
  ]);
  expect(logs.join('\n')).toContain('prompt could not be made');
});

test('an engine that fails or hangs: the error is reported, the previous audio of that prompt plays, else stock sounds, never silence', async () => {
  const good = configOf(
    `${MINIMAL_YAML.replace('    routing: voicemail\n', '    routing: voicemail\n    greeting: Welcome to Main.\n')}\n${FAKE_ENGINE}`,
  );
  const library = libraryFor(good);
  await library.prepare(good, FLOW_PROMPTS);
  const route = good.routes[0]!;
  const before = library.render('greeting', route.greeting, { route: 'Main' }, route);
  expect(before.media[0]).toMatch(/\/prompts\/[0-9a-f]{64}\.wav$/);

  process.env['FAKE_TTS_MODE'] = 'hang';
  process.env['FAKE_TTS_PIDS'] = path.join(dir, 'pids.json');
  const changed = configOf(
    `${MINIMAL_YAML.replace('    routing: voicemail\n', '    routing: voicemail\n    greeting: Welcome to the new Main.\n    voicemail: { prompt: Speak now. }\n')}\n${FAKE_ENGINE}`,
  );
  const started = Date.now();
  const report = await library.prepare(changed, FLOW_PROMPTS);
  expect(Date.now() - started).toBeLessThan(15_000);
  expect(report.failures.map((f) => f.where).sort()).toEqual([
    'route main, greeting: "Welcome to the new Main."',
    'route main, voicemailPrompt: "Speak now."',
  ]);
  expect(report.failures[0]!.error).toMatch(/did not finish within 2 s and was stopped/);
  const newRoute = changed.routes[0]!;
  const after = library.render('greeting', newRoute.greeting, { route: 'Main' }, newRoute);
  expect(after).toEqual({ media: before.media, text: 'Welcome to the new Main.' });
  expect(library.render('voicemailPrompt', newRoute.voicemail.prompt, {}, newRoute).media).toEqual([
    'sound:vm-intro',
  ]);

  process.env['FAKE_TTS_MODE'] = 'fail';
  const failing = configOf(
    `${MINIMAL_YAML.replace('    routing: voicemail\n', '    routing: voicemail\n    greeting: Yet another greeting.\n')}\n${FAKE_ENGINE}`,
  );
  const failed = await library.prepare(failing, FLOW_PROMPTS);
  expect(failed.failures[0]!.error).toMatch(/exited with status 3: model file not found/);
  process.env['FAKE_TTS_MODE'] = 'garbage';
  const garbage = configOf(
    `${MINIMAL_YAML.replace('    routing: voicemail\n', '    routing: voicemail\n    greeting: A greeting that comes out as HTML.\n')}\n${FAKE_ENGINE}`,
  );
  expect((await library.prepare(garbage, FLOW_PROMPTS)).failures[0]!.error).toMatch(/not a WAV file/);
});

test('an engine that fails every time is given up after three failures, so the daemon starts without waiting a timeout per prompt', async () => {
  process.env['FAKE_TTS_MODE'] = 'hang';
  const config = configOf(`${MINIMAL_YAML}\n${FAKE_ENGINE}`);
  const library = libraryFor(config);
  const started = Date.now();
  const report = await library.prepare(config, FLOW_PROMPTS);
  expect(Date.now() - started).toBeLessThan(12_000);
  expect(report.synthesized).toBe(0);
  expect(report.failures).toHaveLength(report.needed);
  expect(calls().length).toBeLessThanOrEqual(4);
  const notAttempted = report.failures.filter((f) => f.error.startsWith('not attempted'));
  expect(notAttempted.length).toBeGreaterThanOrEqual(report.needed - 4);
  expect(notAttempted[0]!.error).toMatch(
    /^not attempted: the engine failed 3 times in a row \(TTS command "\/bin\/sh" did not finish within 2 s/,
  );
  const route = config.routes[0]!;
  expect(library.render('voicemailPrompt', undefined, {}, route).media).toEqual(['sound:vm-intro']);
});

test('a cache directory that cannot be written: prompts already there still play, new ones are reported and play as stock sounds', async () => {
  const config = configOf(`${MINIMAL_YAML}\n${FAKE_ENGINE}`);
  await libraryFor(config).prepare(config, FLOW_PROMPTS);
  const blocked = path.join(dir, 'not-a-directory');
  fs.writeFileSync(blocked, '');
  const logs: string[] = [];
  const unwritable = configOf(
    `${MINIMAL_YAML}\n${FAKE_ENGINE.replace('cache_dir: ./cache', `cache_dir: ${blocked}/prompts`)}`,
  );
  const library = libraryFor(unwritable, logs);
  expect(logs.join('\n')).toMatch(
    /prompt cache directory .*not-a-directory\/prompts is not writable \(ENOTDIR\)/,
  );
  const report = await library.prepare(unwritable, FLOW_PROMPTS);
  expect(report.synthesized).toBe(0);
  expect(report.failures.length).toBe(report.needed);
  const route = unwritable.routes[0]!;
  expect(library.render('voicemailPrompt', undefined, {}, route).media).toEqual(['sound:vm-intro']);
  // A read-only cache filled elsewhere (an image built with its prompts) is used as it is.
  const readOnly = new PromptCache(path.join(dir, 'cache'), 'wav');
  expect(readOnly.unwritable).toBeUndefined();
  expect(readOnly.size).toBeGreaterThan(10);
});

function stereo44k(): Buffer {
  // Half a second of 44.1 kHz audio, two channels interleaved, 16-bit.
  const frames = 22050;
  const mono = new Int16Array(frames);
  for (let i = 0; i < frames; i++) mono[i] = Math.round(5000 * Math.sin(i / 7));
  const wav = encodeWav({ sampleRate: 44100, samples: mono });
  const data = Buffer.alloc(frames * 4);
  for (let i = 0; i < frames; i++) {
    data.writeInt16LE(mono[i]!, i * 4);
    data.writeInt16LE(mono[i]!, i * 4 + 2);
  }
  const header = Buffer.from(wav.subarray(0, 44));
  header.writeUInt32LE(36 + data.length, 4);
  header.writeUInt16LE(2, 22);
  header.writeUInt32LE(44100 * 4, 28);
  header.writeUInt16LE(4, 32);
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

// .ci/run installs sox; without it lcr asks for WAV files (the test above covers that message's path).
const withSox = (() => {
  try {
    execFileSync('sox', ['--version'], { stdio: 'pipe' });
    return test;
  } catch {
    return test.skip;
  }
})();
withSox('an operator FLAC file is converted through sox to 8 kHz WAV', async () => {
  execFileSync('sox', [
    '-n',
    '-r',
    '44100',
    '-c',
    '2',
    path.join(dir, 'hold-on.flac'),
    'synth',
    '0.75',
    'sine',
    '440',
  ]);
  const config = configOf(
    `${MINIMAL_YAML.replace('    routing: voicemail\n', '    routing: voicemail\n    greeting: { file: hold-on.flac }\n')}\n${FAKE_ENGINE}`,
  );
  const library = libraryFor(config);
  const report = await library.prepare(config, FLOW_PROMPTS);
  expect(report).toMatchObject({ converted: 1, failures: [] });
  const route = config.routes[0]!;
  const hash = /([0-9a-f]{64})\.wav$/.exec(
    library.render('greeting', route.greeting, {}, route).media[0]!,
  )![1]!;
  const pcm = parseWav(fs.readFileSync(path.join(dir, 'cache', `${hash}.wav`)));
  expect(pcm).toMatchObject({ sampleRate: 8000 });
  expect(pcm.samples.length).toBe(6000);
});
