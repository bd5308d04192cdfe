import type { CallRow } from '../../src/store/calls';
import { type Harness, until, useHarness } from '../helpers/harness';
import { accepts, acceptsAndHangsUp, declines, leaveMessage, neverAnswers } from '../helpers/people';

const DIRECT_CONFIG = `
asterisk: { url: http://127.0.0.1:1, username: lcr, password: lcr-secret, request_timeout: 2s }
settings: { storage_dir: ./data }
responders:
  - { id: alice, name: Alice, phones: ['PJSIP/alice'] }
  - { id: bob, name: Bob, phones: ['PJSIP/bob'] }
  - { id: carol, name: Carol, phones: ['PJSIP/carol'] }
  - { id: dave, name: Dave }
  - { id: erin, name: Erin, phones: ['PJSIP/erin'] }
escalation_policies:
  - id: three-levels
    repeat: 1
    levels:
      - { targets: [{ responder: alice }, { responder: bob }], ring_timeout: 4s, escalate_after: 5m }
      - { targets: [{ responder: carol }], ring_timeout: 4s }
      - { targets: [{ responder: erin }], ring_timeout: 4s }
  - id: unreachable
    levels:
      - { targets: [{ responder: dave }] }
teams:
  - { id: ops, name: Operations, escalation_policy: three-levels }
  - { id: lonely, name: Lonely, escalation_policy: unreachable }
routes:
  - id: direct
    name: Ops hotline
    numbers: ['5550200']
    routing: direct
    options: [{ key: 1, team: ops, label: Operations }]
    direct: { confirm_timeout: 2s, on_no_answer: voicemail, caller_id: caller }
    voicemail: { max_silence: 2s }
  - id: direct-hangup
    name: Ops no voicemail
    numbers: ['5550201']
    routing: direct
    options: [{ key: 1, team: ops, label: Operations }]
    direct: { confirm_timeout: 2s, on_no_answer: hangup, strategy: sequential, hold: { moh: default }, page_on_connect: true }
  - id: lonely
    name: Lonely line
    numbers: ['5550202']
    routing: direct
    options: [{ key: 1, team: lonely, label: Lonely }]
    direct: { on_no_answer: hangup }
`;

let h: Harness;
useHarness({ yaml: DIRECT_CONFIG, timeScale: 0.1 }, (started) => (h = started));

/** A caller on the hotline who waits to be connected, then hangs up; resolves with the finished call's row. */
async function callUntilBridged(): Promise<CallRow> {
  const call = h.sim.call({
    to: '5550200',
    from: '+15551230001',
    steps: [{ waitFor: 'bridged' }, { hangup: true }],
  });
  return h.finishedCall(call.channelId, 30_000);
}

const legsOf = (callId: string): Array<[string, number, string, string | null]> =>
  h.legs(callId).map((l) => [l.responder_id, l.level + 1 + l.round * 10, l.result, l.reason]);
const accept = (after = 500) => accepts(1000, after);

test('level 1 does not answer, level 2 declines, level 3 accepts: the caller is bridged to level 3', async () => {
  h.sim.phone('PJSIP/alice', neverAnswers);
  h.sim.phone('PJSIP/bob', neverAnswers);
  h.sim.phone('PJSIP/carol', declines(500));
  h.sim.phone('PJSIP/erin', acceptsAndHangsUp(5000, 500));
  const call = h.sim.call({ to: '5550200', from: '+15551230001' });
  const row = await h.finishedCall(call.channelId, 30_000);
  expect(row).toMatchObject({ outcome: 'connected', connected_responder_id: 'erin', team_id: 'ops' });
  expect(legsOf(row.id)).toEqual([
    ['alice', 1, 'no-answer', 'no answer'],
    ['bob', 1, 'no-answer', 'no answer'],
    ['carol', 2, 'declined', 'pressed 2'],
    ['erin', 3, 'accepted', null],
  ]);
  expect(h.legs(row.id).find((l) => l.responder_id === 'alice')!.hangup_cause).toBe(19);
  expect(call.transcript.map((t) => t.kind)).toContain('bridged');
  expect(call.transcript.some((t) => t.kind === 'ringing')).toBe(true);
  // The responders saw the caller's number.
  const erinLeg = h.sim.legs().find((l) => l.dialstring === 'PJSIP/erin' || l.dialstring === 'erin');
  expect(erinLeg).toBeDefined();
  expect(h.pages()).toEqual([]);
});

test('two responders press 1 within milliseconds: exactly one is connected, the other is told', async () => {
  h.sim.phone('PJSIP/alice', accepts(200, 300));
  h.sim.phone('PJSIP/bob', accepts(200, 300));
  const call = h.sim.call({
    to: '5550200',
    from: '+15551230001',
    steps: [{ waitFor: 'bridged' }, { wait: 2000 }, { hangup: true }],
  });
  const row = await h.finishedCall(call.channelId, 30_000);
  const results = h
    .legs(row.id)
    .map((l) => l.result)
    .sort();
  expect(results).toEqual(['accepted', 'cancelled']);
  const loser = h.legs(row.id).find((l) => l.result === 'cancelled')!;
  expect(loser.reason).toBe('answered elsewhere');
  expect(row.connected_responder_id).toBe(h.legs(row.id).find((l) => l.result === 'accepted')!.responder_id);
  const loserLeg = h.sim.legs().find((l) => l.channelId === loser.channel_id)!;
  expect(loserLeg.transcript.map((t) => t.detail)).toContain('sound:vm-goodbye');
});

test('busy and network rejects move on at once, without waiting for the ring timeout', async () => {
  h.sim.phone('PJSIP/alice', { kind: 'busy' });
  h.sim.phone('PJSIP/bob', { kind: 'reject' });
  h.sim.phone('PJSIP/carol', accept());
  const row = await callUntilBridged();
  const legs = h.legs(row.id);
  expect(legsOf(row.id)).toEqual([
    ['alice', 1, 'busy', 'busy'],
    ['bob', 1, 'declined', 'rejected by the network'],
    ['carol', 2, 'accepted', null],
  ]);
  expect(legs.map((l) => l.hangup_cause)).toEqual([17, 21, null]);
  // Ring timeout is 4 s (0.4 s simulated here): level 2 started well before it would have run out.
  expect(legs[2]!.started_at - legs[0]!.started_at).toBeLessThan(300);
});

test('a responder whose own voicemail answers never presses a key: counted as voicemail pickup, the next level is rung', async () => {
  h.sim.phone('PJSIP/alice', { kind: 'answer', then: [{ speak: 60000 }] });
  h.sim.phone('PJSIP/bob', { kind: 'offline' });
  h.sim.phone('PJSIP/carol', accept());
  const row = await callUntilBridged();
  expect(legsOf(row.id)).toEqual([
    ['alice', 1, 'voicemail-pickup', 'no key pressed'],
    ['bob', 1, 'failed', 'Asterisk refused the call (500): originate: Allocation failed'],
    ['carol', 2, 'accepted', null],
  ]);
});

test('nobody answers: the policy repeats without level 1, then the caller leaves a message paged to level 1', async () => {
  for (const phone of ['alice', 'bob', 'carol', 'erin']) h.sim.phone(`PJSIP/${phone}`, neverAnswers);
  const call = h.sim.call({
    to: '5550200',
    from: '+15551230001',
    steps: leaveMessage(),
  });
  const row = await h.finishedCall(call.channelId, 40_000);
  expect(row.outcome).toBe('voicemail');
  expect(legsOf(row.id).map(([who, level]) => `${who}@${level}`)).toEqual([
    'alice@1',
    'bob@1',
    'carol@2',
    'erin@3',
    'carol@12',
    'erin@13',
  ]);
  const [page] = h.pages();
  expect((await h.daemon.pages.assignments(page!.id)).map((a) => a.responder_id)).toEqual(['alice', 'bob']);
  expect(call.transcript.map((t) => t.detail)).toContain('sound:vm-nobodyavail');
});

test('on_no_answer: hangup tells the caller and ends the call; sequential rings one after another', async () => {
  for (const phone of ['alice', 'bob', 'carol', 'erin']) h.sim.phone(`PJSIP/${phone}`, { kind: 'busy' });
  const call = h.sim.call({ to: '5550201', from: '+15551230001' });
  const row = await h.finishedCall(call.channelId, 30_000);
  expect(row).toMatchObject({ outcome: 'no-answer' });
  const legs = h.legs(row.id);
  expect(legs.slice(0, 2).map((l) => l.responder_id)).toEqual(['alice', 'bob']);
  expect(legs[1]!.started_at).toBeGreaterThanOrEqual(legs[0]!.ended_at!);
  expect(call.transcript.some((t) => t.kind === 'moh')).toBe(true);
  expect(h.pages()).toEqual([]);
});

test('a policy whose only responder has no phone: nobody is rung, the caller is told, the leg says skipped', async () => {
  const call = h.sim.call({ to: '5550202', from: '+15551230001' });
  const row = await h.finishedCall(call.channelId);
  expect(row.outcome).toBe('no-answer');
  expect(legsOf(row.id)).toEqual([['dave', 1, 'skipped', 'no phone']]);
  expect(h.sim.legs()).toEqual([]);
});

describe('the caller hangs up', () => {
  test('while phones ring: every leg stops ringing and says why', async () => {
    h.sim.phone('PJSIP/alice', neverAnswers);
    h.sim.phone('PJSIP/bob', neverAnswers);
    const call = h.sim.call({
      to: '5550200',
      from: '+15551230001',
      steps: [{ wait: 1500 }, { hangup: true }],
    });
    const row = await h.finishedCall(call.channelId, 30_000);
    expect(row.outcome).toBe('abandoned');
    await until(() => h.legs(row.id).every((l) => l.result !== 'ringing') || undefined);
    expect(legsOf(row.id)).toEqual([
      ['alice', 1, 'cancelled', 'caller left'],
      ['bob', 1, 'cancelled', 'caller left'],
    ]);
  });

  test('while a responder listens to the confirmation: they hear that the caller hung up', async () => {
    h.sim.phone('PJSIP/alice', { kind: 'answer', then: [{ speak: 60000 }] });
    h.sim.phone('PJSIP/bob', neverAnswers);
    const call = h.sim.call({
      to: '5550200',
      from: '+15551230001',
      steps: [{ wait: 800 }, { hangup: true }],
    });
    const row = await h.finishedCall(call.channelId, 30_000);
    await until(
      () => h.legs(row.id).every((l) => l.result !== 'ringing' && l.result !== 'answered') || undefined,
      10_000,
    );
    const alice = h.legs(row.id).find((l) => l.responder_id === 'alice')!;
    expect(alice).toMatchObject({ result: 'cancelled', reason: 'caller left' });
    const transcript = h.sim.legs().find((l) => l.channelId === alice.channel_id)!.transcript;
    expect(transcript.map((t) => t.detail)).toContain('sound:conf-hasleft');
  });
});

test('connected: when the responder hangs up, the caller is hung up too; the page is taken and resolved', async () => {
  h.sim.phone('PJSIP/alice', acceptsAndHangsUp(1000));
  const call = h.sim.call({ to: '5550201', from: '+15551230001' });
  const row = await h.finishedCall(call.channelId, 30_000);
  expect(row).toMatchObject({ outcome: 'connected', connected_responder_id: 'alice' });
  const [page] = h.pages();
  expect(page).toMatchObject({ status: 'resolved', acknowledged_by: 'alice', resolved_by: 'alice' });
  expect((await h.daemon.pages.events(page!.id)).map((e) => e.type)).toEqual([
    'triggered',
    'assigned',
    'acknowledged',
    'resolved',
  ]);
});

test('a responder pressing other keys first still connects with 1', async () => {
  h.sim.phone('PJSIP/alice', {
    kind: 'answer',
    then: [
      { waitFor: 'playback' },
      { press: '3' },
      { wait: 200 },
      { press: '*' },
      { wait: 200 },
      { press: '1' },
    ],
  });
  h.sim.phone('PJSIP/bob', neverAnswers);
  const row = await callUntilBridged();
  expect(row.connected_responder_id).toBe('alice');
});

test('the ARI WebSocket drops while phones ring: the escalation carries on after the reconnect', async () => {
  h.sim.phone('PJSIP/alice', neverAnswers);
  h.sim.phone('PJSIP/bob', neverAnswers);
  h.sim.phone('PJSIP/carol', accepts(500));
  const call = h.sim.call({
    to: '5550200',
    from: '+15551230001',
    steps: [{ wait: 100 }, { waitFor: 'bridged' }, { wait: 500 }, { hangup: true }],
  });
  await until(() => h.sim.legs().length >= 2 || undefined);
  h.sim.dropWebSockets(200);
  const row = await h.finishedCall(call.channelId, 30_000);
  expect(row).toMatchObject({ outcome: 'connected', connected_responder_id: 'carol' });
});

test('the caller hangs up before the first ring: no leg keeps ringing', async () => {
  h.sim.phone('PJSIP/alice', neverAnswers);
  h.sim.phone('PJSIP/bob', neverAnswers);
  const call = h.sim.call({ to: '5550200', from: '+15551230001', steps: [{ hangup: true }] });
  const row = await h.finishedCall(call.channelId, 30_000);
  expect(['abandoned']).toContain(row.outcome);
  await until(() => h.legs(row.id).every((l) => l.result !== 'ringing') || undefined);
});

test('the caller hangs up at the instant the responder presses 1: nothing is left behind', async () => {
  h.sim.phone('PJSIP/alice', {
    kind: 'answer',
    then: [{ waitFor: 'playback' }, { press: '1' }, { wait: 5000 }],
  });
  h.sim.phone('PJSIP/bob', neverAnswers);
  const call = h.sim.call({ to: '5550200', from: '+15551230001' });
  h.sim.engine.on('event', (event: { type: string; digit?: string }) => {
    const caller = h.sim.engine.channels.get(call.channelId);
    if (event.type === 'ChannelDtmfReceived' && event.digit === '1' && caller)
      h.sim.engine.hangup(caller, 16, false);
  });
  const row = await h.finishedCall(call.channelId, 30_000);
  await until(() => h.legs(row.id).every((l) => l.ended_at !== null) || undefined, 10_000);
  expect(h.legs(row.id).find((l) => l.responder_id === 'alice')!.result).toMatch(/accepted|cancelled/);
});

describe('a failure inside one leg of a simultaneous level', () => {
  test('a store write that throws: the other legs stop, the caller hears the error prompt and is hung up, the call row says error', async () => {
    h.sim.phone('PJSIP/alice', neverAnswers);
    h.sim.phone('PJSIP/bob', { kind: 'answer', ringMs: 300, then: [{ speak: 60000 }] });
    const calls = h.daemon.calls;
    const updateLeg = calls.updateLeg.bind(calls);
    jest.spyOn(calls, 'updateLeg').mockImplementation((id, patch) => {
      if (patch.result === 'answered') throw new Error('disk I/O error');
      updateLeg(id, patch);
    });
    const call = h.sim.call({ to: '5550200', from: '+15551230001' });
    const row = await h.finishedCall(call.channelId, 20_000);
    expect(row).toMatchObject({ outcome: 'error', outcome_detail: 'disk I/O error' });
    expect(call.transcript.map((t) => t.detail)).toContain('sound:pls-try-call-later');
    await until(() => h.legs(row.id).every((l) => l.ended_at !== null) || undefined, 10_000);
    expect(legsOf(row.id)).toEqual([
      ['alice', 1, 'cancelled', 'the call failed'],
      ['bob', 1, 'failed', 'internal error: disk I/O error'],
    ]);
    // Owned, not escaped: the daemon counted no stray error and still takes calls.
    const metrics = await (await fetch(`${h.daemon.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/^lcr_internal_errors_total 0$/m);
    jest.restoreAllMocks();
    h.sim.phone('PJSIP/alice', accept());
    h.sim.phone('PJSIP/bob', neverAnswers);
    expect((await callUntilBridged()).outcome).toBe('connected');
  });

  test('a rejection nobody owns is logged and counted, and the daemon stays up', async () => {
    // Jest fails a test on a real stray rejection before any other listener runs, so the
    // daemon's listener is checked to be installed and then handed the rejection itself.
    expect(process.listeners('unhandledRejection')).toContain(h.daemon.strays.listener);
    h.daemon.strays.listener(new Error('stray failure'));
    await until(() => h.logs.find((line) => line.includes('stray failure')), 5000, 'the log line');
    const metrics = await (await fetch(`${h.daemon.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/^lcr_internal_errors_total 1$/m);
    h.sim.phone('PJSIP/alice', accept());
    h.sim.phone('PJSIP/bob', neverAnswers);
    expect((await callUntilBridged()).outcome).toBe('connected');
  });
});
