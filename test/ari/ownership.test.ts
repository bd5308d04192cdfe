/**
 * One application name, one daemon (src/ari/ownership.ts): the owner record in an Asterisk
 * global variable, unit by unit here; against the simulator in test/integration/ownership.test.ts.
 */
import {
  ApplicationTaken,
  Ownership,
  formatOwner,
  parseOwner,
  type GlobalVariables,
} from '../../src/ari/ownership';
import { silentLogger } from '../../src/log/logger';

class Variables implements GlobalVariables {
  readonly values = new Map<string, string>();
  getGlobalVariable(name: string): Promise<string> {
    return Promise.resolve(this.values.get(name) ?? '');
  }
  setGlobalVariable(name: string, value: string): Promise<void> {
    this.values.set(name, value);
    return Promise.resolve();
  }
}

function ownership(vars: Variables, database: string, node: string, at: { now: number }): Ownership {
  return new Ownership(vars, {
    app: 'lcr',
    database,
    node,
    logger: silentLogger,
    heartbeatMs: 5000,
    now: () => at.now,
  });
}

test('the record reads back as written; anything else is no record', () => {
  const record = { node: 'host/42/ab12', database: '0123abcd', heartbeatAt: 1_700_000_000_000 };
  expect(formatOwner(record)).toBe('host/42/ab12;0123abcd;1700000000000');
  expect(parseOwner(formatOwner(record))).toEqual(record);
  for (const value of ['', 'garbage', 'a;b', 'a;b;c', 'a;b;1;extra'])
    expect(parseOwner(value)).toBeUndefined();
});

test('a fresh heartbeat from another database refuses; nothing is written', async () => {
  const vars = new Variables();
  const at = { now: 100_000 };
  await ownership(vars, 'db-one', 'first', at).claim();
  at.now += 14_000;
  const second = ownership(vars, 'db-two', 'second', at);
  await expect(second.claim()).rejects.toBeInstanceOf(ApplicationTaken);
  await expect(second.claim()).rejects.toThrow(
    /another lcr daemon \(first, database db-one\) is connected to Asterisk as application "lcr" \(its heartbeat is 14 s old\)/,
  );
  expect(vars.values.get('LCR_OWNER_lcr')).toBe('first;db-one;100000');
});

test('a stale heartbeat from another database is taken over', async () => {
  const vars = new Variables();
  const at = { now: 100_000 };
  await ownership(vars, 'db-one', 'first', at).claim();
  at.now += 15_000;
  await ownership(vars, 'db-two', 'second', at).claim();
  expect(vars.values.get('LCR_OWNER_lcr')).toBe('second;db-two;115000');
});

test('a fresh heartbeat of the same database (the previous process) is taken over', async () => {
  const vars = new Variables();
  const at = { now: 100_000 };
  await ownership(vars, 'db-one', 'old-process', at).claim();
  at.now += 1000;
  await ownership(vars, 'db-one', 'new-process', at).claim();
  expect(vars.values.get('LCR_OWNER_lcr')).toBe('new-process;db-one;101000');
});

test('a clean stop clears its own record only, and one that left calls keeps it', async () => {
  const vars = new Variables();
  const at = { now: 100_000 };
  const first = ownership(vars, 'db-one', 'first', at);
  await first.claim();
  await first.stop(false);
  expect(vars.values.get('LCR_OWNER_lcr')).toBe('first;db-one;100000');
  await first.stop(true);
  expect(vars.values.get('LCR_OWNER_lcr')).toBe('');
  at.now += 60_000;
  const second = ownership(vars, 'db-two', 'second', at);
  await second.claim();
  await first.stop(true);
  expect(vars.values.get('LCR_OWNER_lcr')).toBe('second;db-two;160000');
});

test('the heartbeat keeps a rival out while the owner runs; once it stops beating, the rival takes over', async () => {
  jest.useFakeTimers();
  try {
    const vars = new Variables();
    const at = { now: 100_000 };
    const first = ownership(vars, 'db-one', 'first', at);
    await first.claim();
    first.startHeartbeat(() => true);
    const rival = ownership(vars, 'db-two', 'second', at);
    for (let i = 0; i < 6; i++) {
      at.now += 5000;
      await jest.advanceTimersByTimeAsync(5000);
      await expect(rival.claim()).rejects.toBeInstanceOf(ApplicationTaken);
    }
    await first.stop(false);
    at.now += 15_000;
    await jest.advanceTimersByTimeAsync(15_000);
    await rival.claim();
    expect(vars.values.get('LCR_OWNER_lcr')).toMatch(/^second;db-two;/);
  } finally {
    jest.useRealTimers();
  }
});
