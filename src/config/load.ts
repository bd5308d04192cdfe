/**
 * Reads the YAML file and returns the typed configuration, or a ConfigError whose every issue
 * points at a line and column. `lcr validate`, `lcr start` and reloads all come through here.
 */
import { PROMPT_SLOTS, yamlSlotName } from '../domain/promptSlots';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { configSchema, type RawConfig } from './schema';
import { crossCheck } from './crossref';
import { buildConfig } from './build';
import { ConfigError, locate, type ConfigIssue, type IssuePath, type LocatedIssue } from './issues';
import { keyProblems, tooDeep } from './yamlChecks';
import type { Config } from './model';

export interface LoadedConfig {
  config: Config;
  warnings: LocatedIssue[];
}

/** Largest file we accept; a routing file is a few hundred kilobytes at most. */
const MAX_CONFIG_BYTES = 8 * 1024 * 1024;

export function loadConfigFile(file: string): LoadedConfig {
  const absolute = path.resolve(file);
  const shown = path.relative(process.cwd(), absolute) || absolute;
  let text: string;
  try {
    const stat = fs.statSync(absolute);
    if (!stat.isFile()) throw new Error('not a regular file');
    if (stat.size > MAX_CONFIG_BYTES) throw new Error(`larger than ${MAX_CONFIG_BYTES} bytes`);
    text = fs.readFileSync(absolute, 'utf8');
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (error as Error).message;
    throw new ConfigError([
      {
        severity: 'error',
        file: shown,
        line: 1,
        column: 1,
        path: [],
        message: `cannot read configuration: ${reason}`,
      },
    ]);
  }
  return loadConfigText(text, shown, absolute);
}

function valueAt(data: unknown, issuePath: IssuePath): unknown {
  let value = data;
  for (const part of issuePath) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string | number, unknown>)[part];
  }
  return value;
}

function fromZodIssue(issue: z.core.$ZodIssue, data: unknown): ConfigIssue[] {
  const issuePath = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  // A key that takes one of several forms (asterisk: a mapping or a list): the errors of the
  // form the file uses, not a bare "Invalid input". The form is the one whose errors are not
  // "expected <another type>" at the key itself.
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const wrongForm = (errors: z.core.$ZodIssue[]): boolean =>
      errors.length === 1 && errors[0]!.code === 'invalid_type' && errors[0]!.path.length === 0;
    const branch = issue.errors.find((errors) => !wrongForm(errors));
    if (branch !== undefined)
      return branch.flatMap((inner) => fromZodIssue({ ...inner, path: [...issuePath, ...inner.path] }, data));
  }
  if (issue.code === 'unrecognized_keys') {
    const promptNames =
      issuePath.at(-1) === 'texts' || (issuePath.at(-1) === 'prompts' && issuePath[0] === 'routes');
    return issue.keys.map((key) => ({
      severity: 'error' as const,
      path: [...issuePath, key],
      atKey: true,
      message: promptNames
        ? `unknown prompt "${key}"; known prompts: ${PROMPT_SLOTS.map(yamlSlotName).join(', ')}`
        : `unknown key "${key}"`,
    }));
  }
  const parent = valueAt(data, issuePath.slice(0, -1));
  const last = issuePath[issuePath.length - 1];
  if (
    issue.code === 'invalid_type' &&
    typeof last === 'string' &&
    parent !== null &&
    typeof parent === 'object' &&
    !(last in parent)
  ) {
    return [{ severity: 'error', path: issuePath, message: `missing required key "${last}"` }];
  }
  if (issuePath.length === 0 && (data === null || typeof data !== 'object' || Array.isArray(data))) {
    return [
      {
        severity: 'error',
        path: [],
        message: 'expected a mapping with asterisk, responders, escalation_policies, teams and routes',
      },
    ];
  }
  return [{ severity: 'error', path: issuePath, message: issue.message }];
}

export function loadConfigText(
  text: string,
  shownName: string,
  absolutePath = path.resolve(shownName),
): LoadedConfig {
  const deep = tooDeep(text);
  if (deep !== undefined) {
    // Before the parser runs: it recurses, and a hostile file would exhaust the stack or memory.
    throw new ConfigError([
      {
        severity: 'error',
        file: shownName,
        ...lineAndColumn(text, deep.offset),
        path: [],
        message: `malformed YAML: ${deep.message}`,
      },
    ]);
  }
  const lineCounter = new LineCounter();
  // Duplicate and complex keys are checked by keyProblems (linear, located) instead of the
  // library's own pairwise check and its unlocated console notice.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false, logLevel: 'error' });
  const located = (issues: ConfigIssue[]): LocatedIssue[] =>
    issues.map((issue) => ({
      ...issue,
      file: shownName,
      ...locate(doc, lineCounter, issue.path, issue.atKey),
    }));
  const at = (offset: number): { line: number; column: number } => {
    const position = lineCounter.linePos(offset);
    return { line: position.line, column: position.col };
  };

  // Key problems are errors of the YAML itself (duplicates) or warnings (list or mapping keys).
  const keys: LocatedIssue[] = (doc.errors.length > 0 ? [] : keyProblems(doc)).map((problem) => ({
    severity: problem.severity,
    file: shownName,
    ...at(problem.node.range?.[0] ?? 0),
    path: [],
    message: problem.severity === 'error' ? `malformed YAML: ${problem.message}` : problem.message,
  }));
  const yamlErrors: LocatedIssue[] = [
    ...doc.errors.map((error) => ({
      severity: 'error' as const,
      file: shownName,
      ...at(error.pos[0]),
      path: [],
      message: `malformed YAML: ${error.message.split('\n')[0]}`,
    })),
    ...keys.filter((issue) => issue.severity === 'error'),
  ];
  if (yamlErrors.length > 0) throw new ConfigError(yamlErrors);
  const keyWarnings = keys.filter((issue) => issue.severity === 'warning');

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw new ConfigError([
      {
        severity: 'error',
        file: shownName,
        line: 1,
        column: 1,
        path: [],
        message: `malformed YAML: ${(error as Error).message}`,
      },
    ]);
  }

  const parsed = configSchema.safeParse(data);
  if (!parsed.success) {
    const issues = parsed.error.issues.flatMap((issue) => fromZodIssue(issue, data));
    throw new ConfigError(sortByPosition([...keyWarnings, ...located(issues)]));
  }
  // References are checked in the file's own terms (the input, now known to be valid), and
  // reported where the operator wrote them; the model is built from the schema's output.
  const issues = crossCheck(data as RawConfig);
  const config = buildConfig(parsed.data, absolutePath, issues);
  const all = sortByPosition([...keyWarnings, ...located(issues)]);
  const errors = all.filter((issue) => issue.severity === 'error');
  if (errors.length > 0) throw new ConfigError(errors);
  return { config, warnings: all.filter((issue) => issue.severity === 'warning') };
}

/** 1-based line and column of an offset, for problems found before the parser's line counter exists. */
function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

function sortByPosition(issues: LocatedIssue[]): LocatedIssue[] {
  return [...issues].sort((a, b) => a.line - b.line || a.column - b.column);
}
