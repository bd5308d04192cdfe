/**
 * A caller who enters Stasis(lcr-a) while lcr-a's WebSocket is still open but nobody reads it
 * (lcr-a frozen, killed a moment ago, cut off): Asterisk takes the call into the application and
 * writes its StasisStart to that socket, and the event is lost with the daemon. No daemon ever
 * hears of the caller, no row names them, and Asterisk sends no StasisStart again when lcr-b
 * registers lcr-a. lcr-b's reconciliation of lcr-a finds the caller in the application and
 * serves them as a new call: answered, through the flow, the call written under lcr-a.
 *
 * This is the window that the cluster bench (`npm run bench -- cluster`) hits now and then with
 * the new caller placed right after the SIGKILL: Asterisk (the simulator alike) has not yet seen
 * the socket close when the caller's Stasis(lcr-a) runs. Here lcr-a is stopped (SIGSTOP) first,
 * which holds that window open, and killed once the caller is in.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AsteriskSimulator } from '../../../src/simulator';
import type { CallRow } from '../../../src/store/calls';
import { openPostgres } from '../../../src/store/sql/postgres';
import { killHard, startDaemonProcess, type DaemonProcess } from '../../helpers/daemonProcess';
import { leaveMessage, neverAnswers, pickOption } from '../../helpers/people';
import { describeWithPostgres } from '../../helpers/postgres';
import { RECONCILE_CONFIG, TIME_SCALE } from './scenarios';

function configFor(simUrl: string, databaseUrl: string, app: string, peer: string): string {
  return RECONCILE_CONFIG.replace(
    'asterisk: { url: http://127.0.0.1:1, username: lcr, password: lcr-secret, request_timeout: 2s }',
    `asterisk: { url: ${simUrl}, username: lcr, password: lcr-secret, request_timeout: 2s, app: ${app}, peers: [${peer}] }`,
  ).replace(
    'settings: { storage_dir: ./data, http_listen: 127.0.0.1:0 }',
    `settings: { storage_dir: ./data, http_listen: 127.0.0.1:0, node_id: node-${app}, database: { url: '${databaseUrl}', lease: 3s } }`,
  );
}

async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs: number,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describeWithPostgres('a caller whose StasisStart reached no daemon', (cluster) => {
  test('entering Stasis(lcr-a) while lcr-a is frozen, then killed: lcr-b takes lcr-a over and serves the caller', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lcr-takeover-unannounced-'));
    const sim = await AsteriskSimulator.start({ timeScale: TIME_SCALE });
    const databaseUrl = await cluster().createDatabase();
    const files = (['lcr-a', 'lcr-b'] as const).map((app) => {
      const file = path.join(dir, `${app}.yaml`);
      fs.writeFileSync(file, configFor(sim.url, databaseUrl, app, app === 'lcr-a' ? 'lcr-b' : 'lcr-a'));
      return file;
    });
    const check = await openPostgres({ url: databaseUrl, poolSize: 2 });
    const daemons: DaemonProcess[] = [startDaemonProcess(files[0]!)];
    try {
      await eventually('lcr-a to connect', () => sim.engine.apps.isActive('lcr-a'), 15_000);
      daemons.push(startDaemonProcess(files[1]!));
      await eventually('lcr-b to connect', () => sim.engine.apps.isActive('lcr-b'), 15_000);
      // A call in progress on lcr-a (its responder never answers): lcr-b has lcr-a's to take over.
      sim.phone('PJSIP/alice', neverAnswers);
      const ringing = sim.call({ apps: ['lcr-a', 'lcr-b'], to: '5550200', from: '+15551230001', steps: [] });
      await eventually(
        'alice to ring',
        () => sim.legs().some((l) => l.transcript.some((e) => e.kind === 'ringing')),
        15_000,
      );
      await eventually(
        "lcr-a's call to be written",
        async () =>
          (await check.get<CallRow>('SELECT * FROM calls WHERE channel_id = ?', [ringing.channelId])) !==
          undefined,
        10_000,
      );

      // lcr-a stops reading its WebSocket: Asterisk still has it as lcr-a's handler.
      daemons[0]!.child.kill('SIGSTOP');
      const caller = sim.call({
        apps: ['lcr-a', 'lcr-b'],
        to: '5550100',
        from: '+15551230002',
        steps: [...pickOption('1'), ...leaveMessage(3000)],
      });
      await new Promise((resolve) => setTimeout(resolve, 200));
      // The caller is in Stasis(lcr-a) (its StasisStart went to lcr-a's socket), not passed on.
      expect(sim.engine.channels.get(caller.channelId)?.app).toBe('lcr-a');
      expect(caller.transcript).toEqual([]);
      await killHard(daemons[0]!.child);

      await eventually(
        'lcr-b to take over lcr-a',
        async () =>
          (await check.get<{ holder: string }>(`SELECT holder FROM leases WHERE name = 'app:lcr-a'`))
            ?.holder === 'node-lcr-b',
        20_000,
      );
      await eventually(
        'the caller to be answered',
        () => caller.transcript.some((e) => e.kind === 'answered'),
        15_000,
      );
      const row = await eventually(
        "the caller's call to be over",
        async () => {
          const found = await check.get<CallRow>('SELECT * FROM calls WHERE channel_id = ?', [
            caller.channelId,
          ]);
          return found?.ended_at !== null ? found : undefined;
        },
        30_000,
      );
      // Served from the start, as any new caller: the greeting, the menu, the message kept.
      const heard = caller.transcript.map((e) => `${e.kind} ${e.detail}`.trim());
      expect(heard).toContain('played sound:tt-monkeys');
      expect(row).toMatchObject({ app: 'lcr-a', outcome: 'voicemail', team_id: 'desk' });

      // The call lcr-a left is lcr-b's too; once it is over, nothing is left in Asterisk.
      await sim.act(ringing.channelId, [{ hangup: true }]);
      await eventually(
        'Asterisk to hold nothing',
        () => {
          const left = sim.leftovers();
          return left.channels.length === 0 && left.bridges.length === 0;
        },
        15_000,
      ).catch(() => undefined);
      expect(sim.leftovers()).toEqual({ channels: [], bridges: [] });
      expect(sim.violations).toEqual([]);
    } catch (error) {
      const logs = daemons
        .map((d, i) => `--- daemon ${i + 1} stderr:\n${d.stderr().slice(-4000)}`)
        .join('\n');
      throw new Error(`${(error as Error).message}\n${logs}`, { cause: error });
    } finally {
      for (const daemon of daemons) await killHard(daemon.child);
      await check.close();
      await sim.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
