/**
 * `lcr schema` is generated from the zod schema, the single source of keys, defaults and
 * descriptions: every key documented in the README's configuration reference must be there with
 * its description, and with the README's default wherever the README gives one as a value.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { configJsonSchema } from '../../src/cli/commands/schema';

interface JsonSchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  additionalProperties?: boolean | JsonSchema;
}

interface ReferenceRow {
  section: string;
  key: string;
  /** The README's default when it is a plain value (`30s`), not a rule (`<storage_dir>/lcr.db`, none, off). */
  literalDefault: string | undefined;
  /** Named in the meaning of its object's row ("`timeout` (6s)" in the row of `menu`). */
  nested?: boolean;
}

function referenceRows(readme: string): ReferenceRow[] {
  const start = readme.indexOf('## Configuration reference');
  const end = readme.indexOf('\n## ', start + 1);
  const rows: ReferenceRow[] = [];
  let section: string | undefined;
  for (const line of readme.slice(start, end).split('\n')) {
    const heading = /^### `([a-z_]+)`/.exec(line);
    if (heading !== null) section = heading[1];
    const cells = /^\|\s*(.+?)\s*\|\s*(.*?)\s*\|\s*(.*?)\s*\|$/.exec(line);
    if (cells === null || section === undefined || cells[1] === 'key' || /^-+$/.test(cells[1]!)) continue;
    const fallback = /^`([^`<]+)`$/.exec(cells[2]!.trim());
    const keys = [...cells[1]!.matchAll(/`([a-z_.]+)`/g)].map((m) => m[1]!);
    for (const key of keys) rows.push({ section, key, literalDefault: fallback?.[1] });
    // An object's keys are listed in its meaning, each with its default in parentheses:
    // "`timeout` (6s), `tries` (3)". A parenthesis holding a list or a rule is no default.
    if (keys.length !== 1) continue;
    const meaning = cells[3]!;
    const depth = (at: number): number =>
      [...meaning.slice(0, at)].reduce((d, c) => d + (c === '(' ? 1 : c === ')' ? -1 : 0), 0);
    for (const match of meaning.matchAll(/`([a-z_]+)`(?: \(([^)]*)\))?/g)) {
      // Words in backticks inside a parenthesis are values ("(`prompt`)"), not keys.
      if (depth(match.index) > 0) continue;
      const [, inner, paren] = match;
      const value = /^`?([\w.{}@/-]+)`?(?:;.*)?$/.exec(paren ?? '');
      rows.push({ section, key: `${keys[0]}.${inner}`, literalDefault: value?.[1], nested: true });
    }
  }
  return rows;
}

function propertyAt(root: JsonSchema, section: string, key: string): JsonSchema | undefined {
  let node = root.properties?.[section];
  // A section that is a mapping or a list of them (asterisk): the mapping's keys.
  if (node?.anyOf !== undefined) node = node.anyOf.find((form) => form.properties !== undefined) ?? node;
  if (node?.type === 'array') node = node.items;
  for (const part of key.split('.')) node = node?.properties?.[part];
  return node;
}

const schema = configJsonSchema() as JsonSchema;
const parentOf = (key: string): string => key.slice(0, key.lastIndexOf('.'));
// In the meaning of a key that is not an object, backticked words are its values, not keys.
const rows = referenceRows(fs.readFileSync(path.join(__dirname, '../../README.md'), 'utf8')).filter(
  (row) =>
    row.nested !== true || propertyAt(schema, row.section, parentOf(row.key))?.properties !== undefined,
);

test('the README configuration reference is found and parsed', () => {
  expect(rows.length).toBeGreaterThan(80);
  expect(new Set(rows.map((r) => r.section))).toEqual(
    new Set(['asterisk', 'settings', 'notifications', 'routes', 'screening', 'prompts']),
  );
});

test.each(rows.map((r) => [`${r.section}.${r.key}`, r] as const))(
  '%s is in lcr schema with a description and the README default',
  (_name, row) => {
    const property = propertyAt(schema, row.section, row.key);
    expect(property).toBeDefined();
    expect(property!.description).toEqual(expect.stringMatching(/\w/));
    if (row.literalDefault !== undefined) expect(String(property!.default)).toBe(row.literalDefault);
  },
);

test('every key of lcr schema has a description', () => {
  const missing: string[] = [];
  const walk = (node: JsonSchema | undefined, at: string): void => {
    if (node === undefined) return;
    for (const [key, child] of Object.entries(node.properties ?? {})) {
      if (child.description === undefined) missing.push(`${at}.${key}`);
      walk(child, `${at}.${key}`);
    }
    walk(node.items, `${at}[]`);
    node.anyOf?.forEach((option) => walk(option, at));
    if (typeof node.additionalProperties === 'object') walk(node.additionalProperties, `${at}.*`);
  };
  walk(schema, '');
  expect(missing).toEqual([]);
});
