/** Phone notifications of pages, against the simulated Asterisk: acknowledge, replay, escalate now, escalation. */
import { TEST_CONFIG, type Harness, until, useHarness } from '../helpers/harness';
import { messageFor } from '../helpers/people';
import type { NotificationRow } from '../../src/store/notifications';
import type { PageRow } from '../../src/store/pages';

const PAGING_CONFIG = TEST_CONFIG.replace('escalate_after: 5m', 'escalate_after: 3s').replace(
  'escalation_policies:',
  `notifications:
  phone: { ring_timeout: 20s, caller_id: '"Acme pages" <5550100>' }
escalation_policies:`,
);

let h: Harness;
useHarness({ yaml: PAGING_CONFIG }, (started) => (h = started));

function leaveVoicemail(): Promise<number> {
  const call = h.sim.call({
    to: '+15550100',
    from: '+15551230001',
    steps: messageFor('1', 4000),
  });
  return h.finishedCall(call.channelId).then(() => h.pages()[0]!.id);
}

// Read straight from the daemon's database, as an operator's sqlite3 would: `until` polls synchronously.
const pageRow = (pageId: number): PageRow | undefined =>
  h.daemon.db.prepare('SELECT * FROM pages WHERE id = ?').get(pageId) as PageRow | undefined;
const notificationRows = (pageId: number): NotificationRow[] =>
  h.daemon.db
    .prepare('SELECT * FROM notifications WHERE page_id = ? ORDER BY id')
    .all(pageId) as NotificationRow[];

function acknowledged(pageId: number): Promise<true> {
  return until(
    () => pageRow(pageId)!.status === 'acknowledged' || undefined,
    30_000,
    'the page to be acknowledged',
  );
}

const timeline = async (pageId: number): Promise<string[]> =>
  (await h.daemon.pages.events(pageId)).map((e) => `${e.type} ${e.actor} ${e.via}`);

test('the responder on call hears the page and the message, presses 1, and the page is acknowledged', async () => {
  h.sim.phone('PJSIP/alice', {
    kind: 'answer',
    ringMs: 1000,
    // After the announcement (with the caller's 11 digits), while the message itself plays.
    then: [{ waitFor: 'playing', media: '/media/voicemail/' }, { wait: 2000 }, { press: '1' }],
  });
  const pageId = await leaveVoicemail();
  const page = await until(
    () => {
      const p = pageRow(pageId)!;
      return p.status === 'acknowledged' ? p : undefined;
    },
    20_000,
    'the page to be acknowledged',
  );
  expect(page.acknowledged_by).toBe('alice');
  expect(await timeline(pageId)).toEqual([
    'triggered system automatic',
    'assigned system automatic',
    'acknowledged alice phone',
  ]);
  // Asterisk fetched the voicemail from the daemon's HTTP listener, as a WAV.
  const fetches = h.sim.catalog.httpFetches.filter((f) => f.url.includes('/media/voicemail/'));
  expect(fetches.length).toBeGreaterThan(0);
  expect(fetches[0]).toMatchObject({ status: 200, contentType: 'audio/wav' });
  expect(fetches[0]!.url.startsWith(h.daemon.httpUrl!)).toBe(true);
  // What alice's phone showed and heard.
  const leg = h.sim.legs().find((l) => l.dialstring === 'alice')!;
  expect(leg.callerId).toContain('5550100');
  // The farewell starts after the acknowledgement is stored: wait for it rather than race it.
  const heard = await until(
    () => {
      const played = leg.transcript.filter((t) => t.kind === 'played').map((t) => t.detail);
      return played.includes('sound:auth-thankyou') ? played : undefined;
    },
    10_000,
    'the farewell',
  );
  expect(heard).toEqual(
    expect.arrayContaining(['sound:vm-youhave', 'digits:15551230001', 'sound:auth-thankyou']),
  );
  // Every attempt is stored; bob's ringing phones were stopped once alice acknowledged.
  const notifications = await until(
    () => {
      const rows = notificationRows(pageId);
      return rows.every((n) => n.status !== 'pending' && n.status !== 'sending') ? rows : undefined;
    },
    10_000,
    'notifications to settle',
  );
  const alice = notifications.find((n) => n.responder_id === 'alice')!;
  expect(alice).toMatchObject({ channel: 'phone', status: 'sent', result: 'PJSIP/alice: acknowledged' });
  expect(await h.daemon.notifications.attempts(alice.id)).toEqual([
    expect.objectContaining({ ok: 1, detail: 'PJSIP/alice: acknowledged' }),
  ]);
  const bob = notifications.find((n) => n.responder_id === 'bob')!;
  expect(bob.status).toBe('failed');
  expect(bob.result).toContain('stopped: the page was handled');
});

test('nobody at level 1 answers: the page escalates to level 2, whose responder acknowledges', async () => {
  h.sim.phone('PJSIP/carol', {
    kind: 'answer',
    ringMs: 500,
    then: [{ waitFor: 'playback', media: 'vm-repeat' }, { press: '1' }],
  });
  const pageId = await leaveVoicemail();
  await acknowledged(pageId);
  expect(await timeline(pageId)).toEqual([
    'triggered system automatic',
    'assigned system automatic',
    'escalated system automatic',
    'acknowledged carol phone',
  ]);
  expect((await h.daemon.pages.assignments(pageId)).map((a) => [a.responder_id, a.level])).toEqual([
    ['alice', 0],
    ['bob', 0],
    ['carol', 1],
  ]);
  // Level 1 was tried on every phone, in order, and did not answer.
  const bob = (await h.daemon.notifications.ofPage(pageId)).find(
    (n) => n.responder_id === 'bob' && n.level === 0,
  )!;
  // (PJSIP/bob is not registered: Asterisk refuses to place the call; the mobile then rings out.)
  expect(bob.result).toBe(
    'PJSIP/bob: Asterisk refused the call (500): originate: Allocation failed; +15551230002: no answer',
  );
});

test('2 plays the message again and 3 escalates at once', async () => {
  h.sim.phone('PJSIP/alice', {
    kind: 'answer',
    then: [
      { waitFor: 'playback', media: 'vm-repeat' },
      { press: '2' },
      { wait: 2000 },
      { waitFor: 'playback', media: 'vm-repeat' },
      { press: '3' },
    ],
  });
  h.sim.phone('PJSIP/carol', {
    kind: 'answer',
    then: [{ waitFor: 'playback', media: 'vm-repeat' }, { press: '1' }],
  });
  const pageId = await leaveVoicemail();
  await acknowledged(pageId);
  const events = await h.daemon.pages.events(pageId);
  expect(events.map((e) => `${e.type} ${e.actor}`)).toEqual([
    'triggered system',
    'assigned system',
    'escalated alice',
    'acknowledged carol',
  ]);
  expect(JSON.parse(events[2]!.detail!)).toMatchObject({ reason: 'requested by alice', level: 1 });
  const alice = h.sim.legs().find((l) => l.dialstring === 'alice')!;
  const announcements = alice.transcript.filter(
    (t) => t.kind === 'played' && t.detail === 'sound:vm-youhave',
  );
  expect(announcements).toHaveLength(2);
});
