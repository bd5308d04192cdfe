/**
 * A real, throwaway PostgreSQL for tests: the cluster itself (initdb, a free loopback port,
 * durability off, one empty database per caller) is src/bench/postgresCluster.ts, shared with
 * the benchmarks; this adds the describe block that starts one for a test file.
 *
 * Without PostgreSQL, `describeWithPostgres` registers one test saying so, which passes; in CI
 * (CI=true) it fails instead, so the suites that need a database are never skipped silently.
 */
import { checkPostgres, type PostgresCluster, startPostgres } from '../../src/bench/postgresCluster';

export { findPostgresBin, startPostgres, type PostgresCluster } from '../../src/bench/postgresCluster';

/** Whether a test file can start PostgreSQL here, and if not, why. */
export function postgresOrSkip(): { available: boolean; reason?: string } {
  return checkPostgres();
}

/**
 * A describe block with one PostgreSQL cluster, started before its tests and stopped after them;
 * `cluster()` returns it inside tests and hooks. Without PostgreSQL: a single test saying so, which
 * passes, or fails in CI (CI=true), which must run these tests.
 */
export function describeWithPostgres(name: string, body: (cluster: () => PostgresCluster) => void): void {
  const { available, reason } = postgresOrSkip();
  if (!available) {
    const message = `SKIPPED: PostgreSQL is not installed (apt-get install postgresql) — ${reason}`;
    test(message, () => {
      // CI must run the tests that need PostgreSQL.
      if (process.env['CI'] === 'true') throw new Error(message);
    });
    return;
  }
  describe(name, () => {
    let started: PostgresCluster | undefined;
    beforeAll(async () => {
      started = await startPostgres();
    }, 60_000);
    afterAll(async () => {
      await started?.stop();
    }, 60_000);
    body(() => {
      if (started === undefined)
        throw new Error('the PostgreSQL cluster is not started yet: use it in tests or hooks');
      return started;
    });
  });
}
