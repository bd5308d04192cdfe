/**
 * Checks of the YAML text and tree that must stay linear in the file's size, whatever it holds:
 * a hostile or generated file (20,000 unknown keys, 100,000 nested brackets) must be answered
 * with located errors in well under a second, never by a process that stalls or runs out of memory.
 */
import { isMap, isNode, isPair, isScalar, isSeq, type Document, type Node, type Pair } from 'yaml';

/** No operator writes deeper than this; the parser recurses, so the text is checked before it runs. */
export const MAX_NESTING = 64;

export interface TextProblem {
  offset: number;
  message: string;
}

/**
 * Finds the first place where the text nests deeper than MAX_NESTING: flow collections
 * (`[[[…`, `{a: {b: …`) outside quotes and comments, and block collections by their indentation
 * and the `- ` / `? ` indicators at the start of a line (`- - - - …`). One pass over the text.
 */
export function tooDeep(text: string): TextProblem | undefined {
  let flowDepth = 0;
  let quote: '"' | "'" | undefined;
  let lineStart = true;
  let indent = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\n') {
      lineStart = true;
      indent = 0;
      if (quote === undefined) continue;
    }
    if (quote !== undefined) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (lineStart) {
      // Indentation and block indicators each open one more level of block nesting.
      if (c === ' ' || c === '\t') {
        indent++;
        continue;
      }
      if ((c === '-' || c === '?') && (text[i + 1] === ' ' || text[i + 1] === '\t')) {
        indent += 2;
        i++;
        continue;
      }
      lineStart = false;
      // Two columns per level is how YAML is written; four times the limit is clearly hostile.
      if (indent > MAX_NESTING * 4)
        return {
          offset: i,
          message: `nested deeper than ${MAX_NESTING} levels (indented ${indent} columns)`,
        };
    }
    if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) {
      const end = text.indexOf('\n', i);
      if (end === -1) break;
      i = end - 1;
    } else if (c === '"' || c === "'") {
      // A quote opens a string only where a scalar may start, not inside a plain word (it's).
      const before = i === 0 ? ' ' : text[i - 1]!;
      if (/[\s[{,:]/.test(before)) quote = c;
    } else if (c === '[' || c === '{') {
      flowDepth++;
      if (flowDepth > MAX_NESTING)
        return { offset: i, message: `nested deeper than ${MAX_NESTING} levels of brackets` };
    } else if ((c === ']' || c === '}') && flowDepth > 0) {
      flowDepth--;
    }
  }
  return undefined;
}

export interface TreeProblem {
  node: Node;
  severity: 'error' | 'warning';
  message: string;
}

/**
 * Duplicate keys and keys that are not plain values, in one walk of the tree (a set of keys
 * per mapping). The YAML library's own duplicate check compares each key with every earlier
 * one, and its complex-key notice is printed raw without a location; both are done here.
 */
export function keyProblems(doc: Document): TreeProblem[] {
  const problems: TreeProblem[] = [];
  const stack: unknown[] = [doc.contents];
  while (stack.length > 0) {
    const node = stack.pop();
    if (isMap(node)) {
      const seen = new Set<unknown>();
      for (const pair of node.items as Array<Pair<unknown, unknown>>) {
        const key = pair.key;
        if (isScalar(key)) {
          if (seen.has(key.value))
            problems.push({ node: key, severity: 'error', message: `duplicate key "${String(key.value)}"` });
          seen.add(key.value);
        } else if (isNode(key)) {
          problems.push({
            node: key,
            severity: 'warning',
            message: 'a key that is a list or a mapping is not a configuration key; write a plain name',
          });
        }
        stack.push(pair.value);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) stack.push(isPair(item) ? item.value : item);
    }
  }
  return problems;
}
