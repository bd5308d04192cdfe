/**
 * When a responder presses 1, three requests make the connection: stop their confirmation
 * prompt, stop the caller's hold audio, join both to the bridge. Asterisk runs a channel's
 * commands in arrival order and a join waits behind a prompt still playing, so the stops must
 * reach it first; and they should not cost a round trip each. Over REST on the event WebSocket
 * they leave back to back on one ordered connection; over HTTP, where a request on another
 * connection can overtake, each channel's requests are kept in order by waiting for the answers.
 */
import type { RequestRecord } from '../../src/simulator/dispatch';
import { startHarness, expectCleanAsterisk, type Harness } from '../helpers/harness';
import { accepts } from '../helpers/people';

const CONFIG = `
asterisk: { url: http://127.0.0.1:1, username: lcr, password: lcr-secret, request_timeout: 5s }
settings: { storage_dir: ./data }
responders:
  - { id: alice, name: Alice, phones: ['PJSIP/alice'] }
  - { id: bob, name: Bob, phones: ['PJSIP/bob'] }
escalation_policies:
  - id: p
    levels: [{ targets: [{ responder: alice }], ring_timeout: 20s }]
  - id: both
    levels: [{ targets: [{ responder: alice }, { responder: bob }], ring_timeout: 20s }]
teams:
  - { id: ops, name: Operations, escalation_policy: p }
  - { id: pair, name: Pair, escalation_policy: both }
routes:
  - id: ring
    name: Ringback line
    numbers: ['5550400']
    routing: direct
    options: [{ key: 1, team: ops, label: Operations }]
  - id: sound
    name: Sound line
    numbers: ['5550401']
    routing: direct
    options: [{ key: 1, team: ops, label: Operations }]
    direct: { hold: { sound: queue-callswaiting } }
  - id: pair
    name: Pair line
    numbers: ['5550402']
    routing: direct
    options: [{ key: 1, team: pair, label: Pair }]
`;

/** The accept sequence's requests, as the simulator received them. */
function acceptSequence(h: Harness, callerId: string) {
  const requests = h.sim.requests;
  const leg = h.sim.legs()[0]!;
  const join = requests.find((r) => r.path.endsWith('/addChannel'));
  const before = (r: RequestRecord): boolean => join !== undefined && r.arrived < join.arrived;
  const stops = requests.filter(
    (r) =>
      r.method === 'DELETE' &&
      (r.path.startsWith('/ari/playbacks/') || r.path === `/ari/channels/${callerId}/ring`),
  );
  return {
    join: join!,
    promptStop: stops.find((r) => r.path.includes(`/playbacks/lcr-pb-${leg.channelId}-`)),
    holdStop: stops.find(
      (r) => r.path === `/ari/channels/${callerId}/ring` || r.path.includes(`lcr-pb-${callerId}-`),
    ),
    before,
  };
}

async function connect(h: Harness, to: string): Promise<string> {
  // Presses 1 as soon as the confirmation prompt starts: the stop is needed.
  h.sim.phone('PJSIP/alice', accepts(300, 0, [{ waitFor: 'bridged' }, { wait: 200 }, { hangup: true }]));
  const call = h.sim.call({ to, from: '+15551230001', steps: [{ waitFor: 'bridged' }, { wait: 1000 }] });
  const row = await h.finishedCall(call.channelId, 20_000);
  expect(row).toMatchObject({ outcome: 'connected', connected_responder_id: 'alice' });
  return call.channelId;
}

let h: Harness | undefined;
afterEach(async () => {
  if (h === undefined) return;
  try {
    await expectCleanAsterisk(h);
  } finally {
    await h.stop();
    h = undefined;
  }
});

describe.each([
  ['ringback', '5550400'],
  ['a hold sound', '5550401'],
])('the caller on %s', (_hold, number) => {
  test('over the event WebSocket: stops and join leave back to back, in order, and no join waits behind a prompt', async () => {
    h = await startHarness({ yaml: CONFIG, timeScale: 0.2 });
    const callerId = await connect(h, number);
    expect(h.logs.some((l) => l.includes('REST requests over the event WebSocket'))).toBe(true);
    const { join, promptStop, holdStop, before } = acceptSequence(h, callerId);
    for (const request of [join, promptStop!, holdStop!]) expect(request.transport).toBe('websocket');
    expect(before(promptStop!)).toBe(true);
    expect(before(holdStop!)).toBe(true);
    // The join was on its way before Asterisk had answered the stops: no round trip between them.
    expect(join.at).toBeLessThan(promptStop!.answeredAt);
    expect(join.at).toBeLessThan(holdStop!.answeredAt);
    expect(join.status).toBe(204);
    expect(h.sim.joinsBehindMedia).toEqual([]);
  }, 30_000);

  test('over HTTP with a slow connection: the join still reaches Asterisk after both stops', async () => {
    h = await startHarness({ yaml: CONFIG, timeScale: 0.2, simulator: { restOverWebSocket: false } });
    // Every other connection is slow: a request sent later on a fast one would overtake.
    h.sim.delayConnections((n) => (n % 2 === 0 ? 150 : 0));
    const callerId = await connect(h, number);
    expect(h.logs.some((l) => l.includes('REST requests over HTTP'))).toBe(true);
    const { join, promptStop, holdStop, before } = acceptSequence(h, callerId);
    for (const request of [join, promptStop!, holdStop!]) expect(request.transport).toBe('http');
    expect(before(promptStop!)).toBe(true);
    expect(before(holdStop!)).toBe(true);
    expect(join.at).toBeGreaterThanOrEqual(promptStop!.answeredAt);
    expect(h.sim.joinsBehindMedia).toEqual([]);
    expect(new Set(h.sim.requests.map((r) => r.connection)).size).toBeGreaterThan(1);
  }, 30_000);
});

test('the accept sequence is the first thing to leave after the key: the other phone is hung up behind it', async () => {
  h = await startHarness({ yaml: CONFIG, timeScale: 0.2 });
  h.sim.phone('PJSIP/bob', { kind: 'no-answer' });
  const callerId = await connect(h, '5550402');
  const alice = h.sim.legs().find((leg) => leg.dialstring === 'alice')!;
  const bob = h.sim.legs().find((leg) => leg.dialstring === 'bob')!;
  const pressedAt = h.sim.events.find(
    (e) =>
      e.event.type === 'ChannelDtmfReceived' && (e.event['channel'] as { id: string }).id === alice.channelId,
  )!.at;
  const after = h.sim.requests.filter((r) => r.at >= pressedAt).sort((a, b) => a.arrived - b.arrived);
  expect(
    after.slice(0, 4).map((r) => `${r.method} ${r.path.replace(/\/playbacks\/.*/, '/playbacks/…')}`),
  ).toEqual([
    'DELETE /ari/playbacks/…',
    `DELETE /ari/channels/${callerId}/ring`,
    expect.stringMatching(/^POST \/ari\/bridges\/lcr-bridge\.lcr\..*\/addChannel$/),
    `DELETE /ari/channels/${bob.channelId}`,
  ]);
  expect(after[0]!.path).toContain(`lcr-pb-${alice.channelId}-`);
  const leg = h.daemon.db.prepare("SELECT result, reason FROM call_legs WHERE responder_id = 'bob'").get();
  expect(leg).toEqual({ result: 'cancelled', reason: 'answered elsewhere' });
}, 30_000);
