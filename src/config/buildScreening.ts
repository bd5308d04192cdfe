/**
 * A route's screening: its own keys over the top level's, and the warnings an operator wants
 * before a caller is turned away by mistake: a block pattern that matches every number, and
 * allow and block lists that name the same numbers.
 */
import * as fs from 'node:fs';
import { readBesideConfig } from './besideFile';
import type { ConfigIssue } from './issues';
import { matchesPattern } from '../util/numberPattern';
import { mergeScreening, type ParsedScreening, type Screening } from './schemaScreening';

/** A pattern that matches any number: only `*` (with `?`s it still matches almost all). */
const everyNumber = (pattern: string): boolean => /^\*+$/.test(pattern);

/** Whether two patterns can match one same number (literal against pattern, or equal). */
function overlap(a: string, b: string): boolean {
  const literal = (p: string): boolean => !/[*?]/.test(p);
  if (a === b) return true;
  if (literal(a)) return matchesPattern(b, a);
  if (literal(b)) return matchesPattern(a, b);
  // Two prefixes ("1900*", "19001*"): one is the other's start.
  const prefix = (p: string): string | undefined => (/^[0-9]+\*$/.test(p) ? p.slice(0, -1) : undefined);
  const [pa, pb] = [prefix(a), prefix(b)];
  return pa !== undefined && pb !== undefined && (pa.startsWith(pb) || pb.startsWith(pa));
}

/** The PINs of pins_file, a PIN a line; a file others can read is worth a warning. */
function readPins(
  file: string,
  configDir: string,
  where: ConfigIssue['path'],
  issues: ConfigIssue[],
): string[] {
  const read = readBesideConfig(file, configDir, 'PIN file', where, issues);
  if (read === undefined) return [];
  const { absolute, text } = read;
  if ((fs.statSync(absolute).mode & 0o004) !== 0)
    issues.push({
      severity: 'warning',
      path: where,
      message: `PIN file ${absolute} is readable by every user of this machine (chmod 600 it)`,
    });
  const pins: string[] = [];
  text.split('\n').forEach((raw, line) => {
    const pin = raw.replace(/#.*/, '').trim();
    if (pin === '') return;
    if (/^[0-9]{3,12}$/.test(pin)) pins.push(pin);
    else
      issues.push({
        severity: 'error',
        path: where,
        message: `PIN file ${absolute}, line ${line + 1}: expected a PIN of 3 to 12 digits`,
      });
  });
  return pins;
}

export function buildScreening(
  top: ParsedScreening | undefined,
  own: ParsedScreening | undefined,
  routeIndex: number,
  configDir: string,
  issues: ConfigIssue[],
): Screening {
  const screening = mergeScreening(top, own);
  const pin = screening.pin;
  if (pin?.pinsFile !== undefined) {
    const at: ConfigIssue['path'] =
      own?.pin !== undefined
        ? ['routes', routeIndex, 'screening', 'pin', 'pins_file']
        : ['screening', 'pin', 'pins_file'];
    // The top level's file is read (and reported) once, for the first route.
    const fileIssues: ConfigIssue[] = [];
    const fromFile = readPins(pin.pinsFile, configDir, at, fileIssues);
    if (own?.pin !== undefined || routeIndex === 0) issues.push(...fileIssues);
    screening.pin = { ...pin, pins: [...pin.pins, ...fromFile] };
  }
  // Reported where the list was written: the route's own, else the top level's (once, for route 0).
  const where = (key: 'block' | 'allow'): ConfigIssue['path'] | undefined =>
    own?.[key] !== undefined
      ? ['routes', routeIndex, 'screening', key]
      : routeIndex === 0 && top?.[key] !== undefined
        ? ['screening', key]
        : undefined;
  const blockAt = where('block');
  if (blockAt !== undefined)
    screening.block.forEach((pattern, i) => {
      if (everyNumber(pattern))
        issues.push({
          severity: 'warning',
          path: [...blockAt, i],
          message: 'this block pattern matches every number: nobody with a caller id gets through',
        });
    });
  const allowAt = where('allow');
  if (allowAt !== undefined || blockAt !== undefined)
    (screening.allow ?? []).forEach((allowed, i) => {
      const blocked = screening.block.find((pattern) => overlap(pattern, allowed));
      if (blocked !== undefined)
        issues.push({
          severity: 'warning',
          path: [...(allowAt ?? blockAt!), ...(allowAt === undefined ? [] : [i])],
          message: `allow pattern "${allowed}" overlaps block pattern "${blocked}": blocking wins`,
        });
    });
  return screening;
}
