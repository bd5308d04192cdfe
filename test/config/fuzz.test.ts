import fc from 'fast-check';
import { stringify } from 'yaml';
import { loadConfigText } from '../../src/config/load';
import { ConfigError } from '../../src/config/issues';
import { EXAMPLE_YAML, MINIMAL_YAML } from '../helpers/config';

/** The loader's contract: a result or its own located error, never anything else. */
function loadsOrRejectsCleanly(text: string): void {
  try {
    loadConfigText(text, 'fuzz.yaml');
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const issue of error.issues) {
      expect(issue.line).toBeGreaterThanOrEqual(1);
      expect(issue.column).toBeGreaterThanOrEqual(1);
      expect(issue.message.length).toBeGreaterThan(0);
    }
  }
}

test('every truncation of the example either loads or fails with a located error', () => {
  for (let length = 0; length <= EXAMPLE_YAML.length; length += 13)
    loadsOrRejectsCleanly(EXAMPLE_YAML.slice(0, length));
});

test('random text', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 400 }), (text) => loadsOrRejectsCleanly(text)),
    { numRuns: 300 },
  );
});

test('random YAML documents', () => {
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => loadsOrRejectsCleanly(stringify(value))),
    { numRuns: 300 },
  );
});

test('random edits of a valid file', () => {
  const chars = fc.constantFrom(
    ':',
    '-',
    ' ',
    '\n',
    '[',
    ']',
    '{',
    '}',
    '"',
    "'",
    '#',
    '&',
    '*',
    '!',
    '|',
    '>',
    'x',
    '1',
    '\t',
  );
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(MINIMAL_YAML.length), chars, fc.boolean()), { minLength: 1, maxLength: 6 }),
      (edits) => {
        let text = MINIMAL_YAML;
        for (const [position, char, insert] of edits) {
          const at = position % (text.length + 1);
          text = insert ? text.slice(0, at) + char + text.slice(at) : text.slice(0, at) + text.slice(at + 1);
        }
        loadsOrRejectsCleanly(text);
      },
    ),
    { numRuns: 500 },
  );
});

test('alias bombs are refused, not expanded', () => {
  const bomb = [
    'a: &a [x, x, x, x, x, x, x, x, x]',
    ...Array.from({ length: 8 }, (_, i) => {
      const prev = String.fromCharCode(97 + i);
      const next = String.fromCharCode(98 + i);
      return `${next}: &${next} [*${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}]`;
    }),
  ].join('\n');
  expect(() => loadConfigText(bomb, 'bomb.yaml')).toThrow(ConfigError);
});
