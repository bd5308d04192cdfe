/**
 * Direct calls on the record (`direct.page`): with on_call_start a page opens as the phones
 * ring and tells the chat webhooks only; who accepts takes it (acknowledged, nobody notified);
 * when nobody does it goes on as the voicemail page. A real webhook receiver and SMTP server on
 * loopback.
 */
import type { NotificationRow } from '../../src/store/notifications';
import type { PageAssignmentRow, PageCallerRow, PageEventRow } from '../../src/store/pages';
import { expectCleanAsterisk, startHarness, type Harness, until } from '../helpers/harness';
import { startHttpPeer, startSmtpPeer, type HttpPeer, type SmtpPeer } from '../helpers/peers';
import { accepts, leaveMessage, neverAnswers } from '../helpers/people';

function config(smtp: SmtpPeer, hook: HttpPeer): string {
  return `
asterisk: { url: http://127.0.0.1:1, username: lcr, password: lcr-secret, request_timeout: 2s }
settings: { storage_dir: ./data }
notifications:
  email: { host: 127.0.0.1, port: ${smtp.port}, tls: none, from: pages@example.com, timeout: 2s }
  webhooks:
    - { id: chat, url: '${hook.url}/hook', format: generic }
responders:
  - { id: alice, name: Alice, phones: ['PJSIP/alice'], email: alice@example.com, notify: [email] }
  - { id: bob, name: Bob, phones: ['PJSIP/bob'], email: bob@example.com, notify: [email] }
escalation_policies:
  - id: p
    levels:
      - { targets: [{ responder: alice }, { responder: bob }], ring_timeout: 3s, escalate_after: 5m }
teams:
  - { id: ops, name: Operations, escalation_policy: p }
routes:
  - id: live
    name: Ops hotline
    numbers: ['5550200']
    routing: direct
    options: [{ key: 1, team: ops, label: Operations }]
    direct: { confirm_timeout: 2s, on_no_answer: voicemail, page: on_call_start }
    voicemail: { max_silence: 2s }
  - id: live-kept
    name: Ops kept open
    numbers: ['5550201']
    routing: direct
    options: [{ key: 1, team: ops, label: Operations }]
    direct: { confirm_timeout: 2s, on_no_answer: hangup, page: on_call_start, resolve_on_hangup: false }
`;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(): Promise<{ h: Harness; smtp: SmtpPeer; hook: HttpPeer }> {
  const smtp = await startSmtpPeer();
  const hook = await startHttpPeer();
  const h = await startHarness({ yaml: config(smtp, hook), timeScale: 0.1 });
  cleanups.push(async () => {
    try {
      await expectCleanAsterisk(h);
    } finally {
      await h.stop();
      await smtp.stop();
      await hook.stop();
    }
  });
  return { h, smtp, hook };
}

const all = <T>(h: Harness, sql: string, ...params: unknown[]): T[] =>
  h.daemon.db.prepare(sql).all(...params) as T[];
const hookEvents = (hook: HttpPeer): string[] =>
  hook.requests.map((r) => (JSON.parse(r.body) as { event: string }).event);

test('on_call_start, answered: the page opens as the phones ring and is taken by who accepts; resolved at hang-up', async () => {
  const { h, smtp, hook } = await start();
  h.sim.phone('PJSIP/alice', accepts(2000));
  h.sim.phone('PJSIP/bob', neverAnswers);
  const call = h.sim.call({
    to: '5550200',
    from: '+15551230001',
    steps: [{ waitFor: 'bridged' }, { wait: 3000 }, { hangup: true }],
  });
  // While the phones ring: open, in the chat, nobody assigned, nothing escalating.
  const ringing = await until(() => h.pages()[0], 10_000, 'the page while ringing');
  expect(ringing).toMatchObject({
    status: 'triggered',
    team_id: 'ops',
    caller_number: '+15551230001',
    next_escalation_at: null,
    voicemail_id: null,
  });
  expect(ringing.summary).toBe('Call in progress from +15551230001, Operations (via Ops hotline)');
  await until(() => (hookEvents(hook).includes('triggered') ? true : undefined), 10_000, 'the chat message');
  expect(all<PageAssignmentRow>(h, 'SELECT * FROM page_assignments')).toEqual([]);

  const row = await h.finishedCall(call.channelId, 30_000);
  expect(row).toMatchObject({ outcome: 'connected', connected_responder_id: 'alice' });
  const page = await until(() => (h.pages()[0]!.status === 'resolved' ? h.pages()[0] : undefined));
  expect(page).toMatchObject({ acknowledged_by: 'alice', resolved_by: 'alice', call_id: row.id });
  expect(all<PageAssignmentRow>(h, 'SELECT * FROM page_assignments').map((a) => a.responder_id)).toEqual([
    'alice',
  ]);
  const events = all<PageEventRow>(h, 'SELECT * FROM page_events WHERE page_id = ? ORDER BY id', page.id);
  expect(events.map((e) => e.type)).toEqual(['triggered', 'acknowledged', 'resolved']);
  expect(h.pages()).toHaveLength(1);
  // Nobody was notified but the chat, which heard of the call only as it started.
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(all<NotificationRow>(h, "SELECT * FROM notifications WHERE channel != 'webhook'")).toEqual([]);
  expect(hookEvents(hook)).toEqual(['triggered', 'resolved']);
  expect(smtp.mails).toEqual([]);
}, 45_000);

test('on_call_start, nobody answers: the page goes on as the voicemail page, with the message', async () => {
  const { h, smtp } = await start();
  h.sim.phone('PJSIP/alice', neverAnswers);
  h.sim.phone('PJSIP/bob', neverAnswers);
  const call = h.sim.call({ to: '5550200', from: '+15551230002', steps: leaveMessage(3000) });
  const row = await h.finishedCall(call.channelId, 30_000);
  expect(row).toMatchObject({ outcome: 'voicemail' });
  const [voicemail] = h.voicemails(row.id);
  const page = await until(() => (h.pages()[0]?.voicemail_id === voicemail!.id ? h.pages()[0] : undefined));
  expect(h.pages()).toHaveLength(1);
  expect(page).toMatchObject({ status: 'triggered', call_id: row.id });
  expect(page!.summary).toMatch(/^Voicemail for Operations via Ops hotline from \+15551230002/);
  expect(page!.next_escalation_at).toBeGreaterThan(page!.created_at);
  expect(
    all<PageAssignmentRow>(h, 'SELECT * FROM page_assignments ORDER BY responder_id').map(
      (a) => a.responder_id,
    ),
  ).toEqual(['alice', 'bob']);
  const [caller] = all<PageCallerRow>(h, 'SELECT * FROM page_callers WHERE page_id = ?', page!.id);
  expect(caller).toMatchObject({ voicemail_id: voicemail!.id, call_id: row.id });
  // Now the responders are told, by email, as for any voicemail.
  await until(() => (smtp.mails.length === 2 ? true : undefined), 10_000, 'the emails');
  expect(smtp.mails.map((m) => m.to[0]).sort()).toEqual(['alice@example.com', 'bob@example.com']);
}, 45_000);

test('resolve_on_hangup: false keeps the taken page open after the call; nobody answering on a hang-up route escalates it as a missed call', async () => {
  const { h } = await start();
  h.sim.phone('PJSIP/alice', accepts(500));
  h.sim.phone('PJSIP/bob', neverAnswers);
  const taken = h.sim.call({
    to: '5550201',
    from: '+15551230003',
    steps: [{ waitFor: 'bridged' }, { wait: 1000 }, { hangup: true }],
  });
  const row = await h.finishedCall(taken.channelId, 30_000);
  const page = await until(() => (h.pages()[0]?.status === 'acknowledged' ? h.pages()[0] : undefined));
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(await h.daemon.pages.get(page!.id)).toMatchObject({ status: 'acknowledged', call_id: row.id });

  h.sim.phone('PJSIP/alice', neverAnswers);
  const missed = h.sim.call({ to: '5550201', from: '+15551230004', steps: [{ wait: 60_000 }] });
  const missedRow = await h.finishedCall(missed.channelId, 30_000);
  expect(missedRow).toMatchObject({ outcome: 'no-answer' });
  const missedPage = await until(() => {
    const p = h.pages().find((x) => x.call_id === missedRow.id);
    return p?.next_escalation_at !== null && p !== undefined ? p : undefined;
  });
  expect(missedPage.summary).toBe('Missed call from +15551230004 via Ops kept open: nobody answered');
  expect(missedPage.status).toBe('triggered');
}, 60_000);
