/**
 * Issue 4 target: 200 (and 1,000) simultaneous direct calls, each ringing 3 responders at once;
 * the daemon's time from the winning responder's DTMF `1` to the bridge being complete (its
 * addChannel request), p99 under 10 ms; and accept -> bridged, from that DTMF event to the
 * second ChannelEnteredBridge of the call's bridge, which adds the simulator's join time.
 * Clocks are the simulator's; the daemon is its own process, on its SQLite file by default or, with
 * `postgres`, on a fresh PostgreSQL database for each size (the cluster group compares both).
 */
import { AsteriskSimulator } from '../simulator';
import { formatLoad, loadOfCallers, runEachSize, type LoadFigures } from './daemonMetrics';
import { oneTeamHotline } from './hotlineYaml';
import { bridgeLatencies, modelledJoinMs } from './directMatch';
import type { PostgresCluster } from './postgresCluster';
import { ms, requireSamples, summarise } from './stats';

/** Arrivals spread so that the run stays short and every call is on the line at once. */
const ARRIVAL_WINDOW_MS: Record<number, number> = { 200: 4000, 1000: 10_000 };

const DIRECT_CONFIG = (url: string, port: number, databaseUrl?: string): string => `
asterisk: { url: '${url}', username: lcr, password_env: BENCH_ARI_PASSWORD, request_timeout: 30s, }
settings: { storage_dir: ./data, log_level: warn, log_format: json, http_listen: "127.0.0.1:${port}"${databaseUrl === undefined ? '' : `, database: { url: '${databaseUrl}' }`} }
responders:
  - { id: r1, name: First, phones: ['PJSIP/r1'] }
  - { id: r2, name: Second, phones: ['PJSIP/r2'] }
  - { id: r3, name: Third, phones: ['PJSIP/r3'] }
escalation_policies:
  - id: p
    levels: [{ targets: [{ responder: r1 }, { responder: r2 }, { responder: r3 }], ring_timeout: 30s }]
${oneTeamHotline('direct', 'direct: { strategy: simultaneous, confirm_timeout: 10s }')}`;

export interface DirectBenchOptions {
  /** The daemon on a fresh PostgreSQL database (one per size, dropped after it) instead of SQLite. */
  postgres?: Pick<PostgresCluster, 'createDatabase' | 'dropDatabase'>;
}

/** One size's reactions, for the cluster group's comparison of SQLite and PostgreSQL. */
export interface DirectFigures {
  calls: number;
  /** DTMF 1 -> addChannel issued. */
  toAddChannel: ReturnType<typeof summarise>;
  /** DTMF 1 event -> the bridge's 2nd ChannelEnteredBridge. */
  toBridged: ReturnType<typeof summarise>;
}

export async function runDirectBench(
  print: (line: string) => void,
  sizes = [200, 1000],
  options: DirectBenchOptions = {},
): Promise<DirectFigures[]> {
  const figures: DirectFigures[] = [];
  await runEachSize(sizes, print, async (calls) => {
    const { postgres } = options;
    const databaseUrl = await postgres?.createDatabase();
    try {
      return await directRun(print, calls, databaseUrl, figures);
    } finally {
      if (databaseUrl !== undefined) await postgres?.dropDatabase(databaseUrl);
    }
  });
  return figures;
}

async function directRun(
  print: (line: string) => void,
  calls: number,
  databaseUrl: string | undefined,
  figures: DirectFigures[],
): Promise<LoadFigures> {
  const windowMs = ARRIVAL_WINDOW_MS[calls] ?? calls * 10;
  // Held past the last arrival, so that all the calls are bridged at once at the peak.
  const holdMs = Math.max(3000, windowMs);
  const on = databaseUrl === undefined ? '' : ', the daemon on PostgreSQL';
  print(
    `direct calls: ${calls} callers arriving within ${windowMs / 1000} s, each ringing 3 responders at once (one accepts, one presses 1 too late, one never answers), held ${holdMs / 1000} s once bridged${on}`,
  );
  const sim = await AsteriskSimulator.start({ timeScale: 1 });
  sim.phone('PJSIP/r1', {
    kind: 'answer',
    ringMs: 1000,
    then: [{ waitFor: 'playback' }, { wait: 1500 }, { press: '1' }],
  });
  sim.phone('PJSIP/r2', {
    kind: 'answer',
    ringMs: 1000,
    then: [{ waitFor: 'playback' }, { wait: 1700 }, { press: '1' }],
  });
  sim.phone('PJSIP/r3', { kind: 'no-answer' });
  try {
    const yamlFor = (url: string, port: number): string => DIRECT_CONFIG(url, port, databaseUrl);
    const load = await loadOfCallers(sim, yamlFor, { count: calls, windowMs, settleMs: 500 }, (i) =>
      sim.call({
        to: '+15550100',
        from: `+1555${2000000 + i}`,
        steps: [{ waitFor: 'bridged' }, { wait: holdMs }, { hangup: true }],
      }),
    );

    const { toAddChannel, toBridged, addToBridged, channelsJoined } = bridgeLatencies(
      sim.requests,
      sim.events,
    );
    requireSamples('DTMF 1 -> addChannel', toAddChannel, calls);
    requireSamples('accept -> bridged', toBridged, calls);
    const issued = summarise(toAddChannel);
    const bridged = summarise(toBridged);
    const simulated = summarise(addToBridged);
    figures.push({ calls, toAddChannel: issued, toBridged: bridged });
    const connected = sim.requests.filter((r) => r.path.endsWith('/addChannel') && r.status === 204).length;
    const joinMs = modelledJoinMs(sim);
    // Asterisk joins the channels of one addChannel one after the other: the modelled join of an
    // accept is joinMs for each channel it puts in the bridge.
    const modelledJoin = joinMs * channelsJoined;
    const bridgedTarget = `<= ${ms(2 * modelledJoin)} = 2x the modelled join ${ms(modelledJoin)} (${channelsJoined} channels x joinMs ${ms(joinMs)}, one after the other)`;
    print(
      `  DTMF 1 -> bridge complete (addChannel issued), ${toAddChannel.length} calls: p50 ${ms(issued.p50)}, p99 ${ms(issued.p99)}, max ${ms(issued.max)} (target p99 < 10 ms)`,
    );
    print(
      `  accept -> bridged (DTMF 1 event -> 2nd ChannelEnteredBridge): p50 ${ms(bridged.p50)}, p99 ${ms(bridged.p99)}, max ${ms(bridged.max)} (target p99 ${bridgedTarget})`,
    );
    print(
      `    of which the simulator's, addChannel received -> 2nd ChannelEnteredBridge: p50 ${ms(simulated.p50)}, p99 ${ms(simulated.p99)}, max ${ms(simulated.max)}`,
    );
    print(`  ${formatLoad(load, `${connected} bridges`)}`);
    return load;
  } finally {
    await sim.stop();
  }
}
