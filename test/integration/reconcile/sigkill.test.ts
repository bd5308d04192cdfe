/**
 * SIGKILL at every moment of a call, then a restart: Asterisk kept the caller, the responders'
 * phones and the bridge; the new daemon finds them (reconciliation), tells the caller the call
 * was interrupted and goes on from the stage the database holds, or adopts a connected call.
 * Each case ends with nothing left in Asterisk and no ARI declaration broken.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import DatabaseFile from 'better-sqlite3';
import type Database from 'better-sqlite3';
import { AsteriskSimulator } from '../../../src/simulator';
import type { CallRow, LegRow, VoicemailRow } from '../../../src/store/calls';
import type { PageRow } from '../../../src/store/pages';
import { until } from '../../helpers/harness';
import { killHard, readDatabase, startDaemonProcess, type DaemonProcess } from '../../helpers/daemonProcess';
import { RECONCILE_CONFIG, SCENARIOS, TIME_SCALE, type Outcome, type Scenario } from './scenarios';

function outcomeOf(
  db: Database.Database,
  channelId: string,
): Omit<Outcome, 'mode' | 'heard' | 'rang'> | undefined {
  const call = db.prepare('SELECT * FROM calls WHERE channel_id = ?').get(channelId) as CallRow | undefined;
  if (call === undefined) return undefined;
  return {
    call,
    legs: db
      .prepare('SELECT * FROM call_legs WHERE call_id = ? ORDER BY started_at, rowid')
      .all(call.id) as LegRow[],
    voicemails: db.prepare('SELECT * FROM voicemails WHERE call_id = ?').all(call.id) as VoicemailRow[],
    pages: db.prepare('SELECT * FROM pages ORDER BY id').all() as PageRow[],
  };
}

/** The page tables emptied, as if the kill came between the connection's row and its page. */
function forgetPages(dbFile: string): void {
  const db = new DatabaseFile(dbFile);
  try {
    db.exec(
      'DELETE FROM notification_attempts; DELETE FROM notifications; DELETE FROM page_events; DELETE FROM page_assignments; DELETE FROM page_callers; DELETE FROM pages;',
    );
  } finally {
    db.close();
  }
}

/** As if the kill came between the bridge join and writing the connection (and its page). */
function forgetConnection(dbFile: string): void {
  forgetPages(dbFile);
  const db = new DatabaseFile(dbFile);
  try {
    db.exec(
      "UPDATE calls SET connected_at = NULL, connected_responder_id = NULL, outcome = NULL, stage = 'ringing'",
    );
  } finally {
    db.close();
  }
}

const connected = SCENARIOS.find((s) => s.name === 'a connected call')!;
const CASES: (Scenario & { beforeRestart?: (dbFile: string) => void })[] = [
  ...SCENARIOS,
  { ...connected, name: 'a connected call whose page was not written yet', beforeRestart: forgetPages },
  { ...connected, name: 'a connected call not written yet', beforeRestart: forgetConnection },
];

test.each(CASES.map((s) => [s.name, s] as const))(
  'SIGKILL during %s, then a restart: the call is taken back and ends cleanly',
  async (_name, scenario) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lcr-reconcile-'));
    const sim = await AsteriskSimulator.start({ timeScale: TIME_SCALE });
    const file = path.join(dir, 'routes.yaml');
    fs.writeFileSync(file, RECONCILE_CONFIG.replace('http://127.0.0.1:1', sim.url));
    const dbFile = path.join(dir, 'data', 'lcr.db');
    const daemons: DaemonProcess[] = [startDaemonProcess(file)];
    try {
      await until(() => sim.connectedWebSockets > 0 || undefined, 15_000, 'the daemon to connect');
      for (const [endpoint, behaviour] of Object.entries(scenario.phones)) sim.phone(endpoint, behaviour);
      const call = sim.call({ to: scenario.to, from: '+15551230001', steps: scenario.steps });
      await until(() => scenario.moment(sim, call.channelId) || undefined, 15_000, 'the moment to strike');
      await killHard(daemons[0]!.child);
      scenario.beforeRestart?.(dbFile);
      daemons.push(startDaemonProcess(file));
      const over = await until(
        () => {
          const found = readDatabase(dbFile, (db) => outcomeOf(db, call.channelId));
          return found?.call.ended_at !== null && (scenario.settled?.(found!.pages) ?? true)
            ? found
            : undefined;
        },
        40_000,
        'the call to be over',
      );
      await until(
        () => {
          const left = sim.leftovers();
          return left.channels.length === 0 && left.bridges.length === 0 ? true : undefined;
        },
        10_000,
        'Asterisk to hold nothing',
      ).catch(() => undefined);
      expect(sim.leftovers()).toEqual({ channels: [], bridges: [] });
      expect(sim.violations).toEqual([]);
      const outcome: Outcome = {
        mode: 'sigkill',
        heard: sim.transcript(call.channelId).map((e) => `${e.kind} ${e.detail}`),
        ...readDatabase(dbFile, (db) => outcomeOf(db, call.channelId))!,
        rang: sim.legs().map((l) => l.dialstring),
      };
      expect(outcome.call.ended_at).toBe(over.call.ended_at);
      scenario.check(outcome);
    } catch (error) {
      const logs = daemons
        .map((d, i) => `--- daemon ${i + 1} stderr:\n${d.stderr().slice(-4000)}`)
        .join('\n');
      throw new Error(`${(error as Error).message}\n${logs}`, { cause: error });
    } finally {
      for (const daemon of daemons) await killHard(daemon.child);
      await sim.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
  90_000,
);
