/**
 * Calls outside a route's support hours, against the simulator: each `outside_hours` action, as
 * the caller hears it, as the call's row records it, and as its pages are made. The routes are
 * closed now by a holiday around today (the daemon reads the real clock); the open route has
 * hours too, open all week, and behaves as a route without them.
 */
import { type Harness, useHarness } from '../helpers/harness';
import { accepts, leaveMessage, neverAnswers, pickOption } from '../helpers/people';

const DAY = 86_400_000;
const date = (at: number): string => new Date(at).toISOString().slice(0, 10);
const today = Date.now();
/** Closed from yesterday to tomorrow (UTC), whenever the test runs. */
const CLOSED = `hours: { timezone: UTC, holidays: [{ from: "${date(today - DAY)}", to: "${date(today + DAY)}", name: Test closure }] }`;
const reopens = `${date(today + 2 * DAY)}T00:00:00.000Z`;

const CONFIG = `
asterisk: { url: http://127.0.0.1:1, username: lcr, password: lcr-secret, request_timeout: 2s }
settings: { storage_dir: ./data }
responders:
  - { id: alice, name: Alice, phones: ['PJSIP/alice'] }
  - { id: carol, name: Carol, phones: ['PJSIP/carol'] }
escalation_policies:
  - id: day-policy
    levels: [{ targets: [{ responder: alice }], ring_timeout: 3s, escalate_after: 5m }]
  - id: night-policy
    levels: [{ targets: [{ responder: carol }], ring_timeout: 3s, escalate_after: 5m }]
teams:
  - { id: ops, name: Operations, escalation_policy: day-policy }
  - { id: billing, name: Billing, escalation_policy: day-policy }
routes:
  - id: closed-message
    name: Closed line
    numbers: ['5550300']
    routing: direct
    options: [{ key: 1, team: ops, label: Operations }]
    ${CLOSED}
    outside_hours: { action: message, greeting: { sound: hello-world } }
  - id: closed-voicemail
    name: Ops line
    numbers: ['5550301']
    routing: direct
    options: [{ key: 1, team: ops, label: Operations }, { key: 2, team: billing, label: Billing }]
    menu: { timeout: 1s }
    voicemail: { max_silence: 2s }
    ${CLOSED}
    outside_hours: { greeting: { sound: hello-world } }
  - id: closed-menu
    name: Support line
    numbers: ['5550302']
    routing: voicemail
    options: [{ key: 1, team: ops, label: Operations }, { key: 2, team: billing, label: Billing }]
    voicemail: { max_silence: 2s }
    ${CLOSED}
    outside_hours: { action: menu, greeting: { sound: hello-world }, options: [{ key: 1, team: billing, label: Billing }] }
  - id: closed-direct
    name: Night line
    numbers: ['5550303']
    routing: voicemail
    options: [{ key: 1, team: ops, label: Operations }]
    ${CLOSED}
    outside_hours: { action: direct, escalation_policy: night-policy, urgency: high }
  - id: open
    name: Open line
    numbers: ['5550304']
    routing: voicemail
    options: [{ key: 1, team: ops, label: Operations }]
    voicemail: { max_silence: 2s }
    hours: { timezone: Pacific/Auckland }
`;

let h: Harness;
useHarness({ yaml: CONFIG, timeScale: 0.1 }, (started) => (h = started));

const played = (call: { transcript: Array<{ kind: string; detail: string }> }): string[] =>
  call.transcript.filter((t) => t.kind === 'played').map((t) => t.detail);

test('action message: the outside-hours greeting and a goodbye, then the line is hung up; no page', async () => {
  const call = h.sim.call({ to: '5550300', from: '+15551230001', steps: [] });
  const row = await h.finishedCall(call.channelId);
  expect(row).toMatchObject({
    route_id: 'closed-message',
    outcome: 'closed',
    outcome_detail: `closed for Test closure; opens ${reopens}`,
    outside_hours: 1,
    team_id: null,
  });
  expect(played(call)).toEqual(['sound:hello-world', 'sound:pls-try-call-later', 'sound:vm-goodbye']);
  expect(h.pages()).toEqual([]);
  expect(h.sim.legs()).toEqual([]);
});

test('action voicemail (the default) on a direct route: nobody is rung; the message makes a low-urgency page', async () => {
  const call = h.sim.call({
    to: '5550301',
    from: '+15551230002',
    steps: [...pickOption('2'), ...leaveMessage(2500)],
  });
  const row = await h.finishedCall(call.channelId);
  expect(row).toMatchObject({
    route_id: 'closed-voicemail',
    routing: 'voicemail',
    team_id: 'billing',
    outcome: 'voicemail',
    outside_hours: 1,
    urgency: 'low',
  });
  expect(played(call)[0]).toBe('sound:hello-world');
  expect(h.sim.legs()).toEqual([]);
  const [page] = h.pages();
  expect(page).toMatchObject({ team_id: 'billing', urgency: 'low', call_id: row.id });
  // Low urgency: no phone call for it; alice has no email, so only the timeline says who has it.
  expect((await h.daemon.notifications.ofPage(page!.id)).filter((n) => n.channel === 'phone')).toEqual([]);
  expect((await h.daemon.pages.assignments(page!.id)).map((a) => a.responder_id)).toEqual(['alice']);
});

test("action menu: the outside-hours options replace the route's", async () => {
  const call = h.sim.call({ to: '5550302', from: '+15551230003', steps: leaveMessage(2500) });
  const row = await h.finishedCall(call.channelId);
  // One option outside hours: no menu, straight to the message for billing.
  expect(row).toMatchObject({
    route_id: 'closed-menu',
    option_key: '1',
    team_id: 'billing',
    outcome: 'voicemail',
  });
  expect(played(call)).not.toContain('sound:press');
  expect(h.pages()[0]).toMatchObject({ team_id: 'billing', urgency: 'low' });
});

test("action direct: the outside-hours policy is rung instead of the team's; urgency as configured", async () => {
  h.sim.phone('PJSIP/alice', neverAnswers);
  h.sim.phone('PJSIP/carol', accepts());
  const call = h.sim.call({
    to: '5550303',
    from: '+15551230004',
    steps: [{ waitFor: 'bridged' }, { hangup: true }],
  });
  const row = await h.finishedCall(call.channelId, 20_000);
  expect(row).toMatchObject({
    route_id: 'closed-direct',
    routing: 'direct',
    outcome: 'connected',
    connected_responder_id: 'carol',
    outside_hours: 1,
    urgency: 'high',
  });
  expect(h.legs(row.id).map((l) => l.responder_id)).toEqual(['carol']);
  expect(played(call)[0]).toBe('sound:welcome');
});

test('a route whose hours are open now behaves as one without hours', async () => {
  const call = h.sim.call({ to: '5550304', from: '+15551230005', steps: leaveMessage(2500) });
  const row = await h.finishedCall(call.channelId);
  expect(row).toMatchObject({ route_id: 'open', outcome: 'voicemail', outside_hours: null, urgency: 'high' });
  expect(h.pages()[0]).toMatchObject({ urgency: 'high' });
  expect((await h.daemon.notifications.ofPage(h.pages()[0]!.id)).map((n) => n.channel)).toEqual(['phone']);
});

test('a caller who hangs up during the outside-hours greeting: the row is closed, nothing left in Asterisk', async () => {
  const call = h.sim.call({
    to: '5550301',
    from: '+15551230006',
    steps: [{ waitFor: 'playback' }, { hangup: true }],
  });
  const row = await h.finishedCall(call.channelId);
  expect(row).toMatchObject({ outcome: 'abandoned', outside_hours: 1 });
  expect(row.ended_at).not.toBeNull();
});
