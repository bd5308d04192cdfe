/**
 * Issue 19's storm: 200 callers about one outage for one team within 30 s, each leaving a
 * message. Figures: the pages created (target 1: the others join it as callers), the
 * notifications sent (one page, its updates coalesced, not 200 chains), callers told of the known
 * problem, and the daemon's reaction p99 under the storm (the inbound group's targets).
 */
import * as http from 'node:http';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import Database from 'better-sqlite3';
import { AsteriskSimulator } from '../simulator';
import { freePort, formatLoad, measureLoad } from './daemonMetrics';
import { daemonConnected, spreadOver, startDaemonProcess } from './daemonProcess';
import { reactions } from './inboundBench';
import { ms, requireSamples, summarise } from './stats';

const CALLERS = 200;
const WINDOW_MS = 30_000;
const UPDATE_EVERY_S = 10;

const STORM_CONFIG = (url: string, port: number, hook: string): string => `
asterisk: { url: '${url}', username: lcr, password_env: BENCH_ARI_PASSWORD, request_timeout: 30s }
settings: { storage_dir: ./data, log_level: warn, log_format: json, http_listen: "127.0.0.1:${port}" }
responders:
  - { id: alice, name: Alice, phones: ['PJSIP/alice'] }
notifications:
  webhooks: [{ id: ops-chat, url: '${hook}' }]
escalation_policies:
  - id: p
    levels: [{ targets: [{ responder: alice }], escalate_after: 30m }]
teams:
  - { id: ops, name: Operations, escalation_policy: p }
  - { id: db, name: Database, escalation_policy: p }
routes:
  - id: hotline
    name: Bench hotline
    numbers: ['+1 555 0100']
    routing: voicemail
    # Two options, so that every caller presses a key in the menu; all of them press 1.
    options: [{ key: 1, team: ops, label: Operations }, { key: 2, team: db, label: Database }]
    menu: { timeout: 2s }
    voicemail: { max_duration: 60s, max_silence: 10s, min_duration: 1s }
    dedupe: { scope: team, window: 2h, update_every: ${UPDATE_EVERY_S}s }
prompts: { engine: none }
`;

/** A chat webhook receiver on loopback that counts what it is sent. */
async function countingReceiver(): Promise<{ url: string; bodies: string[]; close(): void }> {
  const bodies: string[] = [];
  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      bodies.push(body);
      response.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    bodies,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

export async function runStormBench(print: (line: string) => void): Promise<void> {
  const sim = await AsteriskSimulator.start({ timeScale: 1 });
  const receiver = await countingReceiver();
  // The on-call responder's phone rings out: the page stays unacknowledged, as at 3 a.m.
  sim.phone('PJSIP/alice', { kind: 'no-answer' });
  const port = await freePort();
  const daemon = startDaemonProcess(STORM_CONFIG(sim.url, port, receiver.url), {
    BENCH_ARI_PASSWORD: 'lcr-secret',
  });
  try {
    await daemonConnected(() => sim.connectedWebSockets > 0);
    const placed: Array<ReturnType<AsteriskSimulator['call']>> = [];
    const load = await measureLoad(daemon.child.pid!, `http://127.0.0.1:${port}`, async (active) => {
      const calls = await spreadOver(CALLERS, WINDOW_MS, (i) => {
        const call = sim.call({
          to: '+15550100',
          from: `+1555${String(2000000 + i)}`,
          // Callers told of the known problem press nothing: the message is the route's default.
          steps: [
            { waitFor: 'playback', media: 'press' },
            { press: '1' },
            { waitFor: 'recording' },
            { speak: 3000 },
            { press: '#' },
          ],
        });
        active.track(call.ended);
        return call;
      });
      placed.push(...calls);
      await Promise.all(calls.map((call) => call.ended));
      // One coalesced update falls due after the last caller.
      await new Promise((resolve) => setTimeout(resolve, (UPDATE_EVERY_S + 3) * 1000));
    });
    const db = new Database(path.join(daemon.dir, 'data', 'lcr.db'), { readonly: true, fileMustExist: true });
    const count = (sql: string): number => (db.prepare(sql).get() as { n: number }).n;
    const pages = count('SELECT COUNT(*) AS n FROM pages');
    const callers = count('SELECT COUNT(*) AS n FROM page_callers');
    const voicemails = count('SELECT COUNT(*) AS n FROM voicemails');
    const byChannel = db
      .prepare(
        `SELECT channel, status, COUNT(*) AS n FROM notifications GROUP BY channel, status ORDER BY channel`,
      )
      .all() as Array<{ channel: string; status: string; n: number }>;
    const escalations = count(`SELECT COUNT(*) AS n FROM page_events WHERE type = 'escalated'`);
    db.close();
    const told = placed.filter((call) =>
      call.transcript.some((t) => t.kind === 'played' && t.detail.includes('tt-somethingwrong')),
    ).length;

    const { firstRequest, dtmfToRequest } = reactions(sim);
    requireSamples('StasisStart->first request', firstRequest, CALLERS);
    requireSamples('DTMF->next request', dtmfToRequest, CALLERS);
    const first = summarise(firstRequest);
    const dtmf = summarise(dtmfToRequest);
    print(
      `storm: ${CALLERS} callers for one team within ${WINDOW_MS / 1000} s, each leaving a message (dedupe scope team, updates every ${UPDATE_EVERY_S} s)`,
    );
    print(
      `  pages created: ${pages} (target: 1), callers on them: ${callers}, voicemails: ${voicemails}, escalations: ${escalations}, callers told of the known problem: ${told}`,
    );
    print(
      `  notifications: ${byChannel.map((n) => `${n.channel} ${n.status} ${n.n}`).join(', ')}; webhook requests received: ${receiver.bodies.length} (${receiver.bodies.filter((b) => b.includes('update')).length} of them updates)`,
    );
    print(
      `  StasisStart -> first request p50 ${ms(first.p50)} p99 ${ms(first.p99)} max ${ms(first.max)} | DTMF -> next request p50 ${ms(dtmf.p50)} p99 ${ms(dtmf.p99)} max ${ms(dtmf.max)} (target p99 < 5 ms)`,
    );
    print(`  ${formatLoad(load)}`);
  } finally {
    await daemon.stop();
    receiver.close();
    await sim.stop();
  }
}
