/**
 * Spoken prompts end to end: the daemon synthesizes at start, Asterisk (simulated) plays them by
 * fetching them over HTTP or reading them from a shared directory, and every played URI works.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TranscriptEntry } from '../../src/simulator/model';
import { ConfigReloader } from '../../src/config/reload';
import {
  TEST_CONFIG,
  captureLogger,
  expectCleanAsterisk,
  startHarness,
  type Harness,
  until,
} from '../helpers/harness';
import { leaveMessage } from '../helpers/people';
import { tempDir } from '../helpers/tmp';

const FAKE_TTS = path.join(__dirname, '..', 'prompts', 'fixtures', 'fake-tts.js');
const shared = tempDir('lcr-prompts-it-');

function withPrompts(block: string): string {
  return TEST_CONFIG.replace('prompts: { engine: none }', block);
}

const HTTP_PROMPTS = `prompts:
  engine: command
  command: ['${process.execPath}', '${FAKE_TTS}', 'out={output}']
  cache_dir: ${shared}/cache`;

function heard(transcript: TranscriptEntry[]): string[] {
  return transcript.filter((t) => t.kind === 'played').map((t) => t.detail);
}

function failed(transcript: TranscriptEntry[]): string[] {
  return transcript.filter((t) => t.kind === 'heard-failed').map((t) => t.detail);
}

function menuMedia(h: Harness, key: string): string {
  const route = h.daemon.currentConfig.routes.find((r) => r.id === 'main')!;
  const option = route.options.find((o) => o.key === key)!;
  return h.daemon.prompts.render(
    'menuOption',
    undefined,
    { key, label: option.label, route: route.name },
    route,
  ).media[0]!;
}

describe('delivery over HTTP', () => {
  let h: Harness;
  afterEach(async () => {
    try {
      await expectCleanAsterisk(h);
    } finally {
      await h.stop();
    }
  });

  test('a voicemail call hears synthesized prompts that Asterisk fetches once each and then plays from its cache', async () => {
    h = await startHarness({ yaml: withPrompts(HTTP_PROMPTS) });
    const ready = h.logs.find((line) => line.includes('"message":"prompts ready"'))!;
    expect(JSON.parse(ready)).toMatchObject({ engine: `command ${process.execPath}`, failed: 0 });
    const base = `sound:${h.daemon.httpUrl}/prompts/`;
    const callAndLeaveMessage = () =>
      h.sim.call({
        to: '+15550100',
        from: '+15551230001',
        steps: [
          { waitFor: 'playing', media: menuMedia(h, '1').slice('sound:'.length) },
          { press: '1' },
          ...leaveMessage(),
        ],
      });
    const first = callAndLeaveMessage();
    await h.finishedCall(first.channelId);
    const played = heard(first.transcript);
    expect(failed(first.transcript)).toEqual([]);
    // Greeting, the first menu option (pressed while it plays), instructions, thanks: all synthesized.
    expect(played.length).toBe(4);
    for (const uri of played) {
      expect(uri.startsWith(base)).toBe(true);
      expect(uri.length - 'sound:'.length).toBeGreaterThanOrEqual(30);
    }
    expect(h.daemon.promptLibrary!.misses).toBe(0);
    const fetches = h.sim.catalog.httpFetches.filter((f) => f.url.includes('/prompts/'));
    expect(fetches.length).toBe(new Set(played).size);
    for (const fetch of fetches) expect(fetch).toMatchObject({ status: 200, contentType: 'audio/wav' });

    const metrics = await (await fetch(`${h.daemon.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/^lcr_prompts_not_ready 0$/m);
    expect(metrics).toMatch(/^lcr_prompts_failed 0$/m);
    const health = (await (await fetch(`${h.daemon.httpUrl}/healthz`)).json()) as { prompts: unknown };
    expect(health.prompts).toEqual({
      engine: `command ${process.execPath}`,
      ready: expect.any(Number),
      failed: 0,
    });

    // The first message's page is handled, so the second caller hears no known problem: the same flow.
    const page = await until(() => h.pages()[0]);
    await h.daemon.paging.resolve(page.id, { id: 'test', via: 'cli' });
    await h.daemon.board.refresh();
    const second = callAndLeaveMessage();
    await h.finishedCall(second.channelId);
    expect(heard(second.transcript)).toEqual(played);
    expect(h.sim.catalog.httpFetches.filter((f) => f.url.includes('/prompts/'))).toHaveLength(fetches.length);
  });

  test('the prompt endpoint serves exactly the cached bytes, immutable, with an ETag; anything else is 404', async () => {
    h = await startHarness({ yaml: withPrompts(HTTP_PROMPTS) });
    const route = h.daemon.currentConfig.routes[0]!;
    const uri = h.daemon.prompts.render('greeting', undefined, { route: route.name }, route).media[0]!;
    const url = uri.slice('sound:'.length);
    const hash = /\/prompts\/([0-9a-f]{64})\.wav$/.exec(url)![1]!;
    const onDisk = fs.readFileSync(path.join(shared, 'cache', `${hash}.wav`));
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('audio/wav');
    expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(response.headers.get('etag')).toBe(`"${hash}"`);
    expect(Buffer.from(await response.arrayBuffer()).equals(onDisk)).toBe(true);
    const revalidated = await fetch(url, { headers: { 'If-None-Match': `"${hash}"` } });
    expect(revalidated.status).toBe(304);
    const head = await fetch(url, { method: 'HEAD' });
    expect(head.headers.get('content-length')).toBe(String(onDisk.length));
    for (const bad of [
      `/prompts/${'0'.repeat(64)}.wav`,
      `/prompts/${hash}.mp3`,
      `/prompts/../lcr.db`,
      `/prompts/%2e%2e%2flcr.db`,
      `/prompts/${hash}.wav/..`,
    ])
      expect((await fetch(`${h.daemon.httpUrl}${bad}`)).status).toBe(404);
    expect((await fetch(url, { method: 'DELETE' })).status).toBe(404);
  });
});

test('delivery from a shared directory: the daemon writes the files Asterisk plays as sound:<path>/<hash>', async () => {
  const sounds = path.join(shared, 'asterisk-sounds');
  const h = await startHarness({
    yaml: withPrompts(`prompts:
  engine: command
  command: ['${process.execPath}', '${FAKE_TTS}', 'out={output}']
  delivery: directory
  directory: ${sounds}/lcr
  sound_path: lcr
  format: wav16`),
  });
  try {
    h.sim.catalog.soundsDirectory = sounds;
    const call = h.sim.call({ to: '+15550199', from: '+15551230001', steps: [] });
    await h.finishedCall(call.channelId);
    const [uri] = heard(call.transcript);
    expect(failed(call.transcript)).toEqual([]);
    const hash = /^sound:lcr\/([0-9a-f]{64})$/.exec(uri!)![1]!;
    const file = fs.readFileSync(path.join(sounds, 'lcr', `${hash}.wav16`));
    expect(file.readUInt32LE(24)).toBe(16000);
    // Nothing is served over HTTP in this mode.
    expect((await fetch(`${h.daemon.httpUrl}/prompts/${hash}.wav16`)).status).toBe(404);
    // No temporary files are left where Asterisk looks.
    expect(fs.readdirSync(path.join(sounds, 'lcr')).every((name) => /^[0-9a-f]{64}\.wav16$/.test(name))).toBe(
      true,
    );
    await expectCleanAsterisk(h);
  } finally {
    await h.stop();
  }
});

test('the simulated Asterisk refuses what the real one cannot play: short http URLs (issue #444) and missing sounds', async () => {
  const h = await startHarness({});
  try {
    expect(await h.sim.catalog.durationOf('sound:http://127.0.0.1/a.wav')).toBeUndefined();
    expect(h.sim.catalog.httpFetches.at(-1)).toEqual({
      url: 'http://127.0.0.1/a.wav',
      status: 0,
      contentType: null,
    });
    expect(await h.sim.catalog.durationOf('sound:lcr/0123')).toBeUndefined();
    expect(
      await h.sim.catalog.durationOf(`sound:${h.daemon.httpUrl}/prompts/${'a'.repeat(64)}.wav`),
    ).toBeUndefined();
    expect(h.sim.catalog.httpFetches.at(-1)).toMatchObject({ status: 404 });
  } finally {
    await h.stop();
  }
});

test('reload during a call: new prompts are made before new calls use them; the call in progress keeps its own; a broken file changes nothing', async () => {
  const h = await startHarness({ yaml: withPrompts(HTTP_PROMPTS) });
  try {
    const file = path.join(h.dir, 'routes.yaml');
    const yaml = fs.readFileSync(file, 'utf8');
    const logs: string[] = [];
    const reloader = new ConfigReloader(file, h.daemon, captureLogger(logs));
    const menu = menuMedia(h, '1').slice('sound:'.length);
    const during = h.sim.call({
      to: '+15550100',
      from: '+15551230001',
      steps: [{ waitFor: 'playback', media: menu }, { wait: 1500 }, { press: '1' }, ...leaveMessage(2500)],
    });
    await until(() => h.daemon.calls.callOfChannel(during.channelId), 5000, 'the first call');
    fs.writeFileSync(
      file,
      yaml.replace(
        '    name: Acme hotline\n',
        '    name: Acme hotline\n    greeting: Welcome to the new Acme hotline.\n',
      ),
    );
    expect(await reloader.reload('test')).toEqual({ applied: true, waitingForRestart: [] });
    const route = h.daemon.currentConfig.routes[0]!;
    const newGreeting = h.daemon.prompts.render('greeting', route.greeting, { route: route.name }, route);
    expect(newGreeting.text).toBe('Welcome to the new Acme hotline.');
    expect(h.daemon.promptLibrary!.misses).toBe(0);

    fs.writeFileSync(
      file,
      yaml.replace(
        '    name: Acme hotline\n',
        `    name: Acme hotline\n    greeting: '${'x'.repeat(1200)}'\n`,
      ),
    );
    expect(await reloader.reload('test')).toMatchObject({ applied: false });
    expect(logs.join('\n')).toMatch(
      /routes\.yaml:\d+:\d+ routes\[0\]\.greeting: a prompt of 1200 characters would play for minutes/,
    );

    const after = h.sim.call({
      to: '+15550100',
      from: '+15551230002',
      steps: [{ waitFor: 'playback' }, { wait: 2000 }, { hangup: true }],
    });
    await h.finishedCall(after.channelId);
    expect(heard(after.transcript)[0]).toBe(newGreeting.media[0]);
    const first = await h.finishedCall(during.channelId);
    expect(first.outcome).toBe('voicemail');
    expect(heard(during.transcript)[0]).not.toBe(newGreeting.media[0]);
    expect(failed(during.transcript)).toEqual([]);
    await expectCleanAsterisk(h);
  } finally {
    await h.stop();
  }
});
