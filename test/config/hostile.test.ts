/**
 * Generated and hostile files: thousands of errors, deep nesting, keys that are not names. Each
 * must end in located issues, promptly, and never take the process down. (How long they take is
 * measured by `npm run bench -- faults`; here the outcome is checked.)
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError, formatIssue, MOST_ISSUES_SHOWN } from '../../src/config/issues';
import { loadConfigText } from '../../src/config/load';
import { MAX_NESTING } from '../../src/config/yamlChecks';
import { MINIMAL_YAML } from '../helpers/config';
import { tempDir } from '../helpers/tmp';

const dir = tempDir();

function rejection(text: string): ConfigError {
  try {
    loadConfigText(text, 'routes.yaml');
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected the configuration to be rejected');
}

function unknownKeys(count: number): string {
  const lines = Array.from({ length: count }, (_, i) => `unknown_key_${i}: 1`);
  return `${MINIMAL_YAML}${lines.join('\n')}\n`;
}

test('20,000 unknown keys: every one is located, the first 100 are spelled out, then "and N more"', () => {
  const error = rejection(unknownKeys(20_000));
  expect(error.issues).toHaveLength(20_000);
  const firstLine = MINIMAL_YAML.split('\n').length;
  expect(formatIssue(error.issues[19_999]!)).toBe(
    `routes.yaml:${firstLine + 19_999}:1 unknown_key_19999: unknown key "unknown_key_19999"`,
  );
  const lines = error.message.split('\n');
  expect(lines).toHaveLength(MOST_ISSUES_SHOWN + 1);
  expect(lines.at(-1)).toBe(`and ${20_000 - MOST_ISSUES_SHOWN} more`);
});

test('lcr validate prints 100 errors and a count, not 20,000 lines', () => {
  const file = path.join(dir, 'many.yaml');
  fs.writeFileSync(file, unknownKeys(20_000));
  const result = spawnSync(
    process.execPath,
    [path.resolve(__dirname, '../../bin/lcr.js'), 'validate', file],
    {
      encoding: 'utf8',
    },
  );
  expect(result.status).toBe(1);
  const lines = result.stderr.trim().split('\n');
  expect(lines).toHaveLength(MOST_ISSUES_SHOWN + 2);
  expect(lines.at(-2)).toBe('and 19900 more');
  expect(lines.at(-1)).toMatch(/20000 error\(s\)$/);
});

test.each([
  ['brackets', (depth: number) => `${MINIMAL_YAML}extra: ${'['.repeat(depth)}${']'.repeat(depth)}\n`],
  [
    'mappings in brackets',
    (depth: number) => `${MINIMAL_YAML}extra: ${'{a: '.repeat(depth)}1${'}'.repeat(depth)}\n`,
  ],
  ['block sequences on one line', (depth: number) => `${MINIMAL_YAML}extra:\n${'- '.repeat(depth)}x\n`],
  [
    'indented mappings',
    (depth: number) =>
      `${MINIMAL_YAML}extra:\n${Array.from({ length: depth }, (_, i) => `${'  '.repeat(i + 1)}k${i}:`).join('\n')} 1\n`,
  ],
])('nesting by %s: 10,000 then 100,000 deep in one process is a located error', (_kind, nested) => {
  for (const depth of [10_000, 100_000]) {
    // The indented variant grows quadratically in size (10,000 levels would be 100 MB): it is
    // tried at 200 and 1,000 levels instead.
    const error = rejection(nested(_kind === 'indented mappings' ? depth / 50 : depth));
    expect(error.issues).toHaveLength(1);
    expect(formatIssue(error.issues[0]!)).toMatch(
      new RegExp(
        `^routes\\.yaml:\\d+:\\d+ \\(top level\\): malformed YAML: nested deeper than ${MAX_NESTING} levels`,
      ),
    );
  }
});

test('nesting a real configuration needs is accepted, brackets in quotes and comments do not count', () => {
  const quoted = `${MINIMAL_YAML}# ${'['.repeat(200)}\n`;
  expect(() => loadConfigText(quoted, 'routes.yaml')).not.toThrow();
  const inString = MINIMAL_YAML.replace('name: Main', `name: "Main ${'['.repeat(200)}"`);
  expect(() => loadConfigText(inString, 'routes.yaml')).not.toThrow();
});

test('a duplicate key is located at the second one', () => {
  const error = rejection(`${MINIMAL_YAML}asterisk: {}\n`);
  const line = MINIMAL_YAML.split('\n').length;
  expect(error.issues.map(formatIssue)).toEqual([
    `routes.yaml:${line}:1 (top level): malformed YAML: duplicate key "asterisk"`,
  ]);
});

test('a key that is a list is a located warning, not the YAML library printing to the console', () => {
  const file = path.join(dir, 'complex.yaml');
  fs.writeFileSync(file, `${MINIMAL_YAML}? [a, b]\n: 1\n`);
  const result = spawnSync(
    process.execPath,
    [path.resolve(__dirname, '../../bin/lcr.js'), 'validate', file],
    {
      encoding: 'utf8',
    },
  );
  const output = result.stdout + result.stderr;
  expect(output).not.toContain('stringified');
  const line = MINIMAL_YAML.split('\n').length;
  expect(output).toContain(`complex.yaml:${line}:3 (top level): warning: a key that is a list or a mapping`);
  // The schema's own complaint points at the same key, not at the top of the file.
  expect(output).toContain(`complex.yaml:${line}:3 [ a, b ]: unknown key "[ a, b ]"`);
});
