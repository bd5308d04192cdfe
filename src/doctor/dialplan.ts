/**
 * Reads extensions.conf (ARI cannot read the dialplan) to tell whether each hotline number
 * reaches Stasis(<app>): the mistake behind most "the call never arrives" reports. Pure: text in,
 * findings out. Handles `exten =>`/`same =>` lines, `#include`d files are not followed.
 */

export interface StasisExtension {
  context: string;
  pattern: string;
  line: number;
}

/** Extensions whose priorities include Stasis(<app>[,args]). */
export function stasisExtensions(text: string, app: string): StasisExtension[] {
  const found: StasisExtension[] = [];
  let context = '';
  let current: { pattern: string; line: number } | undefined;
  const stasis = new RegExp(`\\bStasis\\(\\s*${app.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*[,)]`, 'i');
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.replace(/;.*$/, '').trim();
    const section = /^\[([^\]]+)\]/.exec(line);
    if (section) {
      context = section[1]!.trim();
      current = undefined;
      return;
    }
    const exten = /^exten\s*=>?\s*([^,]+),/i.exec(line);
    if (exten) current = { pattern: exten[1]!.trim(), line: index + 1 };
    else if (!/^same\s*=>?/i.test(line)) return;
    if (
      current !== undefined &&
      stasis.test(line) &&
      !found.some((f) => f.context === context && f.pattern === current!.pattern)
    )
      found.push({ context, pattern: current.pattern, line: current.line });
  });
  return found;
}

/** Asterisk's extension matching: literal, or `_` patterns with X, Z, N, [..], `.` and `!`. */
export function extensionMatches(pattern: string, dialed: string): boolean {
  if (!pattern.startsWith('_')) return pattern === dialed;
  let source = '';
  const body = pattern.slice(1);
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    const upper = c.toUpperCase();
    if (upper === 'X') source += '[0-9]';
    else if (upper === 'Z') source += '[1-9]';
    else if (upper === 'N') source += '[2-9]';
    else if (c === '.') source += '.+';
    else if (c === '!') source += '.*';
    else if (c === '[') {
      const end = body.indexOf(']', i);
      if (end < 0) return false;
      source += `[${body.slice(i + 1, end).replace(/[\\^]/g, '\\$&')}]`;
      i = end;
    } else source += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`).test(dialed);
}
