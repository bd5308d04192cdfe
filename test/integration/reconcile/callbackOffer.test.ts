/**
 * SIGKILL while the caller hears the callback offer: the message is kept but the dead process had
 * not paged it yet (the page waits for the caller's choice). Whoever takes the call back (the
 * caller still on the line) or closes its row (the caller hung up meanwhile) pages it, once.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AsteriskSimulator } from '../../../src/simulator';
import type { CallRow } from '../../../src/store/calls';
import type { PageCallerRow, PageRow } from '../../../src/store/pages';
import { until } from '../../helpers/harness';
import { killHard, readDatabase, startDaemonProcess, type DaemonProcess } from '../../helpers/daemonProcess';
import { pickOption } from '../../helpers/people';
import { RECONCILE_CONFIG } from './scenarios';

const CONFIG = RECONCILE_CONFIG.replace(
  '    voicemail: { max_duration: 60s, max_silence: 5s, min_duration: 1s }\n  - id: direct',
  '    voicemail: { max_duration: 60s, max_silence: 5s, min_duration: 1s }\n    callback: { offer: true, allow: ["1*"] }\n  - id: direct',
);

test.each([
  ['stays on the line', false],
  ['hangs up while no daemon runs', true],
])(
  'SIGKILL during the callback offer, and the caller %s: the message is paged once',
  async (_how, hangUp) => {
    expect(CONFIG).toContain('callback: { offer: true');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lcr-offer-'));
    const sim = await AsteriskSimulator.start({ timeScale: 0.5 });
    const file = path.join(dir, 'routes.yaml');
    fs.writeFileSync(file, CONFIG.replace('http://127.0.0.1:1', sim.url));
    const dbFile = path.join(dir, 'data', 'lcr.db');
    const daemons: DaemonProcess[] = [startDaemonProcess(file)];
    try {
      await until(() => sim.connectedWebSockets > 0 || undefined, 15_000, 'the daemon to connect');
      const call = sim.call({
        to: '5550100',
        from: '+15551230001',
        steps: [
          ...pickOption('1'),
          { waitFor: 'recording' },
          { speak: 3000 },
          { press: '#' },
          { waitFor: 'playing', media: 'digits/2' },
          { wait: hangUp ? 300 : 60_000 },
          ...(hangUp ? [{ hangup: true as const }] : []),
        ],
      });
      await until(
        () => (sim.transcript(call.channelId).some((e) => e.detail === 'sound:digits/2') ? true : undefined),
        20_000,
        'the callback offer',
      );
      await killHard(daemons[0]!.child);
      const before = readDatabase(dbFile, (db) => db.prepare('SELECT * FROM pages').all() as PageRow[]);
      expect(before).toEqual([]);
      if (hangUp) await call.ended;
      daemons.push(startDaemonProcess(file));
      const paged = await until(
        () =>
          readDatabase(dbFile, (db) => {
            const row = db.prepare('SELECT * FROM calls WHERE channel_id = ?').get(call.channelId) as CallRow;
            const pages = db.prepare('SELECT * FROM pages').all() as PageRow[];
            return row.ended_at !== null && pages.length > 0 ? { row, pages } : undefined;
          }),
        30_000,
        'the message to be paged',
      );
      expect(paged.row).toMatchObject({ outcome: 'voicemail', stage: null });
      expect(paged.pages).toHaveLength(1);
      expect(paged.pages[0]).toMatchObject({
        call_id: paged.row.id,
        team_id: 'desk',
        voicemail_id: expect.any(String),
      });
      expect(paged.pages[0]!.summary).toContain('interrupted');
      const callers = readDatabase(
        dbFile,
        (db) => db.prepare('SELECT * FROM page_callers').all() as PageCallerRow[],
      );
      expect(callers).toEqual([expect.objectContaining({ call_id: paged.row.id, callback_number: null })]);
      await until(
        () => {
          const left = sim.leftovers();
          return left.channels.length === 0 && left.bridges.length === 0 ? true : undefined;
        },
        10_000,
        'Asterisk to hold nothing',
      ).catch(() => undefined);
      expect(sim.leftovers()).toEqual({ channels: [], bridges: [] });
    } catch (error) {
      const logs = daemons
        .map((d, i) => `--- daemon ${i + 1} stderr:\n${d.stderr().slice(-3000)}`)
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
