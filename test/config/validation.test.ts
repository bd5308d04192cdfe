import { loadConfigText } from '../../src/config/load';
import { ConfigError, formatIssue } from '../../src/config/issues';
import { EXAMPLE_YAML, MINIMAL_YAML } from '../helpers/config';

function errorsOf(text: string): string[] {
  try {
    loadConfigText(text, 'routes.yaml');
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map(formatIssue);
    throw error;
  }
  throw new Error('expected the configuration to be rejected');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function replaceOnce(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`fixture text not found: ${from}`);
  return text.replace(from, to);
}

describe('broken configurations produce located messages', () => {
  const cases: Array<[string, string, string[]]> = [
    [
      'unknown team in an option, with a suggestion',
      replaceOnce(MINIMAL_YAML, 'team: db-team\n        label', 'team: dbteam\n        label'),
      ['routes.yaml:24:15 routes[0].options[0].team: unknown team "dbteam" (did you mean "db-team"?)'],
    ],
    [
      'malformed YAML',
      replaceOnce(MINIMAL_YAML, '    name: Alice\n', '    name: [Alice\n'),
      ['routes.yaml:8:5 (top level): malformed YAML'],
    ],
    [
      'wrong type',
      replaceOnce(MINIMAL_YAML, 'routing: voicemail', 'routing: 3'),
      ['routes.yaml:21:14 routes[0].routing: expected routing "voicemail" or "direct"'],
    ],
    [
      'missing key',
      replaceOnce(MINIMAL_YAML, '    name: Main\n', ''),
      ['routes.yaml:18:5 routes[0].name: missing required key "name"'],
    ],
    [
      'unknown key',
      replaceOnce(MINIMAL_YAML, '    name: Alice\n', '    name: Alice\n    phonez: []\n'),
      ['routes.yaml:8:5 responders[0].phonez: unknown key "phonez"'],
    ],
    [
      'time zone that does not exist',
      replaceOnce(MINIMAL_YAML, '    name: Alice\n', '    name: Alice\n    timezone: Mars/Olympus\n'),
      ['routes.yaml:8:15 responders[0].timezone: unknown time zone "Mars/Olympus"'],
    ],
    [
      'dial string with a space',
      replaceOnce(MINIMAL_YAML, "'PJSIP/alice'", "'PJSIP/alice bob'"),
      ['routes.yaml:8:14 responders[0].phones[0]: invalid phone "PJSIP/alice bob"'],
    ],
    [
      'dial string with shell metacharacters',
      replaceOnce(MINIMAL_YAML, "'PJSIP/alice'", "'PJSIP/alice;rm -rf /'"),
      ['responders[0].phones[0]: invalid phone "PJSIP/alice;rm -rf /"'],
    ],
    [
      'unquoted phone number',
      replaceOnce(MINIMAL_YAML, "'PJSIP/alice'", '+15551230001'),
      ['responders[0].phones[0]: write phone numbers as quoted strings'],
    ],
    [
      'unknown escalation policy',
      replaceOnce(MINIMAL_YAML, 'escalation_policy: p1', 'escalation_policy: p2'),
      ['routes.yaml:16:24 teams[0].escalation_policy: unknown escalation policy "p2" (did you mean "p1"?)'],
    ],
    [
      'unknown responder in a level',
      replaceOnce(MINIMAL_YAML, '{ responder: alice }', '{ responder: alicia }'),
      [
        'escalation_policies[0].levels[0].targets[0].responder: unknown responder "alicia" (did you mean "alice"?)',
      ],
    ],
    [
      'empty escalation level',
      replaceOnce(MINIMAL_YAML, '[{ responder: alice }]', '[]'),
      ['routes.yaml:12:18 escalation_policies[0].levels[0].targets: empty escalation level'],
    ],
    [
      'duplicate keypad key',
      MINIMAL_YAML + '      - key: 1\n        team: db-team\n        label: Again\n',
      ['routes.yaml:26:14 routes[0].options[1].key: duplicate keypad key 1'],
    ],
    [
      'more than 9 options',
      MINIMAL_YAML +
        Array.from(
          { length: 9 },
          (_, i) => `      - key: ${(i % 9) + 1}\n        team: db-team\n        label: L${i}\n`,
        ).join(''),
      ['routes[0].options: 10 options: a keypad menu holds at most 9'],
    ],
    [
      'duplicate dialed number across routes',
      MINIMAL_YAML +
        "  - id: second\n    name: Second\n    numbers: ['15550100']\n    routing: voicemail\n    options:\n      - { key: 1, team: db-team, label: D }\n",
      [
        'routes.yaml:28:15 routes[1].numbers[0]: duplicate dialed number "15550100": already used by route "main"',
      ],
    ],
    [
      'inverted override',
      MINIMAL_YAML.replace(
        'escalation_policies:',
        `schedules:
  - id: s1
    timezone: Europe/Paris
    layers:
      - { start: 2026-01-01T09:00, turn: 1w, members: [alice] }
    overrides:
      - { responder: alice, start: 2026-03-02T09:00, end: 2026-03-01T09:00 }
escalation_policies:`,
      ),
      [
        'routes.yaml:15:59 schedules[0].overrides[0].end: override ends (2026-03-01T09:00) before it starts (2026-03-02T09:00)',
      ],
    ],
    [
      'overlapping overrides',
      MINIMAL_YAML.replace(
        'escalation_policies:',
        `schedules:
  - id: s1
    timezone: Europe/Paris
    layers:
      - { start: 2026-01-01T09:00, turn: 1w, members: [alice] }
    overrides:
      - { responder: alice, start: 2026-03-01T09:00, end: 2026-03-03T09:00 }
      - { responder: alice, start: 2026-03-02T09:00, end: 2026-03-04T09:00 }
escalation_policies:`,
      ),
      ['routes.yaml:16:9 schedules[0].overrides[1]: override overlaps overrides[0]'],
    ],
    [
      'a date that does not exist',
      MINIMAL_YAML.replace(
        'escalation_policies:',
        `schedules:
  - id: s1
    timezone: Europe/Paris
    layers:
      - { start: 2026-02-30T09:00, turn: 1w, members: [alice] }
escalation_policies:`,
      ),
      ['routes.yaml:13:18 schedules[0].layers[0].start: "2026-02-30T09:00" is not a valid date-time'],
    ],
    ['empty file', '', ['routes.yaml:1:1 (top level): expected a mapping with asterisk']],
  ];

  test.each(cases)('%s', (_name, text, expected) => {
    const messages = errorsOf(text);
    for (const wanted of expected) {
      const located = /^routes\.yaml:\d+:\d+ /.test(wanted);
      const pattern = located ? new RegExp('^' + escapeRegExp(wanted)) : new RegExp(escapeRegExp(wanted));
      expect(messages).toEqual(expect.arrayContaining([expect.stringMatching(pattern)]));
    }
    for (const message of messages) expect(message).toMatch(/^routes\.yaml:\d+:\d+ [^:]+: /);
  });
});

test('a responder without a phone on a direct route is a warning, not an error', () => {
  const text = MINIMAL_YAML.replace("    phones: ['PJSIP/alice']\n", '').replace(
    'routing: voicemail',
    'routing: direct',
  );
  const { warnings } = loadConfigText(text, 'routes.yaml');
  expect(warnings.map(formatIssue)).toEqual([
    'routes.yaml:6:5 responders[0]: warning: responder "alice" has no phone but is in the direct-routing path of route "main" (team "db-team"): they will be skipped',
  ]);
});

test('only one password source may be given', () => {
  const messages = errorsOf(
    MINIMAL_YAML.replace('password: secret', 'password: secret\n  password_env: ARI_PW'),
  );
  expect(messages[0]).toMatch(
    /^routes\.yaml:2:3 asterisk: give only one of password, password_env, password_file/,
  );
});

test('E.164 numbers go through the trunk template; dial strings are used as written', () => {
  const text = EXAMPLE_YAML;
  const { config } = loadConfigText(text, 'routes.example.yaml');
  const alice = config.responders.get('alice')!;
  expect(alice.phones.map((p) => p.dialString)).toEqual(['PJSIP/alice', 'PJSIP/+15551230001@trunk']);
  const hotline = config.routes.find((r) => r.id === 'hotline')!;
  expect(hotline.normalisedNumbers).toEqual(['15550100', '15550101']);
  expect(hotline.direct.stillTryingEverySeconds).toBe(45);
  expect(config.policies.get('db-policy')!.levels[0]!.escalateAfterSeconds).toBe(600);
});

test('prompts: empty, 10,000 characters, unknown names and incomplete engine settings are located errors', () => {
  const withGreeting = (greeting: string) =>
    replaceOnce(
      MINIMAL_YAML,
      '    routing: voicemail\n',
      `    routing: voicemail\n    greeting: ${greeting}\n`,
    );
  expect(errorsOf(withGreeting("''"))).toEqual([
    expect.stringMatching(/^routes\.yaml:\d+:\d+ routes\[0\]\.greeting: a prompt must not be empty/),
  ]);
  expect(errorsOf(withGreeting(`{ text: '   ' }`))).toEqual([
    expect.stringMatching(/routes\[0\]\.greeting(\.text)?: .*(must not be empty|expected a prompt)/),
  ]);
  expect(errorsOf(withGreeting(`'${'a'.repeat(10_000)}'`))).toEqual([
    expect.stringMatching(
      /routes\[0\]\.greeting: a prompt of 10000 characters would play for minutes; keep it under 1000/,
    ),
  ]);
  expect(errorsOf(`${MINIMAL_YAML}prompts:\n  texts:\n    no_anwser: Nobody.\n`)).toEqual([
    expect.stringMatching(
      /prompts\.texts\.no_anwser: unknown prompt "no_anwser"; known prompts: greeting, menu_option,/,
    ),
  ]);
  expect(errorsOf(`${MINIMAL_YAML}prompts:\n  engine: command\n`)).toEqual([
    expect.stringContaining('engine: command needs command: [program, arguments...]'),
  ]);
  expect(errorsOf(`${MINIMAL_YAML}prompts:\n  delivery: directory\n`)).toEqual([
    expect.stringContaining('delivery: directory needs directory:'),
  ]);
});

test('a console that nobody can sign in to is a located warning; a console password or the API token silences it', () => {
  const enabled = MINIMAL_YAML.replace('responders:', 'settings:\n  console: { enabled: true }\nresponders:');
  expect(loadConfigText(enabled, 'routes.yaml').warnings.map(formatIssue)).toEqual([
    'routes.yaml:6:23 settings.console.enabled: warning: the console is enabled but nobody can sign in: give responders a console_password_env (or _file), or set settings.api_token_env',
  ]);
  const withPassword = enabled.replace(
    '    name: Alice\n',
    '    name: Alice\n    console_password_env: ALICE_PW\n',
  );
  expect(loadConfigText(withPassword, 'routes.yaml').warnings).toEqual([]);
  const both = withPassword.replace(
    'console_password_env: ALICE_PW',
    'console_password_env: A\n    console_password_file: b',
  );
  expect(errorsOf(both)).toEqual([
    expect.stringContaining('give only one of console_password, console_password_env, console_password_file'),
  ]);
});

describe('asterisk: a list of Asterisks', () => {
  const withAsterisks = (list: string): string =>
    replaceOnce(
      MINIMAL_YAML,
      'asterisk:\n  url: http://127.0.0.1:8088\n  username: lcr\n  password: secret\n',
      `asterisk:\n${list}`,
    );

  test('each is kept, in order, named by its name or by the host and port of its url', () => {
    const { config } = loadConfigText(
      withAsterisks(
        '  - { name: east, url: http://10.0.0.1:8088, username: lcr, password: a }\n' +
          '  - { url: http://10.0.0.2:8088/, username: lcr2, password_env: ARI_WEST, rest_sockets: 1 }\n',
      ),
      'routes.yaml',
    );
    expect(config.asterisks.map((a) => [a.name, a.url, a.username, a.app, a.restSockets])).toEqual([
      ['east', 'http://10.0.0.1:8088', 'lcr', 'lcr', 4],
      ['10.0.0.2:8088', 'http://10.0.0.2:8088', 'lcr2', 'lcr', 1],
    ]);
    expect(config.asterisk).toBe(config.asterisks[0]);
    // A single mapping is a list of one.
    const single = loadConfigText(MINIMAL_YAML, 'routes.yaml').config;
    expect(single.asterisks.map((a) => a.name)).toEqual(['127.0.0.1:8088']);
  });

  test('two with one name, two application names, or an error inside one: located at the list entry', () => {
    expect(
      errorsOf(
        withAsterisks(
          '  - { name: pbx, url: http://10.0.0.1:8088, username: lcr, password: a, app: lcr-a }\n' +
            '  - { name: pbx, url: http://10.0.0.2:8088, username: lcr, password: a, app: lcr-b }\n',
        ),
      ),
    ).toEqual([
      `routes.yaml:3:13 asterisk[1].name: the name pbx is already asterisk[0]'s: give each Asterisk its own name`,
      'routes.yaml:3:78 asterisk[1].app: every Asterisk of one daemon uses the same application name (lcr-a, as asterisk[0]): its dialplans, its peers and its lease know it by that name',
    ]);
    expect(
      errorsOf(
        withAsterisks('  - { url: http://10.0.0.1:8088, username: lcr, password: a, password_env: B }\n'),
      ),
    ).toEqual([
      expect.stringMatching(
        /^routes\.yaml:2:5 asterisk\[0\]: give only one of password, password_env, password_file/,
      ),
    ]);
    expect(errorsOf(withAsterisks('  []\n'))).toEqual([
      expect.stringMatching(/^routes\.yaml:2:3 asterisk: list at least one Asterisk/),
    ]);
  });
});
