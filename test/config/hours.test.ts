/**
 * A route's `hours` and `outside_hours` in the YAML: what a valid file gives the model, and the
 * located errors and warnings bad input gets (never a crash).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfigFile, loadConfigText } from '../../src/config/load';
import { ConfigError, formatIssue } from '../../src/config/issues';
import { MINIMAL_YAML } from '../helpers/config';
import { tempDir } from '../helpers/tmp';

const day = (iso: string): number => Date.parse(`${iso}T00:00:00Z`) / 86_400_000;

/** MINIMAL_YAML's route with these lines added to it (indented as route keys). */
function withRoute(lines: string): string {
  return `${MINIMAL_YAML}${lines
    .split('\n')
    .map((line) => (line === '' ? line : `    ${line}`))
    .join('\n')}\n`;
}

function problems(text: string): { errors: string[]; warnings: string[] } {
  try {
    const { warnings } = loadConfigText(text, 'routes.yaml');
    return { errors: [], warnings: warnings.map(formatIssue) };
  } catch (error) {
    if (error instanceof ConfigError) return { errors: error.issues.map(formatIssue), warnings: [] };
    throw error;
  }
}

const dir = tempDir();
const FUTURE = `${new Date().getUTCFullYear() + 1}-12-25`;

test('hours, holidays and outside_hours reach the model; weekly defaults to the whole week', () => {
  const { config, warnings } = loadConfigText(
    withRoute(`urgency: high
hours:
  timezone: Europe/Berlin
  weekly: [{ days: [mon, tue, wed, thu, fri], from: "09:00", to: "17:00" }]
  holidays: ["${FUTURE}", { date: "${FUTURE.slice(0, 4)}-12-26", name: Boxing Day }, { from: "${FUTURE.slice(0, 4)}-12-31", to: "${Number(FUTURE.slice(0, 4)) + 1}-01-01", name: New Year }]
outside_hours:
  action: direct
  escalation_policy: p1
  urgency: low`),
    'routes.yaml',
  );
  expect(warnings).toEqual([]);
  const route = config.routes[0]!;
  const year = FUTURE.slice(0, 4);
  expect(route.hours).toEqual({
    timezone: 'Europe/Berlin',
    weekly: [{ days: [1, 2, 3, 4, 5], fromMinute: 540, toMinute: 1020 }],
    holidays: [
      { firstDay: day(`${year}-12-25`), lastDay: day(`${year}-12-26`), name: `${year}-12-25 / Boxing Day` },
      { firstDay: day(`${year}-12-31`), lastDay: day(`${Number(year) + 1}-01-01`), name: 'New Year' },
    ],
  });
  expect(route.outsideHours).toEqual({ action: 'direct', policyId: 'p1', urgency: 'low' });
  expect(route.urgency).toBe('high');

  const allWeek = loadConfigText(withRoute('hours: { timezone: UTC }'), 'routes.yaml').config.routes[0]!;
  expect(allWeek.hours!.weekly).toEqual([{ days: [1, 2, 3, 4, 5, 6, 7], fromMinute: 0, toMinute: 1440 }]);
  expect(allWeek.outsideHours).toEqual({ action: 'voicemail', urgency: 'low' });
});

test('holidays_file: a yearly calendar beside the YAML file joins the inline holidays', () => {
  const year = Number(FUTURE.slice(0, 4));
  fs.writeFileSync(
    path.join(dir, 'holidays.yaml'),
    `- { date: "${year}-05-01", name: Labour Day }\n- "${year}-10-03"\n`,
  );
  const file = path.join(dir, 'routes.yaml');
  fs.writeFileSync(
    file,
    withRoute(
      `hours: { timezone: Europe/Berlin, holidays: ["${year}-12-25"], holidays_file: holidays.yaml }`,
    ),
  );
  const { config } = loadConfigFile(file);
  expect(config.routes[0]!.hours!.holidays.map((h) => h.name)).toEqual([
    'Labour Day',
    `${year}-10-03`,
    `${year}-12-25`,
  ]);

  fs.writeFileSync(file, withRoute('hours: { timezone: Europe/Berlin, holidays_file: missing.yaml }'));
  expect(() => loadConfigFile(file)).toThrow(
    /holidays_file: cannot read holidays file .*missing\.yaml: no such file/,
  );
  fs.writeFileSync(path.join(dir, 'holidays.yaml'), '- "2027-02-30"\n');
  fs.writeFileSync(file, withRoute('hours: { timezone: Europe/Berlin, holidays_file: holidays.yaml }'));
  expect(() => loadConfigFile(file)).toThrow(
    /holidays file .*holidays\.yaml: at 0: "2027-02-30" is not a date that exists/,
  );
});

describe('bad input gets located errors', () => {
  const cases: Array<[string, string, RegExp]> = [
    [
      'unknown time zone',
      'hours: { timezone: Mars/Olympus }',
      /routes\[0\]\.hours\.timezone: unknown time zone "Mars\/Olympus"/,
    ],
    [
      'a window from equal to to',
      'hours: { timezone: UTC, weekly: [{ days: [mon], from: "09:00", to: "09:00" }] }',
      /routes\[0\]\.hours\.weekly\[0\]: window is empty/,
    ],
    [
      'a date that does not exist',
      'hours: { timezone: UTC, holidays: ["2027-02-29"] }',
      /"2027-02-29" is not a date that exists/,
    ],
    [
      'a range that ends before it starts',
      'hours: { timezone: UTC, holidays: [{ from: "2027-05-02", to: "2027-05-01" }] }',
      /a holiday range ends before it starts/,
    ],
    [
      'an unknown action',
      'hours: { timezone: UTC }\noutside_hours: { action: pray }',
      /expected action "message", "voicemail", "menu" or "direct"/,
    ],
    [
      'action menu without options',
      'hours: { timezone: UTC }\noutside_hours: { action: menu }',
      /outside_hours\.options: action menu needs options/,
    ],
    [
      'action direct without a policy',
      'hours: { timezone: UTC }\noutside_hours: { action: direct }',
      /outside_hours\.escalation_policy: action direct needs escalation_policy/,
    ],
    [
      'an unknown policy',
      'hours: { timezone: UTC }\noutside_hours: { action: direct, escalation_policy: p2 }',
      /outside_hours\.escalation_policy: unknown escalation policy "p2" \(did you mean "p1"\?\)/,
    ],
    [
      'an unknown team in the outside-hours options',
      'hours: { timezone: UTC }\noutside_hours: { action: menu, options: [{ key: 1, team: nobody, label: X }] }',
      /outside_hours\.options\[0\]\.team: unknown team "nobody"/,
    ],
    ['an unknown urgency', 'urgency: urgent', /routes\[0\]\.urgency: expected urgency "high" or "low"/],
  ];
  test.each(cases)('%s', (_name, lines, expected) => {
    const { errors } = problems(withRoute(lines));
    expect(errors.join('\n')).toMatch(expected);
    expect(errors.every((e) => /^routes\.yaml:\d+:\d+ /.test(e))).toBe(true);
  });
});

describe('warnings', () => {
  test('overlapping windows, a past holiday, hours that never open, outside_hours without hours', () => {
    const overlapping = problems(
      withRoute(
        'hours: { timezone: UTC, weekly: [{ days: [mon], from: "09:00", to: "17:00" }, { days: [mon], from: "16:00", to: "18:00" }] }',
      ),
    );
    expect(overlapping.warnings.join('\n')).toMatch(
      /routes\[0\]\.hours\.weekly\[1\]: warning: window overlaps window 1/,
    );
    const past = problems(
      withRoute('hours: { timezone: UTC, holidays: [{ date: "2020-12-25", name: Christmas }] }'),
    );
    expect(past.warnings.join('\n')).toMatch(
      /routes\[0\]\.hours\.holidays\[0\]: warning: holiday "Christmas" is in the past/,
    );
    const year = new Date().getUTCFullYear();
    const never = problems(
      withRoute(
        `hours: { timezone: UTC, holidays: [{ from: "${year - 1}-01-01", to: "${year + 2}-01-01" }] }`,
      ),
    );
    expect(never.warnings.join('\n')).toMatch(/warning: these hours leave no moment open in the coming year/);
    const idle = problems(withRoute('outside_hours: { action: message }'));
    expect(idle.warnings.join('\n')).toMatch(/warning: outside_hours has no effect: this route has no hours/);
  });
});
