/**
 * Issue 2 targets: validating a 500-responder / 100-schedule / 50-route configuration under
 * 200 ms, and one on-call resolution under 0.1 ms.
 */
import { loadConfigText } from '../config/load';
import { resolveOnCall } from '../oncall/escalation';
import { largeConfigYaml } from './largeConfig';
import { ms, nowMs, summarise } from './stats';

export function runConfigBench(print: (line: string) => void): void {
  const size = { responders: 500, schedules: 100, routes: 50 };
  const text = largeConfigYaml(size);
  print(
    `config: ${size.responders} responders, ${size.schedules} schedules, ${size.routes} routes (${(text.length / 1024).toFixed(0)} KiB of YAML)`,
  );

  const firstStart = nowMs();
  let loaded = loadConfigText(text, 'bench.yaml');
  const first = nowMs() - firstStart;
  const loads: number[] = [];
  for (let i = 0; i < 10; i++) {
    const start = nowMs();
    loaded = loadConfigText(text, 'bench.yaml');
    loads.push(nowMs() - start);
  }
  const loadStats = summarise(loads);
  print(
    `  load + validate: first ${ms(first)} (cold), then p50 ${ms(loadStats.p50)}, max ${ms(loadStats.max)}   target < 200 ms`,
  );

  const config = loaded.config;
  const teams = [...config.teams.keys()];
  const base = Date.parse('2026-11-22T12:00:00Z');
  const measure = (label: string, instantOf: (round: number, teamIndex: number) => number): void => {
    const samples: number[] = [];
    for (let round = 0; round < 40; round++) {
      teams.forEach((team, teamIndex) => {
        const at = instantOf(round, teamIndex);
        const start = nowMs();
        resolveOnCall(config, team, at);
        samples.push(nowMs() - start);
      });
    }
    const stats = summarise(samples);
    print(
      `  on-call resolution, ${label} (${teams.length} teams x 3 levels, ${samples.length} resolutions): mean ${ms(stats.mean)}, p50 ${ms(stats.p50)}, p99 ${ms(stats.p99)}   target < 0.1 ms`,
    );
  };
  // Instants spread over months: every resolution meets zone offsets it has not looked up yet.
  measure(
    'instants spread over 9 months',
    (round, teamIndex) => base + (round * 9973 + teamIndex * 7919) * 60_000,
  );
  // What a running daemon sees: calls arriving through one day.
  measure('instants within one day', (round, teamIndex) => base + (round * 50 + teamIndex) * 17_000);
}
