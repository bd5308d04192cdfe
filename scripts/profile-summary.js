#!/usr/bin/env node
/**
 * Prints the functions with the most self time in one or more .cpuprofile files (node
 * --cpu-prof; the bench writes them with LCR_BENCH_NODE_ARGS=--cpu-prof), with file:line, so a
 * profile can be read in a terminal and pasted into a report.
 *
 *   node scripts/profile-summary.js [--top N] [--all] [--callers NAME] file.cpuprofile [more...]
 *
 * --callers NAME [--depth N] also lists, for functions called NAME, the call stacks (N frames up) their self
 * time came from: a native function (writeLatin1String, open) says little without its callers.
 *
 * Self time is the sum of the sampling intervals (timeDeltas) whose sample landed in the function
 * itself, not in what it called. Functions are merged by name, file and line across nodes and
 * files. (idle) and (program) are shown as totals but kept out of the ranking unless --all, since
 * an event-loop daemon spends most of its wall time waiting.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

function parseArgs(argv) {
  const options = { top: 25, all: false, callers: undefined, depth: 3, files: [] };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--top') options.top = Number(argv[++i]);
    else if (argv[i] === '--all') options.all = true;
    else if (argv[i] === '--callers') options.callers = argv[++i];
    else if (argv[i] === '--depth') options.depth = Number(argv[++i]);
    else options.files.push(argv[i]);
  }
  return options;
}

/** Where a function lives, short: node_modules/<package>/..., src/... or node:internal. */
function where(url, line) {
  if (url === '') return '';
  let file = url.replace(/^file:\/\//, '');
  const modules = file.lastIndexOf('node_modules/');
  if (modules >= 0) file = file.slice(modules);
  else if (file.includes('/dist/')) file = file.slice(file.lastIndexOf('/dist/') + 1);
  else if (path.isAbsolute(file)) file = path.relative(process.cwd(), file);
  // callFrame lines are 0-based.
  return `${file}:${line + 1}`;
}

function frameName(callFrame) {
  return `${callFrame.functionName || '(anonymous)'} ${where(callFrame.url, callFrame.lineNumber)}`;
}

function summarise(files, callersOf, depth) {
  const byFunction = new Map();
  const stacks = new Map();
  let totalUs = 0;
  for (const file of files) {
    const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
    const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
    const parents = new Map();
    for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
    const { samples, timeDeltas } = profile;
    for (let i = 0; i < samples.length; i++) {
      // A sample's interval is the delta that follows it (the last one gets none).
      const us = i + 1 < timeDeltas.length ? timeDeltas[i + 1] : 0;
      const { callFrame } = nodes.get(samples[i]);
      const name = callFrame.functionName || '(anonymous)';
      const key = `${name}\u0000${callFrame.url}\u0000${callFrame.lineNumber}`;
      const entry = byFunction.get(key) ?? { name, at: where(callFrame.url, callFrame.lineNumber), us: 0 };
      entry.us += us;
      byFunction.set(key, entry);
      totalUs += us;
      if (name === callersOf) {
        const frames = [];
        for (
          let id = parents.get(samples[i]);
          id !== undefined && frames.length < depth;
          id = parents.get(id)
        )
          frames.push(frameName(nodes.get(id).callFrame));
        const stack = frames.join(' < ');
        stacks.set(stack, (stacks.get(stack) ?? 0) + us);
      }
    }
  }
  return { entries: [...byFunction.values()].sort((a, b) => b.us - a.us), totalUs, stacks };
}

function main() {
  const options = parseArgs(process.argv.slice(2));
  if (options.files.length === 0) {
    console.error('usage: node scripts/profile-summary.js [--top N] [--all] file.cpuprofile...');
    process.exitCode = 2;
    return;
  }
  const { entries, totalUs, stacks } = summarise(options.files, options.callers, options.depth);
  const special = new Set(['(idle)', '(program)', '(garbage collector)']);
  const idleUs = entries.filter((e) => e.name === '(idle)').reduce((sum, e) => sum + e.us, 0);
  const busyUs = totalUs - idleUs;
  const pct = (us) => `${((us / Math.max(1, busyUs)) * 100).toFixed(1).padStart(5)}%`;
  console.log(
    `${options.files.length} profile(s): ${(totalUs / 1e6).toFixed(2)} s sampled, ${(busyUs / 1e6).toFixed(2)} s not idle; shares are of the non-idle time`,
  );
  for (const name of special) {
    const us = entries.filter((e) => e.name === name).reduce((sum, e) => sum + e.us, 0);
    if (name !== '(idle)') console.log(`  ${name}: ${(us / 1000).toFixed(0)} ms ${pct(us)}`);
  }
  const ranked = entries.filter((e) => options.all || !special.has(e.name)).slice(0, options.top);
  console.log(`  ${'self ms'.padStart(8)} ${'share'.padStart(6)}  function  file:line`);
  for (const entry of ranked) {
    console.log(`  ${(entry.us / 1000).toFixed(1).padStart(8)} ${pct(entry.us)}  ${entry.name}  ${entry.at}`);
  }
  if (options.callers !== undefined) {
    console.log(`callers of ${options.callers} (${options.depth} frames up):`);
    for (const [stack, us] of [...stacks].sort((a, b) => b[1] - a[1]).slice(0, 10))
      console.log(`  ${(us / 1000).toFixed(1).padStart(8)} ${pct(us)}  < ${stack}`);
  }
}

main();
