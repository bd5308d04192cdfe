/**
 * Issue 3 targets: N simultaneous callers leaving voicemails; the daemon's added latency from
 * StasisStart to its first play request and from a DTMF event to its next request (p99 under
 * 5 ms at 200 calls), its CPU time and memory per active call (under 100 KB).
 *
 * Both clocks are the simulator's: when it sent the event and when the daemon's request
 * arrived, over loopback. The daemon runs as its own process (`lcr start`).
 */
import { AsteriskSimulator } from '../simulator';
import { formatLoad, loadOfCallers, runEachSize, type LoadFigures } from './daemonMetrics';
import { ms, requireSamples, summarise } from './stats';

const BENCH_CONFIG = (url: string, port: number): string => `
asterisk: { url: '${url}', username: lcr, password_env: BENCH_ARI_PASSWORD, request_timeout: 30s }
settings: { storage_dir: ./data, log_level: warn, log_format: json, http_listen: "127.0.0.1:${port}" }
responders:
  - { id: alice, name: Alice, phones: ['PJSIP/alice'] }
  - { id: bob, name: Bob, phones: ['PJSIP/bob'] }
escalation_policies:
  - id: p
    levels: [{ targets: [{ responder: alice }, { responder: bob }] }]
teams:
  - { id: ops, name: Operations, escalation_policy: p }
  - { id: db, name: Database, escalation_policy: p }
routes:
  - id: hotline
    name: Bench hotline
    numbers: ['+1 555 0100']
    routing: voicemail
    options:
      - { key: 1, team: ops, label: Operations }
      - { key: 2, team: db, label: Database }
    menu: { timeout: 10s }
    voicemail: { max_duration: 60s, max_silence: 10s, min_duration: 1s }
# Stock sounds: the callers below wait for the menu by its sound's name, and the figures are the
# daemon's reactions, not speech synthesis (which runs once at start; see the prompts group).
prompts: { engine: none }
`;

const ARRIVAL_WINDOW_MS = 4000;

export async function runInboundBench(print: (line: string) => void, sizes = [50, 200, 1000]): Promise<void> {
  print(
    `voicemail calls: N callers arriving within ${ARRIVAL_WINDOW_MS / 1000} s, each on the line ~12 s, so all N are active at once (daemon = separate \`lcr start\` process; clocks = the simulator's)`,
  );
  await runEachSize(sizes, print, (n) => inboundRun(print, n));
  print('  targets: p99 added latency < 5 ms at N<=200, < 10 ms at N=1000; < 100 KB per active call');
}

async function inboundRun(print: (line: string) => void, n: number): Promise<LoadFigures> {
  const sim = await AsteriskSimulator.start({ timeScale: 1 });
  try {
    const load = await loadOfCallers(sim, BENCH_CONFIG, { count: n, windowMs: ARRIVAL_WINDOW_MS }, (i) =>
      sim.call({
        to: '+15550100',
        from: `+1555${String(1000000 + i)}`,
        steps: [
          { waitFor: 'playback', media: 'press' },
          { wait: 300 },
          { press: String((i % 2) + 1) },
          { waitFor: 'recording' },
          { speak: 3000 },
          { press: '#' },
        ],
      }),
    );

    const { firstRequest, firstPlay, dtmfToRequest } = reactions(sim);
    // A caller that never reached the menu would leave a figure out silently: fail instead.
    requireSamples('StasisStart->first request', firstRequest, n);
    requireSamples('StasisStart->first play', firstPlay, n);
    requireSamples('DTMF->next request', dtmfToRequest, n);
    const first = summarise(firstRequest);
    const play = summarise(firstPlay);
    const dtmf = summarise(dtmfToRequest);
    const target = n <= 200 ? 5 : 10;
    print(
      `  N=${String(n).padStart(4)}: StasisStart -> first request p50 ${ms(first.p50)} p99 ${ms(first.p99)} max ${ms(first.max)} (target p99 < ${target} ms) | StasisStart -> first play p99 ${ms(play.p99)} | DTMF -> next request p50 ${ms(dtmf.p50)} p99 ${ms(dtmf.p99)} max ${ms(dtmf.max)} (target p99 < ${target} ms)`,
    );
    print(`          ${formatLoad(load)}`);
    return load;
  } finally {
    await sim.stop();
  }
}

/**
 * The daemon's reactions, each from the simulator's event to the daemon's next request on that
 * channel. Requests are indexed by channel id once, so 1,000 calls stay linear.
 */
export function reactions(sim: AsteriskSimulator): {
  firstRequest: number[];
  firstPlay: number[];
  dtmfToRequest: number[];
} {
  const requests = sim.requests;
  const byChannel = new Map<string, Array<(typeof requests)[number]>>();
  for (const request of requests) {
    const match = /(\d+\.\d+)/.exec(request.path);
    if (match === null) continue;
    const list = byChannel.get(match[1]!) ?? [];
    list.push(request);
    byChannel.set(match[1]!, list);
  }
  // The log is in the order the answers went out; the daemon's order is that of arrival.
  for (const list of byChannel.values()) list.sort((a, b) => a.at - b.at);
  const firstRequest: number[] = [];
  const firstPlay: number[] = [];
  const dtmfToRequest: number[] = [];
  for (const { at, event } of sim.events) {
    const channelId = (event['channel'] as { id?: string } | undefined)?.id;
    if (channelId === undefined) continue;
    const list = byChannel.get(channelId) ?? [];
    if (event.type === 'StasisStart') {
      const next = list.find((r) => r.at >= at);
      if (next) firstRequest.push(next.at - at);
      const play = list.find((r) => r.path.endsWith('/play') || r.path.includes('/play/'));
      if (play) firstPlay.push(play.at - at);
    } else if (event.type === 'ChannelDtmfReceived' && event['digit'] !== '#') {
      const next = list.find((r) => r.at >= at);
      if (next) dtmfToRequest.push(next.at - at);
    }
  }
  return { firstRequest, firstPlay, dtmfToRequest };
}
