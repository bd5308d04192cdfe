/**
 * The PostgreSQL test harness itself: a throwaway cluster, separate empty databases, and the
 * cutting proxy that the chaos tests use to take a daemon's database connections away.
 */
import { Client } from 'pg';
import { describeWithPostgres } from '../helpers/postgres';
import { startCuttingProxy, type CuttingProxy } from '../helpers/cuttingProxy';

/** A connected client whose connection errors surface through its queries, not as an 'error' event. */
async function connect(url: string): Promise<Client> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  client.on('error', () => {});
  await client.connect();
  return client;
}

describeWithPostgres('the PostgreSQL test harness', (cluster) => {
  test('the cluster is reachable, with durability off, and databases are separate and empty', async () => {
    const admin = await connect(cluster().url);
    try {
      expect((await admin.query('SHOW fsync')).rows).toEqual([{ fsync: 'off' }]);
    } finally {
      await admin.end();
    }
    const first = await cluster().createDatabase();
    const second = await cluster().createDatabase();
    expect(first).not.toBe(second);
    const a = await connect(first);
    const b = await connect(second);
    try {
      expect((await a.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      expect((await b.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      await a.query('CREATE TABLE only_here (id integer)');
      const tables = "SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'";
      expect((await a.query(tables)).rows).toEqual([{ n: 1 }]);
      expect((await b.query(tables)).rows).toEqual([{ n: 0 }]);
    } finally {
      await a.end();
      await b.end();
    }
  });

  describe('the cutting proxy', () => {
    let proxy: CuttingProxy;
    let viaProxy: string;

    beforeAll(async () => {
      proxy = await startCuttingProxy({ host: '127.0.0.1', port: cluster().port });
      const db = new URL(await cluster().createDatabase());
      db.port = String(proxy.port);
      viaProxy = db.toString();
    });
    afterAll(() => proxy.close());

    test('cut() breaks open connections and refuses new ones; heal() lets new ones through', async () => {
      const client = await connect(viaProxy);
      expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      expect(proxy.connections()).toBe(1);

      proxy.cut();
      expect(proxy.connections()).toBe(0);
      await expect(client.query('SELECT 1')).rejects.toThrow(
        /Connection terminated|ECONNRESET|not queryable/,
      );
      await expect(connect(viaProxy)).rejects.toThrow(/Connection terminated|ECONNRESET/);
      await client.end().catch(() => {});

      proxy.heal();
      const again = await connect(viaProxy);
      try {
        expect((await again.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
        expect(proxy.connections()).toBe(1);
      } finally {
        await again.end();
      }
    });
  });
});
