/** Direct routing in real time: what the caller hears while waiting, and the caller ID responders see. */
import { type Harness, useHarness } from '../helpers/harness';
import { accepts } from '../helpers/people';

const CONFIG = `
asterisk: { url: http://127.0.0.1:1, username: lcr, password: lcr-secret, request_timeout: 2s }
settings: { storage_dir: ./data }
responders:
  - { id: alice, name: Alice, phones: ['PJSIP/alice'] }
  - { id: bob, name: Bob, phones: ['PJSIP/alice'] }
escalation_policies:
  - id: p
    levels:
      - { targets: [{ responder: alice }], ring_timeout: 1s }
      - { targets: [{ responder: bob }], ring_timeout: 6s }
teams:
  - { id: ops, name: Operations, escalation_policy: p }
routes:
  - id: hold
    name: Hold line
    numbers: ['5550300']
    routing: direct
    options: [{ key: 1, team: ops, label: Operations }]
    direct: { still_trying_every: 1s, caller_id: hotline, skip_already_dialed: false, confirm_timeout: 3s }
  - id: skip
    name: Skip line
    numbers: ['5550301']
    routing: direct
    options: [{ key: 1, team: ops, label: Operations }]
    direct: { skip_already_dialed: true, on_no_answer: hangup }
`;

let h: Harness;
useHarness({ yaml: CONFIG, timeScale: 1 }, (started) => (h = started));

test('the caller hears ringback broken by "still trying"; responders see the hotline number', async () => {
  h.sim.phone('PJSIP/alice', accepts(2500));
  const call = h.sim.call({
    to: '5550300',
    from: '+15551230001',
    steps: [{ waitFor: 'bridged' }, { hangup: true }],
  });
  const row = await h.finishedCall(call.channelId, 20_000);
  expect(row).toMatchObject({ outcome: 'connected', connected_responder_id: 'bob' });
  const heard = call.transcript.map((t) => `${t.kind}:${t.detail}`);
  expect(heard.filter((t) => t === 'played:sound:pls-hold-while-try').length).toBeGreaterThanOrEqual(1);
  expect(heard.filter((t) => t === 'ringing:ringback').length).toBeGreaterThanOrEqual(2);
  expect(h.sim.legs().map((l) => l.callerId)).toEqual(['Hold line <5550300>', 'Hold line <5550300>']);
}, 30_000);

test('skip_already_dialed: a phone shared by two levels is rung once', async () => {
  h.sim.phone('PJSIP/alice', { kind: 'busy' });
  const call = h.sim.call({ to: '5550301', from: '+15551230001' });
  const row = await h.finishedCall(call.channelId, 20_000);
  expect(row.outcome).toBe('no-answer');
  expect(h.legs(row.id).map((l) => [l.responder_id, l.result, l.reason])).toEqual([
    ['alice', 'busy', 'busy'],
    ['bob', 'skipped', 'already dialed'],
  ]);
});
