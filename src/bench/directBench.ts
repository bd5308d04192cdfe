/**
 * Issue 4 target: 200 simultaneous direct calls, each ringing 3 responders at once; the daemon's
 * time from the winning responder's DTMF `1` to the bridge being complete (its addChannel
 * request), p99 under 10 ms. Clocks are the simulator's; the daemon is its own process.
 */
import { AsteriskSimulator } from '../simulator';
import { daemonConnected, readProcess, spreadOver, startDaemonProcess } from './daemonProcess';
import { ms, requireSamples, summarise } from './stats';

const ARRIVAL_WINDOW_MS = 4000;

const DIRECT_CONFIG = (url: string): string => `
asterisk: { url: '${url}', username: lcr, password_env: BENCH_ARI_PASSWORD, request_timeout: 30s }
settings: { storage_dir: ./data, log_level: warn, log_format: json, http_listen: "127.0.0.1:0" }
responders:
  - { id: r1, name: First, phones: ['PJSIP/r1'] }
  - { id: r2, name: Second, phones: ['PJSIP/r2'] }
  - { id: r3, name: Third, phones: ['PJSIP/r3'] }
escalation_policies:
  - id: p
    levels: [{ targets: [{ responder: r1 }, { responder: r2 }, { responder: r3 }], ring_timeout: 30s }]
teams:
  - { id: ops, name: Operations, escalation_policy: p }
routes:
  - id: hotline
    name: Bench hotline
    numbers: ['+1 555 0100']
    routing: direct
    options: [{ key: 1, team: ops, label: Operations }]
    direct: { strategy: simultaneous, confirm_timeout: 10s }
`;

export async function runDirectBench(print: (line: string) => void, calls = 200): Promise<void> {
  print(
    `direct calls: ${calls} callers arriving within ${ARRIVAL_WINDOW_MS / 1000} s, each ringing 3 responders at once (one accepts, one presses 1 too late, one never answers)`,
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
  const daemon = startDaemonProcess(DIRECT_CONFIG(sim.url), { BENCH_ARI_PASSWORD: 'lcr-secret' });
  try {
    await daemonConnected(() => sim.connectedWebSockets > 0);
    const pid = daemon.child.pid!;
    const before = readProcess(pid);
    const handles = await spreadOver(calls, ARRIVAL_WINDOW_MS, (i) =>
      sim.call({
        to: '+15550100',
        from: `+1555${2000000 + i}`,
        steps: [{ waitFor: 'bridged' }, { wait: 3000 }, { hangup: true }],
      }),
    );
    await Promise.all(handles.map((h) => h.ended));
    await new Promise((resolve) => setTimeout(resolve, 500));
    const after = readProcess(pid);

    const bridgeRequests = sim.requests.filter((r) => r.path.endsWith('/addChannel'));
    const latencies: number[] = [];
    const firstOnes = new Set<string>();
    for (const { at, event } of sim.events) {
      if (event.type !== 'ChannelDtmfReceived' || event['digit'] !== '1') continue;
      const legId = (event['channel'] as { id: string }).id;
      const request = bridgeRequests.find(
        (r) => JSON.stringify(r.query).includes(legId) || JSON.stringify(r.body).includes(legId),
      );
      if (request === undefined || firstOnes.has(legId)) continue;
      firstOnes.add(legId);
      latencies.push(request.at - at);
    }
    requireSamples('DTMF 1 -> addChannel', latencies, calls);
    const stats = summarise(latencies);
    const connected = sim.requests.filter((r) => r.path.endsWith('/addChannel') && r.status === 204).length;
    print(
      `  DTMF 1 -> bridge complete (addChannel issued), ${latencies.length} calls: p50 ${ms(stats.p50)}, p99 ${ms(stats.p99)}, max ${ms(stats.max)} | ${connected} bridges | daemon CPU ${(after.cpuSeconds - before.cpuSeconds).toFixed(2)} s, RSS ${(before.rssBytes / 1048576).toFixed(0)} MB idle -> peak ${(after.peakRssBytes / 1048576).toFixed(0)} MB`,
    );
    print('  target: p99 < 10 ms');
  } finally {
    await daemon.stop();
    await sim.stop();
  }
}
