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

/** Warnings for the block and allow lists a screening section writes itself, at `base`. */
function checkLists(
  own: ParsedScreening,
  merged: Pick<Screening, 'block' | 'allow'>,
  base: ConfigIssue['path'],
  issues: ConfigIssue[],
): void {
  if (own.block !== undefined)
    own.block.forEach((pattern, i) => {
      if (everyNumber(pattern))
        issues.push({
          severity: 'warning',
          path: [...base, 'block', i],
          message: 'this block pattern matches every number: nobody with a caller id gets through',
        });
    });
  if (own.allow === undefined && own.block === undefined) return;
  (merged.allow ?? []).forEach((allowed, i) => {
    const blocked = merged.block.find((pattern) => overlap(pattern, allowed));
    if (blocked !== undefined)
      issues.push({
        severity: 'warning',
        path: own.allow === undefined ? [...base, 'block'] : [...base, 'allow', i],
        message: `allow pattern "${allowed}" overlaps block pattern "${blocked}": blocking wins`,
      });
  });
}

/** A screening section with the PINs of its pins_file read in. */
function withPinsFile(
  screening: ParsedScreening,
  base: ConfigIssue['path'],
  configDir: string,
  issues: ConfigIssue[],
): ParsedScreening {
  const pin = screening.pin;
  if (pin?.pinsFile === undefined) return screening;
  const fromFile = readPins(pin.pinsFile, configDir, [...base, 'pin', 'pins_file'], issues);
  return { ...screening, pin: { ...pin, pins: [...pin.pins, ...fromFile] } };
}

/** The top-level section, finished once for every route: its PIN file read, its lists checked. */
export function buildTopScreening(
  top: ParsedScreening | undefined,
  configDir: string,
  issues: ConfigIssue[],
): ParsedScreening | undefined {
  if (top === undefined) return undefined;
  const built = withPinsFile(top, ['screening'], configDir, issues);
  checkLists(top, mergeScreening(built, undefined), ['screening'], issues);
  return built;
}

/** A route's screening: its own keys (its PIN file read) over the finished top-level section. */
export function buildScreening(
  top: ParsedScreening | undefined,
  own: ParsedScreening | undefined,
  routeIndex: number,
  configDir: string,
  issues: ConfigIssue[],
): Screening {
  if (own === undefined) return mergeScreening(top, undefined);
  const base = ['routes', routeIndex, 'screening'];
  const screening = mergeScreening(top, withPinsFile(own, base, configDir, issues));
  checkLists(own, screening, base, issues);
  return screening;
}
