/** Hot reload: valid files apply to new calls while calls in progress keep theirs; invalid ones change nothing. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigReloader } from '../../src/config/reload';
import { createLogger } from '../../src/log/logger';
import { Writable } from 'node:stream';
import { type Harness, until, useHarness } from '../helpers/harness';

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

const MESSAGE = [{ waitFor: 'recording' as const }, { speak: 3000 }, { press: '#' }];

test('a valid file applies to new calls; the call in progress finishes under the configuration it started with', async () => {
  const logs: string[] = [];
  const { reloader, file, yaml } = reloaderFor(logs);
  const during = h.sim.call({
    to: '+15550100',
    from: '+15551230001',
    steps: [{ waitFor: 'playback', media: 'press' }, { wait: 3000 }, { press: '1' }, ...MESSAGE],
  });
  await until(() => h.daemon.calls.callOfChannel(during.channelId), 5000, 'the first call');
  // Option 1 of the main route now goes to the network team.
  fs.writeFileSync(
    file,
    yaml.replace('{ key: 1, team: db-team, label: Database }', '{ key: 1, team: net-team, label: Network }'),
  );
  expect(await reloader.reload('test')).toBe(true);
  const first = await h.finishedCall(during.channelId);
  expect(first.team_id).toBe('db-team');
  const after = h.sim.call({
    to: '+15550100',
    from: '+15551230001',
    steps: [{ waitFor: 'playback', media: 'press' }, { press: '1' }, ...MESSAGE],
  });
  expect((await h.finishedCall(after.channelId)).team_id).toBe('net-team');
  expect(logs.join('')).toContain('configuration reloaded');
});

test('an invalid file is reported with its location and the running configuration stays', async () => {
  const logs: string[] = [];
  const { reloader, file, yaml } = reloaderFor(logs);
  fs.writeFileSync(file, yaml.replace('escalation_policy: db-policy', 'escalation_policy: db-polcy'));
  expect(await reloader.reload('test')).toBe(false);
  const line = JSON.parse(logs.find((l) => l.includes('not reloaded'))!) as { issues: string[] };
  expect(line.issues).toEqual([
    expect.stringMatching(
      /routes\.yaml:\d+:\d+ teams\[0\]\.escalation_policy: unknown escalation policy "db-polcy"/,
    ),
  ]);
  const call = h.sim.call({
    to: '+15550100',
    from: '+15551230001',
    steps: [{ waitFor: 'playback', media: 'press' }, { press: '1' }, ...MESSAGE],
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
  expect(await reloader.reload('test')).toBe(true);
  expect(h.daemon.currentConfig.settings.database).toBe(database);
  // The prompt cache lives under the storage directory unless placed elsewhere: it moves with it.
  expect(logs.join('')).toContain(
    '"settings":["settings.database","settings.storageDir","prompts (except texts)"]',
  );
});
