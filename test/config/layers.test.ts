/** Dependency direction: config and the shared domain facts sit below everything else. */
import * as fs from 'node:fs';
import * as path from 'node:path';

const SRC = path.join(__dirname, '../../src');

function importsOf(folder: string): Array<{ file: string; from: string }> {
  return fs
    .readdirSync(path.join(SRC, folder), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .flatMap((file) =>
      [...fs.readFileSync(path.join(SRC, folder, file), 'utf8').matchAll(/from '([^']+)'/g)].map((m) => ({
        file: `${folder}/${file}`,
        from: m[1]!,
      })),
    );
}

test('src/domain imports nothing of lcr', () => {
  expect(importsOf('domain').filter((i) => i.from.startsWith('.'))).toEqual([]);
});

test('src/config imports only itself, src/domain and src/util (and the logger type)', () => {
  const allowed = /^(\.\/|\.\.\/(domain|util)\/|\.\.\/log\/logger$)/;
  expect(importsOf('config').filter((i) => i.from.startsWith('.') && !allowed.test(i.from))).toEqual([]);
});
