/**
 * Reads extensions.conf (ARI cannot read the dialplan) to tell whether each hotline number
 * reaches Stasis(<app>): the mistake behind most "the call never arrives" reports. Pure: text in,
 * findings out. Handles `exten =>`/`same =>` lines, `#include`d files are not followed.
 */

export interface StasisExtension {
  context: string;
  pattern: string;
  line: number;
  /** Every Stasis() of the extension, in priority order: a failover dialplan runs several. */
  stasis: Array<{ app: string; line: number }>;
  /** Lines of the extension's priorities that end the call (Hangup): a Stasis() after one is never reached. */
  hangups: number[];
}

/** Every extension with at least one Stasis(), keyed by context and pattern, in file order. */
export function dialplanExtensions(text: string): StasisExtension[] {
  const byKey = new Map<string, StasisExtension>();
  let context = '';
  let current: StasisExtension | undefined;
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.replace(/;.*$/, '').trim();
    const section = /^\[([^\]]+)\]/.exec(line);
    if (section) {
      context = section[1]!.trim();
      current = undefined;
      return;
    }
    const exten = /^exten\s*=>?\s*([^,]+),/i.exec(line);
    if (exten) {
      const pattern = exten[1]!.trim();
      const key = `${context}\n${pattern}`;
      current = byKey.get(key) ?? { context, pattern, line: index + 1, stasis: [], hangups: [] };
      byKey.set(key, current);
    } else if (!/^same\s*=>?/i.test(line)) return;
    if (current === undefined) return;
    const stasis = /\bStasis\(\s*([^,)\s]+)\s*[,)]/i.exec(line);
    if (stasis) current.stasis.push({ app: stasis[1]!, line: index + 1 });
    if (/\bHangup\s*\(/i.test(line)) current.hangups.push(index + 1);
  });
  return [...byKey.values()].filter((e) => e.stasis.length > 0);
}

/** Extensions whose priorities include Stasis(<app>[,args]). */
export function stasisExtensions(text: string, app: string): StasisExtension[] {
  return dialplanExtensions(text).filter((e) => e.stasis.some((s) => s.app === app));
}

/**
 * What keeps an extension from handing a call on to the other daemons when this one is down or
 * stopping: a peer's Stasis() missing, or a Hangup() between the daemons' Stasis() lines.
 */
export function failoverGaps(extension: StasisExtension, app: string, peers: readonly string[]): string[] {
  const apps = extension.stasis.map((s) => s.app);
  const gaps = peers.filter((peer) => !apps.includes(peer)).map((peer) => `never runs Stasis(${peer})`);
  const lines = extension.stasis.filter((s) => s.app === app || peers.includes(s.app)).map((s) => s.line);
  const first = Math.min(...lines);
  const last = Math.max(...lines);
  for (const hangup of extension.hangups)
    if (hangup > first && hangup < last)
      gaps.push(`hangs up at line ${hangup}, before the next daemon's Stasis()`);
  return gaps;
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
