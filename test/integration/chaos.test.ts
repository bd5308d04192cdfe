/**
 * Chaos on the engine: 200 pages escalating on short timers across three daemon processes on
 * one PostgreSQL, while one daemon is killed (SIGKILL), one is stopped and resumed
 * (SIGSTOP/SIGCONT), and one loses its database connections for a while (a loopback proxy
 * that cuts them). At the end every page's timeline is what one daemon alone would have
 * written (no step twice, none skipped) and every webhook was delivered exactly once.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfigText } from '../../src/config/load';
import { silentLogger } from '../../src/log/logger';
import { PagingService } from '../../src/paging/service';
import { AsteriskSimulator } from '../../src/simulator';
import { NotificationStore } from '../../src/store/notifications';
import { PageStore } from '../../src/store/pages';
import { openPostgres } from '../../src/store/sql/postgres';
import { startCuttingProxy, type CuttingProxy } from '../helpers/cuttingProxy';
import { killHard, startDaemonProcess, type DaemonProcess } from '../helpers/daemonProcess';
import { describeWithPostgres } from '../helpers/postgres';

const PAGES = 200;
const APPS = ['lcr-a', 'lcr-b', 'lcr-c'] as const;

const yamlFor = (simUrl: string, databaseUrl: string, app: string, hookUrl: string): string => `
asterisk: { url: ${simUrl}, username: lcr, password: lcr-secret, request_timeout: 2s, app: ${app}, peers: [${APPS.filter((a) => a !== app).join(', ')}] }
settings: { storage_dir: ./data, http_listen: 127.0.0.1:0, node_id: node-${app}, database: { url: '${databaseUrl}', lease: 2s } }
prompts: { engine: none }
notifications:
  webhooks: [{ id: chat, url: '${hookUrl}', max_attempts: 10 }]
responders:
  - { id: alice, name: Alice, notify: [] }
  - { id: bob, name: Bob, notify: [] }
  - { id: carol, name: Carol, notify: [] }
escalation_policies:
  - id: p
    levels:
      - { targets: [{ responder: alice }], escalate_after: 2s }
      - { targets: [{ responder: bob }], escalate_after: 2s }
      - { targets: [{ responder: carol }], escalate_after: 2s }
teams: [{ id: ops, name: Operations, escalation_policy: p }]
routes:
  - { id: main, name: Main, numbers: ['+1 555 0100'], routing: voicemail, options: [{ key: 1, team: ops, label: Ops }] }
`;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describeWithPostgres('chaos: three daemons, one killed, one paused, one cut off', (cluster) => {
  test('every page escalates exactly as one daemon alone would, every webhook once', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lcr-chaos-'));
    const sim = await AsteriskSimulator.start({ timeScale: 0.1 });
    const databaseUrl = await cluster().createDatabase();
    const port = Number(new URL(databaseUrl).port);
    const deliveries = new Map<number, number>();
    const hooks = http.createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      request.on('end', () => {
        const id = (JSON.parse(body) as { delivery_id: number }).delivery_id;
        deliveries.set(id, (deliveries.get(id) ?? 0) + 1);
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => hooks.listen(0, '127.0.0.1', resolve));
    const hookUrl = `http://127.0.0.1:${(hooks.address() as { port: number }).port}/hook`;
    const proxies: CuttingProxy[] = [];
    const daemons: DaemonProcess[] = [];
    const sql = await openPostgres({ url: databaseUrl, poolSize: 4 });
    try {
      for (const app of APPS) {
        const proxy = await startCuttingProxy({ host: '127.0.0.1', port });
        proxies.push(proxy);
        const file = path.join(dir, `${app}.yaml`);
        fs.writeFileSync(
          file,
          yamlFor(sim.url, databaseUrl.replace(`:${port}/`, `:${proxy.port}/`), app, hookUrl),
        );
        daemons.push(startDaemonProcess(file));
      }
      const file = path.join(dir, 'lcr-a.yaml');
      const { config } = loadConfigText(fs.readFileSync(file, 'utf8'), 'lcr-a.yaml', file);
      const paging = new PagingService({
        sql,
        config: () => config,
        pages: new PageStore(sql),
        notifications: new NotificationStore(sql),
        logger: silentLogger,
      });
      for (const app of APPS) {
        for (let i = 0; i < 400 && !sim.engine.apps.isActive(app); i++) await sleep(50);
        if (!sim.engine.apps.isActive(app)) throw new Error(`${app} did not connect`);
      }

      // The pages arrive over two seconds; the chaos starts as the first escalations fall due.
      const triggering = (async () => {
        for (let i = 0; i < PAGES; i++) {
          await paging.trigger({
            teamId: 'ops',
            routeId: 'main',
            callId: null,
            voicemailId: null,
            callerNumber: null,
            summary: `chaos ${i}`,
            at: Date.now(),
          });
          if (i % 20 === 19) await sleep(200);
        }
      })();
      // The daemon that holds the engine's leases is the one paused: another must take over
      // while it sleeps, and it must find itself fenced out when it wakes.
      await sleep(1000);
      const holder = (await sql.get<{ holder: string }>(
        `SELECT holder FROM leases WHERE name = 'escalate-due-pages'`,
      ))!.holder;
      const paused = APPS.findIndex((app) => `node-${app}` === holder);
      const [killed, cutOff] = [0, 1, 2].filter((i) => i !== paused) as [number, number];
      await killHard(daemons[killed]!.child);
      daemons[paused]!.child.kill('SIGSTOP');
      // Past the 2 s lease the third daemon takes the engine over (on a busy machine, later).
      const takenOver = Date.now() + 20_000;
      for (;;) {
        const lease = await sql.get<{ holder: string }>(
          `SELECT holder FROM leases WHERE name = 'escalate-due-pages'`,
        );
        if (lease!.holder === `node-${APPS[cutOff]}`) break;
        if (Date.now() > takenOver) throw new Error('nobody took the engine over from the paused daemon');
        await sleep(100);
      }
      proxies[cutOff]!.cut();
      await sleep(1500);
      daemons[paused]!.child.kill('SIGCONT');
      await sleep(1500);
      proxies[cutOff]!.heal();
      await triggering;

      const until = Date.now() + 60_000;
      for (;;) {
        const open = await sql.get<{ n: number }>(
          `SELECT COUNT(*) AS n FROM pages WHERE next_escalation_at IS NOT NULL`,
        );
        const unsent = await sql.get<{ n: number }>(
          `SELECT COUNT(*) AS n FROM notifications WHERE status != 'sent'`,
        );
        if (open!.n === 0 && unsent!.n === 0) break;
        if (Date.now() > until) {
          const rows = await sql.all(
            'SELECT id, status, attempts, claimed_by, updated_at, result FROM notifications WHERE status != ?',
            ['sent'],
          );
          throw new Error(
            `not settled: ${open!.n} pages still escalating, ${unsent!.n} webhooks unsent: ${JSON.stringify(rows)} at ${Date.now()}`,
          );
        }
        await sleep(200);
      }

      const events = await sql.all<{ page_id: number; type: string; n: number }>(
        'SELECT page_id, type, COUNT(*) AS n FROM page_events GROUP BY page_id, type',
      );
      const perPage = new Map<number, Record<string, number>>();
      for (const e of events) perPage.set(e.page_id, { ...perPage.get(e.page_id), [e.type]: e.n });
      const notifications = await sql.all<{ id: number; attempts: number }>(
        'SELECT id, attempts FROM notifications',
      );
      const twice = [...deliveries.values()].filter((n) => n > 1).length;
      const leases = await sql.all<{ name: string; holder: string; token: number }>(
        'SELECT name, holder, token FROM leases ORDER BY name',
      );
      console.log(
        [
          `chaos: ${perPage.size} pages, ${events.reduce((sum, e) => sum + e.n, 0)} timeline events,`,
          `${notifications.length} webhooks (${deliveries.size} delivered, ${twice} twice),`,
          `leases: ${leases.map((l) => `${l.name}=${l.holder}#${l.token}`).join(' ')}`,
        ].join(' '),
      );
      expect(perPage.size).toBe(PAGES);
      for (const [pageId, counts] of perPage)
        expect({ pageId, ...counts }).toEqual({
          pageId,
          triggered: 1,
          assigned: 1,
          escalated: 2,
          exhausted: 1,
        });
      // triggered, escalated twice and exhausted: four webhooks a page, each delivered once.
      expect(notifications.length).toBe(PAGES * 4);
      expect(twice).toBe(0);
      expect(deliveries.size).toBe(notifications.length);
      expect(new Set(notifications.map((n) => n.id))).toEqual(new Set(deliveries.keys()));
      // The engine did change hands while the first holder slept.
      expect(leases.find((l) => l.name === 'escalate-due-pages')!.token).toBeGreaterThan(1);
    } catch (error) {
      const logs = daemons.map((d, i) => `--- ${APPS[i]} stderr:\n${d.stderr().slice(-3000)}`).join('\n');
      throw new Error(`${(error as Error).message}\n${logs}`, { cause: error });
    } finally {
      for (const daemon of daemons) daemon.child.kill('SIGCONT');
      for (const daemon of daemons) await killHard(daemon.child);
      for (const proxy of proxies) await proxy.close();
      await sql.close();
      await new Promise((resolve) => hooks.close(resolve));
      await sim.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
