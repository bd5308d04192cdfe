/**
 * A database that takes no writes (a full disk: SQLite's max_page_count on the daemon's own
 * connection gives the real SQLITE_FULL): callers are still served. A direct route rings and
 * connects; a voicemail route asks the caller to call again instead of taking a message that
 * could reach nobody; every caller is answered, told and hung up, and the lost writes are counted.
 */
import { type Harness, startHarness, TEST_CONFIG } from '../helpers/harness';
import { type HttpPeer, startHttpPeer } from '../helpers/peers';
import { accepts, messageFor } from '../helpers/people';

const CONFIG = TEST_CONFIG.replace(
  'routes:\n',
  `routes:
  - id: full-direct
    name: Direct while full
    numbers: ['5550200']
    routing: direct
    options: [{ key: 1, team: db-team, label: Database }]
    direct: { confirm_timeout: 2s, on_no_answer: hangup }
`,
);

let h: Harness;
let peer: HttpPeer;
afterEach(async () => {
  await h.stop();
  await peer.stop();
});

/** The test configuration with a generic and a Slack webhook pointing at `peer`. */
function withWebhooks(url: string): string {
  return `${CONFIG}\nnotifications:\n  webhooks:\n    - { id: ops, url: '${url}/ops' }\n    - { id: chat, url: '${url}/chat', format: slack }\n`;
}

/**
 * The database may grow no more, and what room it had left is taken, in the calls table too (a
 * table's pages take rows until they are full): every new call row fails with SQLITE_FULL.
 */
function fillTheDisk(harness: Harness): void {
  const db = harness.daemon.db;
  const pages = db.pragma('page_count', { simple: true }) as number;
  db.pragma(`max_page_count = ${pages}`);
  const insert = db.prepare(
    `INSERT INTO calls (id, channel_id, caller_number, caller_name, dialed_number, started_at, ended_at, outcome)
     VALUES (?, 'filler', '', '', '', 0, 0, 'error')`,
  );
  for (let i = 0; ; i++) {
    try {
      insert.run(`filler-${i}`);
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_FULL') return;
      throw error;
    }
  }
}

async function channelEnded(harness: Harness, channelId: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (harness.sim.engine.channels.has(channelId)) {
    if (Date.now() > deadline) throw new Error(`channel ${channelId} still up`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('a full database: direct callers still reach a responder, voicemail callers are told and hung up', async () => {
  peer = await startHttpPeer();
  h = await startHarness({ yaml: withWebhooks(peer.url) });
  fillTheDisk(h);
  h.sim.phone('PJSIP/alice', accepts(500, 0, [{ waitFor: 'bridged' }, { wait: 1000 }, { hangup: true }]));
  const direct = h.sim.call({ to: '5550200', from: '+15551230001' });
  const voicemail = h.sim.call({ to: '+15550100', from: '+15551230002', steps: messageFor('1') });
  await channelEnded(h, direct.channelId);
  await channelEnded(h, voicemail.channelId);

  expect(direct.transcript.map((t) => t.kind)).toContain('bridged');
  const heard = voicemail.transcript.filter((t) => t.kind === 'played').map((t) => t.detail);
  expect(heard).toContain('sound:pls-try-call-later');
  expect(voicemail.transcript.some((t) => t.detail === 'recording started')).toBe(false);
  expect(voicemail.transcript.at(-1)?.kind).toBe('ended');

  const metrics = await (await fetch(`${h.daemon.httpUrl}/metrics`)).text();
  expect(Number(/^lcr_call_log_writes_lost_total (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThan(0);
  expect(h.logs.some((line) => line.includes('a call log write was lost'))).toBe(true);
  expect(h.sim.leftovers()).toEqual({ channels: [], bridges: [] });
  // The operators were told once, on each webhook, though many writes were lost.
  const alerts = peer.requests.filter((r) => r.headers['x-lcr-event'] === 'store_failing');
  expect(alerts.map((r) => r.path).sort()).toEqual(['/chat', '/ops']);
  expect(JSON.parse(alerts.find((r) => r.path === '/ops')!.body)).toMatchObject({
    event: 'store_failing',
    error: expect.stringMatching(/full/i),
  });
});
