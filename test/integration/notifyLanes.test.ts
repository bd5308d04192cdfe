/**
 * Phone pages against broken email and webhook peers on loopback: an SMTP server that accepts
 * connections and never says a word, one that answers every line slowly, and a webhook
 * receiver that never answers. Each channel and webhook target has its own lane, so a phone
 * page is dialled at once whatever the others do, and every email and webhook attempt is
 * bounded by its timeout and retried (issue 17, item 3).
 */
import { TEST_CONFIG, expectCleanAsterisk, startHarness, type Harness, until } from '../helpers/harness';
import { startHttpPeer, startSilentPeer, startSlowSmtpPeer, type HttpPeer } from '../helpers/peers';
import { accepts } from '../helpers/people';
import type { NotificationRow } from '../../src/store/notifications';
import type { PageRow } from '../../src/store/pages';

/** dave is reached by email only, in a team of his own; carol (net-team) by phone only. */
function configWith(notifications: string): string {
  return TEST_CONFIG.replace(
    '  - { id: dave, name: Dave }',
    '  - { id: dave, name: Dave, email: dave@example.com }',
  )
    .replace(
      'escalation_policies:',
      `notifications:\n${notifications}\nescalation_policies:\n  - id: mail-policy\n    levels:\n      - { targets: [{ responder: dave }] }`,
    )
    .replace('teams:', 'teams:\n  - { id: mail-team, name: Mail, escalation_policy: mail-policy }');
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function harness(notifications: string): Promise<Harness> {
  const h = await startHarness({ yaml: configWith(notifications) });
  cleanups.push(async () => {
    try {
      await expectCleanAsterisk(h);
    } finally {
      await h.stop();
    }
  });
  return h;
}

async function hangingReceiver(): Promise<HttpPeer> {
  const peer = await startHttpPeer();
  peer.scripts['/hook'] = Array<'hang'>(200).fill('hang');
  cleanups.push(() => peer.stop());
  return peer;
}

async function page(h: Harness, teamId: string, summary: string): Promise<number> {
  const triggered = await h.daemon.paging.trigger({
    teamId,
    routeId: 'main',
    callId: null,
    voicemailId: null,
    callerNumber: null,
    summary,
    at: Date.now(),
  });
  return triggered.pageId;
}

// Read straight from the daemon's database, as an operator's sqlite3 would: `until` polls synchronously.
const pageRow = (h: Harness, pageId: number): PageRow | undefined =>
  h.daemon.db.prepare('SELECT * FROM pages WHERE id = ?').get(pageId) as PageRow | undefined;
const notificationRows = (h: Harness, pageId: number): NotificationRow[] =>
  h.daemon.db
    .prepare('SELECT * FROM notifications WHERE page_id = ? ORDER BY id')
    .all(pageId) as NotificationRow[];

test('a phone page is dialled at once while SMTP hangs and the webhook receiver never answers', async () => {
  const smtp = await startSilentPeer();
  cleanups.push(() => smtp.stop());
  const receiver = await hangingReceiver();
  const h = await harness(
    `  email: { host: 127.0.0.1, port: ${smtp.port}, tls: none, from: pages@example.com, timeout: 30s }
  webhooks:
    - { id: ops, url: '${receiver.url}/hook', timeout: 30s }`,
  );
  // More stuck sends than the old shared pool of 20 had room for.
  for (let i = 0; i < 15; i++) await page(h, 'mail-team', `mail page ${i}`);
  await until(() => receiver.requests.length >= 4 || undefined, 10_000, 'the webhook sends to hang');

  h.sim.phone('PJSIP/carol', accepts());
  const phonePage = await page(h, 'net-team', 'phone page');
  const leg = await until(
    () => h.sim.legs().find((l) => l.dialstring.endsWith('carol')),
    10_000,
    "carol's phone to be dialled",
  );
  expect(leg).toBeDefined();
  await until(
    () => pageRow(h, phonePage)!.status === 'acknowledged' || undefined,
    20_000,
    'carol to acknowledge the page',
  );
}, 60_000);

test('every email and webhook attempt is bounded by its timeout, then tried again', async () => {
  const smtp = await startSlowSmtpPeer(700);
  cleanups.push(() => smtp.stop());
  const receiver = await hangingReceiver();
  const h = await harness(
    `  email: { host: 127.0.0.1, port: ${smtp.port}, tls: none, from: pages@example.com, timeout: 1s, max_attempts: 3 }
  webhooks:
    - { id: ops, url: '${receiver.url}/hook', timeout: 1s, max_attempts: 2, events: [triggered] }`,
  );
  const pageId = await page(h, 'mail-team', 'mail page');
  const rows = await until(
    () => {
      const all = notificationRows(h, pageId);
      return all.length >= 2 && all.every((n) => n.status === 'failed') ? all : undefined;
    },
    30_000,
    'the email and the webhook to fail after their attempts',
  );
  const email = rows.find((n) => n.channel === 'email')!;
  const webhook = rows.find((n) => n.channel === 'webhook')!;
  expect(email.attempts).toBe(3);
  expect(webhook.attempts).toBe(2);
  for (const attempt of await h.daemon.notifications.attempts(email.id))
    expect(attempt.detail).toContain('the SMTP server took longer than 1s to take the message');
  for (const attempt of await h.daemon.notifications.attempts(webhook.id))
    expect(attempt.detail).toBe('ops: no answer within 1s');
}, 60_000);
