/**
 * The layout is the architecture: configuration → on-call resolution → call flow → ARI adapter,
 * with the store, paging and notifications beside. This test reads every import in src/ and
 * fails when two folders import each other, directly or around a loop, so that a newcomer can
 * trust the folder names: a lower layer never reaches up into a higher one.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const SRC = path.resolve(__dirname, '../../src');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** The folder directly under src/ that owns a file; files at the top (daemon.ts) are their own unit. */
function unitOf(file: string): string {
  const relative = path.relative(SRC, file).split(path.sep);
  return relative.length === 1 ? relative[0]!.replace(/\.ts$/, '') : relative[0]!;
}

const IMPORT =
  /(?:^|\s)(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;

export function folderGraph(): Map<string, Map<string, string[]>> {
  const graph = new Map<string, Map<string, string[]>>();
  for (const file of sourceFiles(SRC)) {
    const from = unitOf(file);
    const text = fs.readFileSync(file, 'utf8');
    for (const match of text.matchAll(IMPORT)) {
      const target = path.resolve(path.dirname(file), match[1] ?? match[2]!);
      if (!target.startsWith(SRC + path.sep)) continue;
      const to = unitOf(target.endsWith('.ts') ? target : `${target}.ts`);
      if (to === from) continue;
      const edges = graph.get(from) ?? new Map<string, string[]>();
      edges.set(to, [...(edges.get(to) ?? []), path.relative(SRC, file)]);
      graph.set(from, edges);
    }
  }
  return graph;
}

/** Tarjan's strongly connected components: every component of more than one unit is a cycle. */
function cycles(graph: Map<string, Map<string, string[]>>): string[][] {
  let index = 0;
  const indexes = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string): void => {
    indexes.set(node, index);
    low.set(node, index);
    index++;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node)?.keys() ?? []) {
      if (!indexes.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, indexes.get(next)!));
      }
    }
    if (low.get(node) === indexes.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const node of graph.keys()) if (!indexes.has(node)) visit(node);
  return found;
}

describe('folder dependencies', () => {
  test('no folder of src/ imports a folder that imports it back, directly or around a loop', () => {
    const graph = folderGraph();
    const explained = cycles(graph).map((component) => {
      const members = new Set(component);
      const edges = component.flatMap((from) =>
        [...(graph.get(from) ?? new Map<string, string[]>()).entries()]
          .filter(([to]) => members.has(to))
          .map(([to, files]) => `${from} → ${to} (${files.slice(0, 3).join(', ')})`),
      );
      return `cycle between ${component.join(', ')}:\n  ${edges.join('\n  ')}`;
    });
    expect(explained).toEqual([]);
  });

  test('the reader finds what it checks: the daemon imports the call flow, the call flow the ARI adapter', () => {
    const graph = folderGraph();
    expect(graph.get('daemon')?.has('callflow')).toBe(true);
    expect(graph.get('callflow')?.has('ari')).toBe(true);
  });
});
