/**
 * Runs the real daemon against the simulated Asterisk over loopback HTTP and WebSocket, with a
 * configuration written to a temporary directory. Every test ends by checking that Asterisk holds
 * no channel or bridge and that the daemon sent nothing the ARI declarations do not allow.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as os from 'node:os';
import { Writable } from 'node:stream';
import { Daemon, type DaemonOptions } from '../../src/daemon';
import { loadConfigText } from '../../src/config/load';
import { createLogger, type Logger } from '../../src/log/logger';
import { AsteriskSimulator, type SimulatorOptions } from '../../src/simulator';
import type { CallRow, LegRow, VoicemailRow } from '../../src/store/calls';
import type { PageRow } from '../../src/store/pages';

export const TEST_CONFIG = `
asterisk:
  url: http://127.0.0.1:1
  username: lcr
  password: lcr-secret
  request_timeout: 2s
settings:
  storage_dir: ./data
  http_listen: 127.0.0.1:0
# Speech synthesis has its own tests (test/prompts, test/integration/prompts*); elsewhere text
# prompts play as stock sounds, which keeps each daemon's start instant.
prompts: { engine: none }
responders:
  - { id: alice, name: Alice, phones: ['PJSIP/alice'] }
  - { id: bob, name: Bob, phones: ['PJSIP/bob', '+15551230002'] }
  - { id: carol, name: Carol, phones: ['PJSIP/carol'] }
  - { id: dave, name: Dave }
escalation_policies:
  - id: db-policy
    levels:
      - { targets: [{ responder: alice }, { responder: bob }], ring_timeout: 3s, escalate_after: 5m }
      - { targets: [{ responder: carol }], ring_timeout: 3s }
  - id: net-policy
    levels:
      - { targets: [{ responder: carol }], ring_timeout: 3s }
teams:
  - { id: db-team, name: Database, escalation_policy: db-policy }
  - { id: net-team, name: Network, escalation_policy: net-policy }
routes:
  - id: main
    name: Acme hotline
    numbers: ['+1 555 0100']
    routing: voicemail
    options:
      - { key: 1, team: db-team, label: Database }
      - { key: 2, team: net-team, label: Network }
    menu: { timeout: 1s, tries: 2, fallback: first }
    voicemail: { max_duration: 30s, max_silence: 3s, min_duration: 2s }
  - id: vendors
    name: Vendor line
    numbers: ['+1 555 0150']
    routing: voicemail
    options:
      - { key: 1, team: net-team, label: Network }
    voicemail: { max_duration: 20s, max_silence: 3s, min_duration: 2s, page_on_abandon: true }
  - id: retired
    name: Old number
    numbers: ['+1 555 0199']
    active: false
    inactive_message: This number has moved.
    routing: voicemail
    options:
      - { key: 1, team: db-team, label: Database }
`;

export interface Harness {
  sim: AsteriskSimulator;
  /** Replaceable: a test may restart the daemon on the same database. */
  daemon: Daemon;
  dir: string;
  logs: string[];
  /** Resolves with the call's row once the daemon has finished it. */
  finishedCall(channelId: string, timeoutMs?: number): Promise<CallRow>;
  legs(callId: string): LegRow[];
  voicemails(callId: string): VoicemailRow[];
  pages(): PageRow[];
  stop(): Promise<void>;
}

export function captureLogger(logs: string[]): Logger {
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(chunk.toString('utf8').trim());
      done();
    },
  });
  return createLogger({ level: 'debug', format: 'json', stream });
}

/** Polls `probe` (synchronous, or asynchronous such as a read of the call log) until it gives a value. */
export async function until<T>(
  probe: () => T | undefined | PromiseLike<T | undefined>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export async function startHarness(
  options: {
    yaml?: string;
    timeScale?: number;
    daemon?: Partial<DaemonOptions>;
    simulator?: Omit<SimulatorOptions, 'timeScale'>;
  } = {},
): Promise<Harness> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lcr-it-'));
  const sim = await AsteriskSimulator.start({ ...options.simulator, timeScale: options.timeScale ?? 0.1 });
  const given = (options.yaml ?? TEST_CONFIG).replace('http://127.0.0.1:1', sim.url);
  const yaml = /^prompts:/m.test(given) ? given : `${given}\nprompts: { engine: none }\n`;
  const file = path.join(dir, 'routes.yaml');
  fs.writeFileSync(file, yaml);
  const { config } = loadConfigText(yaml, 'routes.yaml', file);
  const logs: string[] = [];
  const daemon = new Daemon({
    config,
    logger: captureLogger(logs),
    retry: { minMs: 50, maxMs: 200 },
    notificationRetry: { baseMs: 200, maxMs: 1000 },
    voicemailRetry: { baseMs: 200, maxMs: 1000 },
    pagingPollMs: 200,
    // Never the configured port: tests run side by side (and beside other programs).
    httpListen: '127.0.0.1:0',
    ...options.daemon,
  });
  await daemon.start();
  await until(() => sim.connectedWebSockets > 0, 10_000, 'the daemon to connect');
  const harness: Harness = {
    sim,
    daemon,
    dir,
    logs,
    async finishedCall(channelId, timeoutMs = 15_000) {
      return until(
        () => {
          const row = harness.daemon.db.prepare('SELECT * FROM calls WHERE channel_id = ?').get(channelId) as
            CallRow | undefined;
          return row !== undefined && row.ended_at !== null ? row : undefined;
        },
        timeoutMs,
        `call on ${channelId} to finish`,
      );
    },
    // Read straight from the daemon's database, as an operator's sqlite3 would (the same SQL as
    // the call log's legsOfCall and voicemailsOfCall), so that polling conditions stay synchronous.
    legs: (callId) =>
      harness.daemon.db
        .prepare('SELECT * FROM call_legs WHERE call_id = ? ORDER BY started_at, position, rowid')
        .all(callId) as LegRow[],
    voicemails: (callId) =>
      harness.daemon.db
        .prepare('SELECT * FROM voicemails WHERE call_id = ? ORDER BY created_at')
        .all(callId) as VoicemailRow[],
    pages: () =>
      harness.daemon.db.prepare('SELECT * FROM pages ORDER BY id DESC LIMIT 100').all() as PageRow[],
    async stop() {
      await harness.daemon.stop();
      await sim.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return harness;
}

/**
 * What every test must leave behind: nothing in Asterisk, no request outside the ARI
 * declarations, no prompt played that its flow does not declare (src/callflow/flowPrompts.ts):
 * such a prompt would not be made when the configuration loads, and no prompt missed (asked for
 * before its audio was made): a caller would have heard the stock fallback or waited.
 */
export async function expectCleanAsterisk(harness: Harness): Promise<void> {
  await until(
    () => {
      const left = harness.sim.leftovers();
      return left.channels.length === 0 && left.bridges.length === 0 ? true : undefined;
    },
    5000,
    'Asterisk to hold no channel and no bridge',
  ).catch(() => undefined);
  expect(harness.sim.leftovers()).toEqual({ channels: [], bridges: [] });
  expect(harness.sim.violations).toEqual([]);
  expect(harness.daemon.promptLibrary?.undeclared ?? []).toEqual([]);
  expect(harness.daemon.promptLibrary?.misses ?? 0).toBe(0);
}

/**
 * A fresh daemon and simulator for every test of the file, handed to `use`; after each test,
 * Asterisk must be clean, and everything is stopped even when that check fails.
 */
export function useHarness(
  options: Parameters<typeof startHarness>[0],
  use: (harness: Harness) => void,
): void {
  let current: Harness | undefined;
  beforeEach(async () => {
    current = await startHarness(options);
    use(current);
  });
  afterEach(async () => {
    try {
      await expectCleanAsterisk(current!);
    } finally {
      await current!.stop();
    }
  });
}
