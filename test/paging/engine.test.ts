/**
 * The engine's loop with a fake clock: start-only modules first and once, each periodic module on
 * its own schedule (its next known work, else its poll), woken on demand, never run twice at
 * once, never held up by another, retried after a failure, and stopped without a lost write.
 */
import { silentLogger, type Logger } from '../../src/log/logger';
import { PagingEngine, type EngineModule, type ModuleRun } from '../../src/paging/engine';
import type { Transactional } from '../../src/paging/service';
import { openDatabase } from '../../src/store/database';
import { SqliteDatabase } from '../../src/store/sql/sqlite';
import { FakeClock } from '../helpers/fakeClock';

const SECOND = 1000;
const sql = new SqliteDatabase(openDatabase(':memory:'), 'sqlite::memory:');
const tx: Transactional = (work) => sql.transaction(work);
afterAll(() => sql.close());

interface Recorder extends EngineModule {
  runs: number[];
}

function recorder(
  clock: FakeClock,
  name: string,
  options: {
    atStartOnly?: boolean;
    pollMs?: number;
    next?: (now: number) => number | undefined;
    work?: () => Promise<void>;
    fail?: () => boolean;
  } = {},
): Recorder {
  const runs: number[] = [];
  return {
    name,
    runs,
    ...(options.atStartOnly === undefined ? {} : { atStartOnly: options.atStartOnly }),
    ...(options.pollMs === undefined ? {} : { pollMs: options.pollMs }),
    async runOnce(now): Promise<ModuleRun> {
      runs.push(now - start(clock));
      if (options.fail?.()) throw new Error(`${name} broke`);
      await options.work?.();
      const next = options.next?.(now);
      return next === undefined ? {} : { next };
    },
  };
}

/** Run times are kept relative to the clock's start, to keep the expectations readable. */
const origins = new WeakMap<FakeClock, number>();
const start = (clock: FakeClock): number => origins.get(clock)!;

function setup(modules: (clock: FakeClock) => EngineModule[], pollMs = 10 * SECOND) {
  const clock = new FakeClock();
  origins.set(clock, clock.time);
  const errors: string[] = [];
  const logger: Logger = { ...silentLogger, error: (message) => errors.push(message) };
  const list = modules(clock);
  const engine = new PagingEngine({
    modules: list,
    clock,
    tx,
    logger: logger as typeof silentLogger,
    pollMs,
  });
  return { clock, engine, errors, list };
}

test('start-only modules run once, in order, before any other; the others run at once after', async () => {
  const order: string[] = [];
  const { clock, engine, list } = setup((clock) => [
    recorder(clock, 'close', { atStartOnly: true, work: async () => void order.push('close') }),
    recorder(clock, 'release', { atStartOnly: true, work: async () => void order.push('release') }),
    recorder(clock, 'escalate', { work: async () => void order.push('escalate') }),
  ]);
  await engine.start();
  expect(order).toEqual(['close', 'release']);
  await clock.advance(0);
  expect(order).toEqual(['close', 'release', 'escalate']);
  await clock.advance(60 * SECOND);
  const [close, release, escalate] = list as Recorder[];
  expect(close!.runs).toEqual([0]);
  expect(release!.runs).toEqual([0]);
  // Nothing known to do: it looks again at each poll.
  expect(escalate!.runs).toEqual([0, 10, 20, 30, 40, 50, 60].map((s) => s * SECOND));
  await engine.stop();
});

test('a module runs when its next work is due, or at its own poll, whichever comes first', async () => {
  const { clock, engine, list } = setup((clock) => [
    recorder(clock, 'due', { next: (now) => now + 3 * SECOND }),
    recorder(clock, 'hourly', { pollMs: 3600 * SECOND }),
    recorder(clock, 'woken-only', { pollMs: Infinity }),
  ]);
  await engine.start();
  await clock.advance(10 * SECOND);
  const [due, hourly, wokenOnly] = list as Recorder[];
  expect(due!.runs).toEqual([0, 3, 6, 9].map((s) => s * SECOND));
  expect(hourly!.runs).toEqual([0]);
  expect(wokenOnly!.runs).toEqual([0]);
  expect(engine.dueTimes()).toEqual({
    due: clock.time + 2 * SECOND,
    hourly: start(clock) + 3600 * SECOND,
    'woken-only': Infinity,
  });
  // One timer, for the earliest module.
  expect(clock.pending).toEqual([clock.time + 2 * SECOND]);
  await engine.stop();
  expect(clock.pending).toEqual([]);
});

test('wake runs the named modules at once, or every periodic one when none is named', async () => {
  const { clock, engine, list } = setup((clock) => [
    recorder(clock, 'a', { pollMs: Infinity }),
    recorder(clock, 'b', { pollMs: Infinity }),
    recorder(clock, 'once', { atStartOnly: true }),
  ]);
  await engine.start();
  await clock.advance(SECOND);
  engine.wake('b');
  await clock.advance(SECOND);
  engine.wake();
  await clock.advance(SECOND);
  const [a, b, once] = list as Recorder[];
  expect(a!.runs).toEqual([0, 2 * SECOND]);
  expect(b!.runs).toEqual([0, SECOND, 2 * SECOND]);
  expect(once!.runs).toEqual([0]);
  await engine.stop();
});

test('a slow module holds up no other, and is never run twice at once', async () => {
  let release: () => void = () => undefined;
  let inside = 0;
  let most = 0;
  const { clock, engine, list } = setup((clock) => [
    recorder(clock, 'slow', {
      pollMs: SECOND,
      work: async () => {
        most = Math.max(most, ++inside);
        await new Promise<void>((resolve) => (release = resolve));
        inside--;
      },
    }),
    recorder(clock, 'fast', { pollMs: SECOND }),
  ]);
  await engine.start();
  await clock.advance(5 * SECOND);
  const [slow, fast] = list as Recorder[];
  expect(slow!.runs).toEqual([0]);
  expect(fast!.runs).toEqual([0, 1, 2, 3, 4, 5].map((s) => s * SECOND));
  // Woken while it runs: it runs again right after, not beside itself.
  engine.wake('slow');
  engine.wake('slow');
  await clock.advance(0);
  expect(slow!.runs).toEqual([0]);
  release();
  await clock.advance(0);
  expect(slow!.runs).toEqual([0, 5 * SECOND]);
  release();
  await clock.advance(SECOND);
  expect(slow!.runs).toEqual([0, 5 * SECOND, 6 * SECOND]);
  expect(most).toBe(1);
  const stopped = engine.stop();
  let done = false;
  void stopped.then(() => (done = true));
  await clock.advance(0);
  // Stopping waits for the run in progress (it may still have a write to make), starts nothing new.
  expect(done).toBe(false);
  release();
  await stopped;
  await clock.advance(10 * SECOND);
  expect(slow!.runs).toHaveLength(3);
  expect(fast!.runs.at(-1)).toBe(6 * SECOND);
});

test('a failing module is logged and tried again after the poll; the others go on', async () => {
  let broken = true;
  const { clock, engine, errors, list } = setup(
    (clock) => [
      recorder(clock, 'flaky', { pollMs: Infinity, fail: () => broken }),
      recorder(clock, 'steady', { pollMs: 2 * SECOND }),
      recorder(clock, 'recovery', { atStartOnly: true, fail: () => true }),
    ],
    5 * SECOND,
  );
  // A failed recovery does not stop the start.
  await engine.start();
  await clock.advance(6 * SECOND);
  broken = false;
  await clock.advance(10 * SECOND);
  const [flaky, steady] = list as Recorder[];
  expect(flaky!.runs).toEqual([0, 5 * SECOND, 10 * SECOND]);
  expect(steady!.runs).toHaveLength(9);
  expect(errors).toEqual([
    'engine module failed; trying again shortly',
    'engine module failed; trying again shortly',
    'engine module failed; trying again shortly',
  ]);
  await engine.stop();
});

test('modules need distinct names; a stopped engine ignores wake-ups', async () => {
  const clock = new FakeClock();
  origins.set(clock, clock.time);
  const twice = [recorder(clock, 'x'), recorder(clock, 'x')];
  expect(() => new PagingEngine({ modules: twice, clock, tx, logger: silentLogger, pollMs: 1 })).toThrow(
    'distinct names',
  );
  const { engine, list, clock: other } = setup((clock) => [recorder(clock, 'y')]);
  engine.wake();
  await other.advance(SECOND);
  expect((list[0] as Recorder).runs).toEqual([]);
});
