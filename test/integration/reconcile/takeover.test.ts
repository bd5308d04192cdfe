/**
 * Two daemons (lcr-a, lcr-b) on one simulated Asterisk and one PostgreSQL. lcr-a is killed
 * (SIGKILL) at each moment of a call; lcr-a is not restarted: lcr-b sees it die (its database
 * sessions end), takes over its application and adopts its calls exactly as a restarted lcr-a
 * would, with the same assertions as the restart tests (sigkill.test.ts): what the caller hears,
 * the rows, the pages, nothing left in Asterisk. Then the call is over and lcr-b gives lcr-a's
 * application back. Both keep their voicemails in one folder (on several machines: a shared
 * mount), so the survivor's page call plays the message the dead daemon recorded.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AsteriskSimulator } from '../../../src/simulator';
import type { CallRow, LegRow, VoicemailRow } from '../../../src/store/calls';
import type { SqlDatabase } from '../../../src/store/sql/driver';
import type { PageRow } from '../../../src/store/pages';
import { openPostgres } from '../../../src/store/sql/postgres';
import { killHard, startDaemonProcess, type DaemonProcess } from '../../helpers/daemonProcess';
import { describeWithPostgres } from '../../helpers/postgres';
import { RECONCILE_CONFIG, SCENARIOS, TIME_SCALE, type Outcome } from './scenarios';

function configFor(simUrl: string, databaseUrl: string, app: string, peer: string): string {
  return RECONCILE_CONFIG.replace(
    'asterisk: { url: http://127.0.0.1:1, username: lcr, password: lcr-secret, request_timeout: 2s }',
    `asterisk: { url: ${simUrl}, username: lcr, password: lcr-secret, request_timeout: 2s, app: ${app}, peers: [${peer}] }`,
  ).replace(
    'settings: { storage_dir: ./data, http_listen: 127.0.0.1:0 }',
    `settings: { storage_dir: ./data, http_listen: 127.0.0.1:0, node_id: node-${app}, database: { url: '${databaseUrl}', lease: 3s } }`,
  );
}

async function outcomeOf(
  sql: SqlDatabase,
  channelId: string,
): Promise<Omit<Outcome, 'mode' | 'heard' | 'rang'> | undefined> {
  const call = await sql.get<CallRow>('SELECT * FROM calls WHERE channel_id = ?', [channelId]);
  if (call === undefined) return undefined;
  return {
    call,
    legs: await sql.all<LegRow>('SELECT * FROM call_legs WHERE call_id = ? ORDER BY started_at, position', [
      call.id,
    ]),
    voicemails: await sql.all<VoicemailRow>('SELECT * FROM voicemails WHERE call_id = ?', [call.id]),
    pages: await sql.all<PageRow>('SELECT * FROM pages ORDER BY id'),
  };
}

async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
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

describeWithPostgres('a daemon killed mid-call: the other takes over its calls', (cluster) => {
  test.each(SCENARIOS.map((s) => [s.name, s] as const))(
    'SIGKILL of lcr-a during %s: lcr-b adopts the call and it ends cleanly',
    async (_name, scenario) => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lcr-takeover-'));
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
        await eventually('lcr-a to connect', () => sim.engine.apps.isActive('lcr-a') || undefined, 15_000);
        daemons.push(startDaemonProcess(files[1]!));
        await eventually('lcr-b to connect', () => sim.engine.apps.isActive('lcr-b') || undefined, 15_000);
        for (const [endpoint, behaviour] of Object.entries(scenario.phones)) sim.phone(endpoint, behaviour);
        const call = sim.call({
          apps: ['lcr-a', 'lcr-b'],
          to: scenario.to,
          from: '+15551230001',
          steps: scenario.steps,
        });
        await eventually(
          'the moment to strike',
          () => scenario.moment(sim, call.channelId) || undefined,
          15_000,
        );
        await killHard(daemons[0]!.child);
        const takenOver = await eventually(
          'lcr-b to take over lcr-a',
          async () =>
            (await check.get<{ holder: string }>(`SELECT holder FROM leases WHERE name = 'app:lcr-a'`))
              ?.holder === 'node-lcr-b' || undefined,
          20_000,
        );
        expect(takenOver).toBe(true);
        const over = await eventually(
          'the call to be over',
          async () => {
            const found = await outcomeOf(check, call.channelId);
            return found?.call.ended_at !== null && (scenario.settled?.(found!.pages) ?? true)
              ? found
              : undefined;
          },
          40_000,
        );
        await eventually(
          'Asterisk to hold nothing',
          () => {
            const left = sim.leftovers();
            return left.channels.length === 0 && left.bridges.length === 0 ? true : undefined;
          },
          10_000,
        ).catch(() => undefined);
        expect(sim.leftovers()).toEqual({ channels: [], bridges: [] });
        expect(sim.violations).toEqual([]);
        // The page changes a call makes at its end (resolve_on_hangup) are written behind it:
        // on PostgreSQL they may land a round trip after the call's row, so the checks are
        // given a few seconds to hold.
        const settledBy = Date.now() + 5000;
        for (;;) {
          const outcome: Outcome = {
            mode: 'sigkill',
            heard: sim.transcript(call.channelId).map((e) => `${e.kind} ${e.detail}`),
            ...(await outcomeOf(check, call.channelId))!,
            rang: sim.legs().map((l) => l.dialstring),
          };
          expect(outcome.call.ended_at).toBe(over.call.ended_at);
          expect(outcome.call.app).toBe('lcr-a');
          try {
            scenario.check(outcome);
            break;
          } catch (error) {
            if (Date.now() > settledBy) throw error;
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
        }
        // The call over, lcr-b gives lcr-a's application back.
        await eventually(
          'lcr-b to give lcr-a back',
          async () =>
            (await check.get<{ expires_at: number }>(
              `SELECT expires_at FROM leases WHERE name = 'app:lcr-a'`,
            ))!.expires_at <= Date.now() || undefined,
          15_000,
        );
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
    },
    90_000,
  );
});
