/** Hot reload: valid files apply to new calls while calls in progress keep theirs; invalid ones change nothing. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigReloader } from '../../src/config/reload';
import { createLogger } from '../../src/log/logger';
import { Writable } from 'node:stream';
import {
  TEST_CONFIG,
  captureLogger,
  expectCleanAsterisk,
  startHarness,
  type Harness,
  until,
  useHarness,
} from '../helpers/harness';
import { startHttpPeer, startSmtpPeer, type HttpPeer, type SmtpPeer } from '../helpers/peers';
import { acknowledgesPage, leaveMessage, messageFor } from '../helpers/people';
import type { PageRow } from '../../src/store/pages';

let h: Harness;
useHarness({}, (started) => (h = started));

function reloaderFor(logs: string[]): { reloader: ConfigReloader; file: string; yaml: string } {
  const file = path.join(h.dir, 'routes.yaml');
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(chunk.toString('utf8'));
      done();
    },
  });
  const reloader = new ConfigReloader(
    file,
    h.daemon,
    createLogger({ level: 'info', format: 'json', stream }),
  );
  return { reloader, file, yaml: fs.readFileSync(file, 'utf8') };
}

test('a valid file applies to new calls; the call in progress finishes under the configuration it started with', async () => {
  const logs: string[] = [];
  const { reloader, file, yaml } = reloaderFor(logs);
  const during = h.sim.call({
    to: '+15550100',
    from: '+15551230001',
    steps: [{ waitFor: 'playback', media: 'press' }, { wait: 3000 }, { press: '1' }, ...leaveMessage()],
  });
  await until(() => h.daemon.calls.callOfChannel(during.channelId), 5000, 'the first call');
  // Option 1 of the main route now goes to the network team.
  fs.writeFileSync(
    file,
    yaml.replace('{ key: 1, team: db-team, label: Database }', '{ key: 1, team: net-team, label: Network }'),
  );
  expect(await reloader.reload('test')).toMatchObject({ applied: true });
  const first = await h.finishedCall(during.channelId);
  expect(first.team_id).toBe('db-team');
  const after = h.sim.call({
    to: '+15550100',
    from: '+15551230001',
    steps: messageFor('1'),
  });
  expect((await h.finishedCall(after.channelId)).team_id).toBe('net-team');
  expect(logs.join('')).toContain('configuration reloaded');
});

test('a reload of a huge invalid file does not stop the event loop: calls keep reacting while it is checked', async () => {
  const logs: string[] = [];
  const { reloader, file, yaml } = reloaderFor(logs);
  const junk = Array.from({ length: 20_000 }, (_, i) => `unknown_key_${i}: 1`).join('\n');
  fs.writeFileSync(file, `${yaml}\n${junk}\n`);
  // Ticks that run while the reload is in progress: none when it holds the event loop.
  let ticks = 0;
  const ticker = setInterval(() => ticks++, 5);
  const result = await reloader.reload('test');
  clearInterval(ticker);
  expect(result).toMatchObject({ applied: false });
  expect(ticks).toBeGreaterThan(0);
  const line = JSON.parse(logs.find((l) => l.includes('not reloaded'))!) as { issues: string[] };
  expect(line.issues).toHaveLength(101);
  expect(line.issues.at(-1)).toBe('and 19900 more');
  // The running configuration still answers calls.
  const call = h.sim.call({ to: '+15550100', from: '+15551230001', steps: messageFor('1') });
  expect((await h.finishedCall(call.channelId)).team_id).toBe('db-team');
});

test('after a failed reload, /healthz and /metrics say the running configuration is older than the file, and why', async () => {
  const { reloader, file, yaml } = reloaderFor([]);
  const health = async (): Promise<{
    status: number;
    body: { config: Record<string, unknown> };
  }> => {
    const response = await fetch(`${h.daemon.httpUrl}/healthz`);
    return {
      status: response.status,
      body: (await response.json()) as { config: Record<string, unknown> },
    };
  };
  const reloadGauge = async (): Promise<string | undefined> =>
    /^lcr_config_last_reload_success (\d)$/m.exec(
      await (await fetch(`${h.daemon.httpUrl}/metrics`)).text(),
    )?.[1];
  expect((await health()).body.config).toMatchObject({ current: true });
  expect(await reloadGauge()).toBe('1');

  fs.writeFileSync(file, yaml.replace('escalation_policy: db-policy', 'escalation_policy: db-polcy'));
  await reloader.reload('SIGHUP');
  const after = await health();
  // The daemon still serves callers with the configuration it has: healthy, but not current.
  expect(after.status).toBe(200);
  expect(after.body.config).toMatchObject({
    current: false,
    failed_reload: {
      reason: 'SIGHUP',
      errors: [
        expect.stringMatching(
          /routes\.yaml:\d+:\d+ teams\[0\]\.escalation_policy: unknown escalation policy/,
        ),
      ],
    },
  });
  expect(await reloadGauge()).toBe('0');

  fs.writeFileSync(file, yaml);
  expect(await reloader.reload('SIGHUP')).toMatchObject({ applied: true });
  expect((await health()).body.config).toEqual({ current: true, loaded_at: expect.any(String) });
  expect(await reloadGauge()).toBe('1');
});

test('an invalid file is reported with its location and the running configuration stays', async () => {
  const logs: string[] = [];
  const { reloader, file, yaml } = reloaderFor(logs);
  fs.writeFileSync(file, yaml.replace('escalation_policy: db-policy', 'escalation_policy: db-polcy'));
  expect(await reloader.reload('test')).toMatchObject({ applied: false });
  const line = JSON.parse(logs.find((l) => l.includes('not reloaded'))!) as { issues: string[] };
  expect(line.issues).toEqual([
    expect.stringMatching(
      /routes\.yaml:\d+:\d+ teams\[0\]\.escalation_policy: unknown escalation policy "db-polcy"/,
    ),
  ]);
  const call = h.sim.call({
    to: '+15550100',
    from: '+15551230001',
    steps: messageFor('1'),
  });
  expect((await h.finishedCall(call.channelId)).team_id).toBe('db-team');
});

test('editing the file is noticed without a signal', async () => {
  const logs: string[] = [];
  const { reloader, file, yaml } = reloaderFor(logs);
  reloader.watch(50);
  try {
    // Editors usually write a new file and rename it over the old one.
    fs.writeFileSync(`${file}.tmp`, yaml.replace('name: Vendor line', 'name: Suppliers line'));
    fs.renameSync(`${file}.tmp`, file);
    await until(
      () => logs.some((l) => l.includes('"reason":"file changed"')) || undefined,
      5000,
      'the reload',
    );
    expect(h.daemon.currentConfig.routes.find((r) => r.id === 'vendors')!.name).toBe('Suppliers line');
  } finally {
    reloader.stop();
  }
});

test('settings that need a restart keep their running values, and the log says so', async () => {
  const logs: string[] = [];
  const { reloader, file, yaml } = reloaderFor(logs);
  const database = h.daemon.currentConfig.settings.database;
  fs.writeFileSync(file, yaml.replace('storage_dir: ./data', 'storage_dir: ./elsewhere'));
  // The database and the prompt cache live under the storage directory unless placed elsewhere.
  const waitingForRestart = ['settings.database', 'settings.storage_dir', 'prompts.cache_dir'];
  expect(await reloader.reload('test')).toEqual({ applied: true, waitingForRestart });
  expect(h.daemon.currentConfig.settings.database).toBe(database);
  expect(logs.join('')).toContain(`"waitingForRestart":${JSON.stringify(waitingForRestart)}`);
});

describe('a reload that changes start-up and live settings at once', () => {
  const FAKE_TTS = path.join(__dirname, '..', 'prompts', 'fixtures', 'fake-tts.js');
  let peer: HttpPeer;
  let smtp: SmtpPeer;
  let r: Harness;
  beforeEach(async () => {
    [peer, smtp] = await Promise.all([startHttpPeer(), startSmtpPeer()]);
    // Prompts spoken by a fake engine and delivered over HTTP, so that they have URLs; a webhook,
    // so that ack links go out; carol is called (and hears the voicemail) and could be mailed,
    // but no SMTP server is configured yet.
    const yaml = TEST_CONFIG.replace(
      'prompts: { engine: none }',
      `prompts:\n  engine: command\n  command: ['${process.execPath}', '${FAKE_TTS}', 'out={output}']`,
    )
      .replace(
        "  - { id: carol, name: Carol, phones: ['PJSIP/carol'] }",
        "  - { id: carol, name: Carol, phones: ['PJSIP/carol'], email: carol@example.com, notify: [phone, email] }",
      )
      .replace(
        'escalation_policies:',
        `notifications:\n  webhooks:\n    - { id: chat, url: ${peer.url}/hook, events: [triggered] }\nescalation_policies:`,
      );
    r = await startHarness({ yaml });
  });
  afterEach(async () => {
    try {
      await expectCleanAsterisk(r);
    } finally {
      await r.stop();
      await Promise.all([peer.stop(), smtp.stop()]);
    }
  });

  test('the route applies; media_url, public_url and notifications.email wait for a restart, and prompt URLs, links and email agree', async () => {
    const logs: string[] = [];
    const file = path.join(r.dir, 'routes.yaml');
    const yaml = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(
      file,
      yaml
        .replace(
          'http_listen: 127.0.0.1:0',
          'http_listen: 127.0.0.1:0\n  media_url: http://media.invalid:8080\n  public_url: https://lcr.invalid',
        )
        .replace(
          'notifications:\n',
          `notifications:\n  email: { host: 127.0.0.1, port: ${smtp.port}, tls: none, from: pages@example.com, timeout: 1s }\n`,
        )
        .replace('name: Vendor line', 'name: Suppliers line'),
    );
    const reloader = new ConfigReloader(file, r.daemon, captureLogger(logs));
    expect(await reloader.reload('test')).toEqual({
      applied: true,
      waitingForRestart: ['settings.public_url', 'settings.media_url', 'notifications.email'],
    });
    expect(logs.join('\n')).toContain(
      '"waitingForRestart":["settings.public_url","settings.media_url","notifications.email"]',
    );
    const running = r.daemon.currentConfig;
    expect(running.routes.find((route) => route.id === 'vendors')!.name).toBe('Suppliers line');
    expect(running.settings.mediaUrl).toBeUndefined();
    expect(running.settings.publicUrl).toBeUndefined();
    expect(running.notifications.email).toBeUndefined();

    // Prompts are still fetched from the listener's own address...
    const own = r.daemon.httpUrl!;
    const main = running.routes.find((route) => route.id === 'main')!;
    expect(r.daemon.prompts.render('greeting', undefined, { route: main.name }, main).media).toEqual([
      expect.stringMatching(new RegExp(`^sound:${own}/prompts/`)),
    ]);
    // ...and so are voicemails in page calls and ack links in chat; no email is planned for an
    // SMTP transport the daemon does not have.
    r.sim.phone('PJSIP/carol', acknowledgesPage());
    const call = r.sim.call({
      to: '+15550150',
      from: '+15551230009',
      steps: leaveMessage(),
    });
    await r.finishedCall(call.channelId);
    const hook = await until(() => peer.requests.find((q) => q.path === '/hook'), 10_000, 'the webhook');
    expect(hook.body).toContain(`${own}/ack/`);
    expect(hook.body).not.toContain('lcr.invalid');
    const pageId = r.pages()[0]!.id;
    // Read straight from the daemon's database, as an operator's sqlite3 would: `until` polls synchronously.
    const pageRow = (): PageRow | undefined =>
      r.daemon.db.prepare('SELECT * FROM pages WHERE id = ?').get(pageId) as PageRow | undefined;
    await until(() => pageRow()!.status === 'acknowledged' || undefined, 20_000, 'the ack');
    const voicemails = r.sim.catalog.httpFetches.filter((f) => f.url.includes('/media/voicemail/'));
    expect(voicemails.length).toBeGreaterThan(0);
    for (const fetch of voicemails)
      expect(fetch).toMatchObject({ status: 200, url: expect.stringMatching(`^${own}/`) });
    const prompts = r.sim.catalog.httpFetches.filter((f) => f.url.includes('/prompts/'));
    expect(prompts.length).toBeGreaterThan(0);
    for (const fetch of prompts)
      expect(fetch).toMatchObject({ status: 200, url: expect.stringMatching(`^${own}/`) });
    expect((await r.daemon.notifications.ofPage(pageId)).map((n) => n.channel).sort()).toEqual([
      'phone',
      'webhook',
    ]);
    expect(smtp.mails).toEqual([]);
  });
});
