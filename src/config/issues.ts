/**
 * Validation problems that point at the operator's YAML: file, line, column and the path of the
 * value, e.g. `routes.yaml:23:7 routes[0].options[2].team: unknown team "dbteam"`.
 */
import { Document, isMap, isNode, isPair, isScalar, type LineCounter, type Node, type Pair } from 'yaml';

export type IssuePath = ReadonlyArray<string | number>;

export interface ConfigIssue {
  severity: 'error' | 'warning';
  path: IssuePath;
  message: string;
  /** Point at the key of the last path element rather than its value (unknown or duplicate keys). */
  atKey?: boolean;
}

export interface LocatedIssue extends ConfigIssue {
  file: string;
  line: number;
  column: number;
}

export function formatPath(path: IssuePath): string {
  let text = '';
  for (const part of path) {
    if (typeof part === 'number') text += `[${part}]`;
    else text += text === '' ? part : `.${part}`;
  }
  return text === '' ? '(top level)' : text;
}

export function formatIssue(issue: LocatedIssue): string {
  const prefix = issue.severity === 'warning' ? 'warning: ' : '';
  return `${issue.file}:${issue.line}:${issue.column} ${formatPath(issue.path)}: ${prefix}${issue.message}`;
}

/** How many issues are spelled out; a generated file with thousands of errors gets a count. */
export const MOST_ISSUES_SHOWN = 100;

/**
 * The first MOST_ISSUES_SHOWN issues, one per line, then "and N more". `total` counts issues
 * that were not handed over (a reload's worker sends only those that will be shown).
 */
export function formatIssues(issues: readonly LocatedIssue[], total = issues.length): string[] {
  const lines = issues.slice(0, MOST_ISSUES_SHOWN).map(formatIssue);
  if (total > lines.length) lines.push(`and ${total - lines.length} more`);
  return lines;
}

export class ConfigError extends Error {
  constructor(
    readonly issues: LocatedIssue[],
    /** How many issues the file has, when `issues` holds only the first ones. */
    readonly total = issues.length,
  ) {
    super(formatIssues(issues, total).join('\n'));
    this.name = 'ConfigError';
  }
}

/**
 * Each mapping's pairs by key, built once per mapping: locating thousands of issues in a mapping
 * of thousands of keys stays linear instead of searching the mapping for each issue.
 */
const pairsByKey = new WeakMap<object, Map<unknown, Pair<unknown, unknown>>>();

function pairOf(
  map: object & { items: unknown[] },
  key: string | number,
): Pair<unknown, unknown> | undefined {
  let index = pairsByKey.get(map);
  if (index === undefined) {
    index = new Map();
    for (const item of map.items) {
      // The first of duplicate keys is the one the operator sees reported.
      if (!isPair(item)) continue;
      // A list or mapping used as a key reaches the schema stringified ("[ a, b ]"), as yaml prints it.
      const key = isScalar(item.key)
        ? item.key.value
        : isNode(item.key)
          ? new Document(item.key).toString({ collectionStyle: 'flow' }).trim()
          : item.key;
      if (!index.has(key)) index.set(key, item);
    }
    pairsByKey.set(map, index);
  }
  return index.get(key);
}

/** Line and column (1-based) of the deepest node of `path` present in the document. */
export function locate(
  doc: Document,
  lineCounter: LineCounter,
  path: IssuePath,
  atKey = false,
): { line: number; column: number } {
  let node: unknown = doc.contents;
  let best: Node | null = isNode(node) ? node : null;
  for (let i = 0; i < path.length; i++) {
    const part = path[i]!;
    if (!isNode(node) || !('items' in node)) break;
    const collection = node as unknown as { items: unknown[] };
    if (isMap(node)) {
      const pair = pairOf(collection, part);
      if (pair === undefined) break;
      const isLast = i === path.length - 1;
      if (isLast && atKey && isNode(pair.key)) {
        best = pair.key;
        break;
      }
      node = pair.value;
      best = isNode(pair.value) ? pair.value : isNode(pair.key) ? pair.key : best;
    } else {
      const item = typeof part === 'number' ? collection.items[part] : undefined;
      if (!isNode(item)) break;
      node = item;
      best = item;
    }
  }
  const offset = best?.range?.[0] ?? 0;
  const pos = lineCounter.linePos(offset);
  return { line: pos.line, column: pos.col };
}

/** Levenshtein distance, for "did you mean" hints on mistyped ids. */
function editDistance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0]!;
    previous[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j]!;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      previous[j] = Math.min(above + 1, previous[j - 1]! + 1, diagonal + cost);
      diagonal = above;
    }
  }
  return previous[b.length]!;
}

export function didYouMean(wanted: string, known: Iterable<string>): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = editDistance(wanted.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const limit = Math.max(2, Math.floor(wanted.length / 3));
  return best !== undefined && bestDistance <= limit ? ` (did you mean "${best}"?)` : '';
}
