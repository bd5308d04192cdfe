/**
 * `screening` in the YAML: the top level's keys are every route's defaults, a route's own keys
 * replace them one by one; bad input gets located errors, risky input warnings.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfigFile, loadConfigText } from '../../src/config/load';
import { ConfigError, formatIssue } from '../../src/config/issues';
import { MINIMAL_YAML } from '../helpers/config';

const TWO_ROUTES = `${MINIMAL_YAML}  - id: second
    name: Second
    numbers: ['+1 555 0200']
    routing: voicemail
    options: [{ key: 1, team: db-team, label: Database }]
`;

function load(text: string): {
  errors: string[];
  warnings: string[];
  config?: ReturnType<typeof loadConfigText>['config'];
} {
  try {
    const { config, warnings } = loadConfigText(text, 'routes.yaml');
    return { errors: [], warnings: warnings.map(formatIssue), config };
  } catch (error) {
    if (error instanceof ConfigError) return { errors: error.issues.map(formatIssue), warnings: [] };
    throw error;
  }
}

test("top-level keys are the defaults; a route's own keys replace them one by one", () => {
  const text =
    TWO_ROUTES.replace(
      '    options: [{ key: 1, team: db-team, label: Database }]\n',
      '    options: [{ key: 1, team: db-team, label: Database }]\n    screening: { anonymous: refuse, rate_limit: { calls: 1, per: 1h } }\n',
    ) +
    `screening:
  block: ['+1 900*', '+1 555 666 0000']
  anonymous: voicemail
  rate_limit: { calls: 3, per: 10m }
  press_to_continue: { key: 5 }
`;
  const { config, errors } = load(text);
  expect(errors).toEqual([]);
  const [first, second] = config!.routes;
  expect(first!.screening).toEqual({
    block: ['1900*', '15556660000'],
    blockedHears: 'message',
    anonymous: 'voicemail',
    rateLimit: { calls: 3, perSeconds: 600 },
    pressToContinue: { key: '5', timeoutSeconds: 5, tries: 2 },
  });
  expect(second!.screening).toMatchObject({
    anonymous: 'refuse',
    rateLimit: { calls: 1, perSeconds: 3600 },
    block: ['1900*', '15556660000'],
  });
  expect(load(MINIMAL_YAML).config!.routes[0]!.screening).toEqual({
    block: [],
    blockedHears: 'message',
    anonymous: 'allow',
  });
});

test('bad input: located errors', () => {
  expect(load(`${MINIMAL_YAML}screening: { block: ['+1 900 abc'] }\n`).errors.join('\n')).toMatch(
    /routes\.yaml:\d+:\d+ screening\.block\[0\]: expected a number pattern/,
  );
  expect(load(`${MINIMAL_YAML}screening: { anonymous: maybe }\n`).errors.join('\n')).toMatch(
    /screening\.anonymous: expected anonymous "allow", "voicemail" or "refuse"/,
  );
  expect(
    load(`${MINIMAL_YAML}screening: { rate_limit: { calls: 0, per: 10m } }\n`).errors.join('\n'),
  ).toMatch(/screening\.rate_limit\.calls/);
  expect(load(`${MINIMAL_YAML}screening: { press_to_continue: { key: 55 } }\n`).errors.join('\n')).toMatch(
    /screening\.press_to_continue\.key: /,
  );
});

test('warnings: a block pattern that matches every number, allow and block lists that overlap', () => {
  const all = load(`${MINIMAL_YAML}screening: { block: ['*'] }\n`);
  expect(all.warnings.join('\n')).toMatch(
    /screening\.block\[0\]: warning: this block pattern matches every number/,
  );
  const overlap = load(`${MINIMAL_YAML}    screening: { block: ['+1 555*'], allow: ['+1 555 123 0001'] }\n`);
  expect(overlap.warnings.join('\n')).toMatch(
    /routes\[0\]\.screening\.allow\[0\]: warning: allow pattern "15551230001" overlaps block pattern "1555\*": blocking wins/,
  );
});

test('PINs: inline, from a file beside the YAML (warned when others can read it), per team; bad ones located', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lcr-pins-'));
  try {
    fs.writeFileSync(path.join(dir, 'pins.txt'), '# vendors\n4321\n\n98765 # night shift\n', { mode: 0o600 });
    const file = path.join(dir, 'routes.yaml');
    fs.writeFileSync(
      file,
      `${MINIMAL_YAML}screening: { pin: { pins: ['1111'], pins_file: pins.txt, team_pins: { db-team: '2222' } } }\n`,
    );
    const { config, warnings } = loadConfigFile(file);
    expect(warnings).toEqual([]);
    expect(config.routes[0]!.screening.pin).toEqual({
      pins: ['1111', '4321', '98765'],
      pinsFile: 'pins.txt',
      teamPins: { 'db-team': '2222' },
      tries: 3,
    });
    fs.chmodSync(path.join(dir, 'pins.txt'), 0o644);
    expect(loadConfigFile(file).warnings.map(formatIssue).join('\n')).toMatch(
      /screening\.pin\.pins_file: warning: PIN file .*pins\.txt is readable by every user/,
    );
    fs.writeFileSync(path.join(dir, 'pins.txt'), '12\n', { mode: 0o600 });
    expect(() => loadConfigFile(file)).toThrow(/pins\.txt, line 1: expected a PIN of 3 to 12 digits/);
    fs.rmSync(path.join(dir, 'pins.txt'));
    expect(() => loadConfigFile(file)).toThrow(/cannot read PIN file .*pins\.txt: no such file/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  expect(load(`${MINIMAL_YAML}screening: { pin: { tries: 3 } }\n`).errors.join('\n')).toMatch(
    /pin needs pins, pins_file or team_pins/,
  );
  expect(
    load(`${MINIMAL_YAML}screening: { pin: { team_pins: { nobody: '1234' } } }\n`).errors.join('\n'),
  ).toMatch(/unknown team "nobody"/);
});
