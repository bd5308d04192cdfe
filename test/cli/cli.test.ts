import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { openDatabase } from '../../src/store/database';
import { CallStore } from '../../src/store/calls';
import { PageStore } from '../../src/store/pages';
import { SqliteDatabase } from '../../src/store/sql/sqlite';
import { EXAMPLE_PATH, MINIMAL_YAML } from '../helpers/config';
import { lcr } from '../helpers/cli';
import { tempDir } from '../helpers/tmp';

const dir = tempDir();

describe('lcr --version', () => {
  test('prints the version package.json declares', async () => {
    const { version } = JSON.parse(
      fs.readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8'),
    ) as {
      version: string;
    };
    const result = await lcr('--version');
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(version);
  });

  test('a release that only bumps package.json reports the new version', () => {
    // The built CLI in a copy of the tree whose package.json says something else.
    const root = path.resolve(__dirname, '../..');
    const copy = path.join(dir, 'release-copy');
    fs.cpSync(path.join(root, 'dist'), path.join(copy, 'dist'), { recursive: true });
    fs.cpSync(path.join(root, 'bin'), path.join(copy, 'bin'), { recursive: true });
    fs.symlinkSync(path.join(root, 'node_modules'), path.join(copy, 'node_modules'));
    fs.writeFileSync(path.join(copy, 'package.json'), JSON.stringify({ name: 'lcr', version: '9.9.9-bump' }));
    const result = spawnSync(process.execPath, [path.join(copy, 'bin', 'lcr.js'), '--version'], {
      encoding: 'utf8',
    });
    expect(result.stdout.trim()).toBe('9.9.9-bump');
  });
});

describe('lcr validate', () => {
  test('the example validates with exit code 0', async () => {
    const result = await lcr('validate', EXAMPLE_PATH);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /OK \(7 responders, 2 schedules, 2 escalation policies, 2 teams, 4 routes; 0 warnings\)/,
    );
  });

  test('a broken file prints located errors and exits 1, without a stack trace', async () => {
    const file = path.join(dir, 'broken.yaml');
    fs.writeFileSync(
      file,
      MINIMAL_YAML.replace('team: db-team\n        label', 'team: dbteam\n        label'),
    );
    const result = await lcr('validate', file);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'broken.yaml:24:15 routes[0].options[0].team: unknown team "dbteam" (did you mean "db-team"?)',
    );
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  test('a missing file is a located error too', async () => {
    const result = await lcr('validate', path.join(dir, 'nope.yaml'));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/nope\.yaml:1:1 \(top level\): cannot read configuration: file not found/);
  });

  test('usage errors exit 2', async () => {
    expect((await lcr('frobnicate')).code).toBe(2);
    expect((await lcr('oncall', '--config', EXAMPLE_PATH, '--at', 'yesterday')).code).toBe(2);
    expect((await lcr('oncall', '--config', EXAMPLE_PATH, '--team', 'dbteam')).stderr).toContain(
      'did you mean "db-team"',
    );
  });
});

describe('lcr oncall', () => {
  test('prints each level with names and the first phone', async () => {
    const result = await lcr('oncall', '-c', EXAMPLE_PATH, '--team', 'db-team', '--at', '2026-11-26T12:00');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        'Database (db-team), policy db-policy, at 2026-11-26 12:00 EST',
        '  Level 1 (ring 25s, escalate after 10m)',
        '    Dave Kowalski (dave)  via schedule db-primary  first phone: PJSIP/+15551230004@trunk',
        '  Level 2 (ring 30s, escalate after 15m)',
        '    Carol Nguyen (carol)  via named  first phone: PJSIP/carol',
        '    Erin Schmidt (erin)  via named  first phone: PJSIP/+4915100000005@trunk',
        '  Level 3 (ring 30s, escalate after 30m)',
        '    Grace Lee (engineering manager) (grace)  via named  first phone: PJSIP/+15551230007@trunk',
        '',
      ].join('\n'),
    );
  });

  test('--json and explicit offsets', async () => {
    const result = await lcr(
      'oncall',
      '-c',
      EXAMPLE_PATH,
      '--team',
      'network-team',
      '--at',
      '2026-11-24T10:00:00Z',
      '--json',
    );
    const parsed = JSON.parse(result.stdout) as Array<{
      at: string;
      levels: Array<{ responders: Array<{ id: string; via: string }> }>;
    }>;
    expect(parsed[0]!.at).toBe('2026-11-24T10:00:00.000Z');
    expect(parsed[0]!.levels[0]!.responders).toEqual([
      expect.objectContaining({ id: 'carol', via: 'schedule:network' }),
    ]);
  });
});

test('lcr schema prints a JSON Schema that knows every section', async () => {
  const result = await lcr('schema');
  const schema = JSON.parse(result.stdout) as { properties: Record<string, unknown>; required: string[] };
  expect(Object.keys(schema.properties)).toEqual(
    expect.arrayContaining([
      'asterisk',
      'settings',
      'responders',
      'schedules',
      'escalation_policies',
      'teams',
      'routes',
    ]),
  );
  expect(schema.required).toEqual(expect.arrayContaining(['asterisk', 'routes']));
});

describe('lcr calls and pages read the database', () => {
  const db = path.join(dir, 'records.db');
  beforeAll(async () => {
    const handle = openDatabase(db);
    const sql = new SqliteDatabase(handle, `sqlite:${db}`);
    const calls = new CallStore(sql);
    calls.insertCall({
      id: 'call-1',
      channel_id: 'ch',
      caller_number: '+15551230001',
      caller_name: '',
      dialed_number: '5550150',
      started_at: Date.parse('2026-11-22T06:00:00Z'),
    });
    calls.updateCall('call-1', {
      route_id: 'vendors',
      routing: 'voicemail',
      option_key: '1',
      team_id: 'db-team',
      outcome: 'voicemail',
      ended_at: Date.parse('2026-11-22T06:00:42Z'),
    });
    calls.insertLeg({
      id: 'leg-1',
      call_id: 'call-1',
      responder_id: 'frank',
      phone: null,
      level: 0,
      round: 0,
      channel_id: null,
      result: 'skipped',
      reason: 'no phone',
      started_at: Date.parse('2026-11-22T06:00:10Z'),
      ended_at: Date.parse('2026-11-22T06:00:10Z'),
    });
    await calls.writes.flushed();
    const pages = new PageStore(sql);
    const { pageId } = await pages.create({
      teamId: 'db-team',
      routeId: 'vendors',
      callId: 'call-1',
      voicemailId: null,
      callerNumber: '+15551230001',
      summary: 'Voicemail for Database',
      nextEscalationAt: null,
      now: Date.parse('2026-11-22T06:00:42Z'),
    });
    await pages.assign(pageId, ['bob'], 0, Date.parse('2026-11-22T06:00:42Z'));
    handle.close();
  });

  test('calls list, as a table and as JSON', async () => {
    const table = await lcr('calls', '--db', db);
    expect(table.stdout.split('\n')[0]).toMatch(
      /^ID\s+STARTED\s+CALLER\s+DIALED\s+ROUTE\s+OPTION\s+OUTCOME\s+DURATION$/,
    );
    expect(table.stdout).toMatch(
      /call-1\s+2026-11-22 06:00:00Z\s+\+15551230001\s+5550150\s+vendors\s+1\s+voicemail\s+42s/,
    );
    const json = JSON.parse((await lcr('calls', 'list', '--db', db, '--json')).stdout) as Array<{
      id: string;
    }>;
    expect(json.map((c) => c.id)).toEqual(['call-1']);
  });

  test('calls show tells the story of legs', async () => {
    const result = await lcr('calls', 'show', 'call-1', '--db', db);
    expect(result.stdout).toContain('outcome    voicemail');
    expect(result.stdout).toMatch(/1\s+frank\s+-\s+skipped \(no phone\)/);
    expect((await lcr('calls', 'show', 'nope', '--db', db)).code).toBe(1);
  });

  test('pages list and show', async () => {
    expect((await lcr('pages', '--db', db)).stdout).toMatch(
      /1\s+2026-11-22 06:00:42Z\s+triggered\s+db-team\s+1\s+\+15551230001\s+1\s+Voicemail for Database/,
    );
    const shown = await lcr('pages', 'show', '1', '--db', db);
    expect(shown.stdout).toContain('assigned   bob (level 1)');
    expect(shown.stdout).toMatch(/callers\s+1/);
    expect(shown.stdout).toMatch(/triggered\s+by system via automatic/);
    expect((await lcr('pages', '--db', db, '--status', 'open')).code).toBe(2);
  });

  test('pages ack and resolve change the page through the timeline; refusals are clear', async () => {
    const acked = await lcr(
      'pages',
      'ack',
      '1',
      '--config',
      EXAMPLE_PATH,
      '--db',
      db,
      '--as',
      'frank',
      '--note',
      'on it',
    );
    expect(acked.code).toBe(0);
    expect(acked.stdout).toBe('page 1 acknowledged by frank\n');
    expect(acked.stderr).toContain('note: frank is not on call for db-team; recorded as such');
    expect(
      (await lcr('pages', 'ack', '1', '--config', EXAMPLE_PATH, '--db', db, '--as', 'nobody')).code,
    ).toBe(2);
    const again = await lcr('pages', 'ack', '1', '--config', EXAMPLE_PATH, '--db', db);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/page 1 is already acknowledged \(by frank at .+\); nothing changed/);
    const resolved = await lcr('pages', 'resolve', '1', '--config', EXAMPLE_PATH, '--db', db);
    expect(resolved.code).toBe(0);
    expect(resolved.stdout).toMatch(/^page 1 resolved by cli:\S+/);
    expect((await lcr('pages', 'resolve', '1', '--config', EXAMPLE_PATH, '--db', db)).code).toBe(1);
    expect((await lcr('pages', 'ack', '42', '--config', EXAMPLE_PATH, '--db', db)).stderr).toContain(
      'no page with id 42',
    );
    const shown = (await lcr('pages', 'show', '1', '--db', db)).stdout;
    expect(shown).toMatch(
      /acknowledged\s+by frank via cli\s+\{"note":"on it","assigned":false,"on_call":false\}/,
    );
    expect(shown).toMatch(/resolved\s+by cli:\S+ via cli/);
  });

  test('a database that does not exist is a clear error', async () => {
    const result = await lcr('calls', '--db', path.join(dir, 'none.db'));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('does not exist yet');
  });
});

test('the installed binary runs and sets its exit code', () => {
  const bin = path.join(__dirname, '../../bin/lcr.js');
  expect(execFileSync(process.execPath, [bin, 'validate', EXAMPLE_PATH], { encoding: 'utf8' })).toContain(
    'OK',
  );
  const usage = spawnSync(process.execPath, [bin, 'oncall', '--bogus'], { encoding: 'utf8' });
  expect(usage.status).toBe(2);
});
