/**
 * Callbacks instead of dead ends: a caller asks to be called back (at the calling number, or at
 * digits entered and read back); the responder who acknowledges the page by phone presses 1 and
 * lcr rings the caller through the trunk and bridges them, with the call and its legs recorded.
 */
import type { CallRow, LegRow } from '../../src/store/calls';
import type { PageCallerRow, PageEventRow } from '../../src/store/pages';
import { TEST_CONFIG, type Harness, until, useHarness } from '../helpers/harness';
import { pickOption } from '../helpers/people';
import type { Step } from '../../src/simulator/script';
import { pendingCallback } from '../../src/callflow/callback/callBack';

const CALLBACK_CONFIG = TEST_CONFIG.replace(
  'escalation_policies:',
  `notifications:
  phone: { ring_timeout: 20s, caller_id: '"Acme pages" <5550100>' }
escalation_policies:`,
).replace(
  '    menu: { timeout: 1s, tries: 2, fallback: first }',
  `    menu: { timeout: 1s, tries: 2, fallback: first }
    callback:
      offer: true
      dial: { endpoint: 'PJSIP/{number}@carrier', caller_id: '"Acme hotline" <+15550100>', ring_timeout: 20s }`,
);

let h: Harness;
useHarness({ yaml: CALLBACK_CONFIG }, (started) => (h = started));

const all = <T>(sql: string, ...params: unknown[]): T[] => h.daemon.db.prepare(sql).all(...params) as T[];
const played = (call: { transcript: Array<{ kind: string; detail: string }> }): string[] =>
  call.transcript.filter((t) => t.kind === 'played').map((t) => t.detail);

/** A message, then 1 (or 2 and `digits`) at the callback offer. */
function messageAndCallback(from: string, choice: Step[]): ReturnType<Harness['sim']['call']> {
  return h.sim.call({
    to: '+15550100',
    from,
    steps: [
      ...pickOption('1'),
      { waitFor: 'recording' },
      { speak: 3000 },
      { press: '#' },
      { waitFor: 'playing', media: 'digits/2' },
      ...choice,
      { waitFor: 'playback', media: 'auth-thankyou' },
      { wait: 200 },
    ],
  });
}

test('a caller asks for a callback; the responder acknowledges by phone, presses 1, and both are bridged', async () => {
  // Alice answers the page call, acknowledges (1), hears the callback offer and presses 1 again.
  h.sim.phone('PJSIP/alice', {
    kind: 'answer',
    ringMs: 500,
    then: [
      { waitFor: 'playing', media: '/media/voicemail/' },
      { press: '1' },
      { waitFor: 'playing', media: 'vm-from-phonenumber' },
      { press: '1' },
      { waitFor: 'bridged' },
      { wait: 2000 },
      { hangup: true },
    ],
  });
  // The caller's phone, rung through the carrier with the hotline's caller ID.
  h.sim.phone('PJSIP/+15551230001@carrier', {
    kind: 'answer',
    ringMs: 800,
    then: [{ waitFor: 'bridged' }, { wait: 60_000 }],
  });

  const caller = messageAndCallback('+15551230001', [{ press: '1' }]);
  const row = await h.finishedCall(caller.channelId);
  expect(row).toMatchObject({ outcome: 'voicemail' });
  const page = await until(() => h.pages()[0]);
  expect(page.summary).toContain('call back at +15551230001');
  expect(all<PageCallerRow>('SELECT * FROM page_callers')).toEqual([
    expect.objectContaining({ page_id: page.id, callback_number: '+15551230001', call_id: row.id }),
  ]);

  const callback = await until(
    () => all<CallRow>(`SELECT * FROM calls WHERE routing = 'callback' AND ended_at IS NOT NULL`)[0],
    30_000,
    'the callback to end',
  );
  expect(callback).toMatchObject({
    caller_number: '+15551230001',
    outcome: 'connected',
    connected_responder_id: 'alice',
    route_id: 'main',
    team_id: 'db-team',
    stage: null,
  });
  expect(callback.outcome_detail).toBe(`callback by alice for page #${page.id}`);
  const legs = all<LegRow>('SELECT * FROM call_legs WHERE call_id = ?', callback.id);
  expect(legs).toEqual([
    expect.objectContaining({ responder_id: 'alice', result: 'accepted', ended_at: expect.any(Number) }),
  ]);
  expect(legs[0]!.channel_id).toMatch(/^lcr-page\./);
  const dialed = h.sim.legs().find((leg) => leg.dialstring === '+15551230001@carrier');
  expect(dialed).toMatchObject({ callerId: 'Acme hotline <+15550100>' });

  expect(await h.daemon.pages.get(page.id)).toMatchObject({
    status: 'acknowledged',
    acknowledged_by: 'alice',
  });
  const events = all<PageEventRow>('SELECT * FROM page_events WHERE page_id = ? ORDER BY id', page.id);
  const calledBack = events.filter((e) => e.type === 'called_back').map((e) => JSON.parse(e.detail!));
  expect(calledBack).toEqual([
    expect.objectContaining({ number: '+15551230001', result: 'connected', call_id: callback.id }),
  ]);
  expect(events.find((e) => e.type === 'called_back')).toMatchObject({ actor: 'alice', via: 'phone' });
}, 60_000);

test('digits entered are read back and confirmed; international, premium and short numbers are refused; a withheld number is not offered one', async () => {
  const entered = messageAndCallback('+15551230002', [
    { press: '2' },
    { waitFor: 'playing', media: 'vm-enter-num-to-call' },
    ...[...'5551239876#'].map((press) => ({ press })),
    { waitFor: 'playing', media: 'digits:15551239876' },
    { press: '1' },
  ]);
  await h.finishedCall(entered.channelId);
  expect(played(entered)).toContain('digits:15551239876');
  // Refused, then entered again: a premium number, then nothing more.
  const premium = h.sim.call({
    to: '+15550100',
    from: '+15551230003',
    steps: [
      ...pickOption('1'),
      { waitFor: 'recording' },
      { speak: 3000 },
      { press: '#' },
      { waitFor: 'playing', media: 'digits/2' },
      { press: '2' },
      ...[...'19005550100#'].map((press) => ({ press })),
      { waitFor: 'playback', media: 'ss-noservice' },
      ...[...'011442079460000#'].map((press) => ({ press })),
      { waitFor: 'playback', media: 'ss-noservice' },
      { wait: 300 },
      { hangup: true },
    ],
  });
  await h.finishedCall(premium.channelId);
  const withheld = h.sim.call({
    to: '+15550100',
    from: 'anonymous',
    steps: [...pickOption('1'), { waitFor: 'recording' }, { speak: 3000 }, { press: '#' }],
  });
  await h.finishedCall(withheld.channelId);
  expect(played(withheld)).not.toContain('sound:vm-enter-num-to-call');
  expect(played(withheld)).toContain('sound:vm-msgsaved');

  await until(() => (all('SELECT * FROM page_callers').length === 3 ? true : undefined));
  const callbacks = all<PageCallerRow>('SELECT * FROM page_callers ORDER BY id').map(
    (c) => c.callback_number,
  );
  expect(callbacks).toEqual(['+15551239876', null, null]);
  // The numbers refused are never logged.
  expect(h.logs.some((l) => l.includes('19005550100') || l.includes('442079460000'))).toBe(false);
}, 60_000);

test('the responder hangs up while the caller rings: the ringing stops, the rows say so, and the request stays open', async () => {
  h.sim.phone('PJSIP/alice', {
    kind: 'answer',
    ringMs: 500,
    then: [
      { waitFor: 'playing', media: '/media/voicemail/' },
      { press: '1' },
      { waitFor: 'playing', media: 'vm-from-phonenumber' },
      { press: '1' },
      { waitFor: 'playback', media: 'pls-hold-while-try' },
      { wait: 800 },
      { hangup: true },
    ],
  });
  // The caller's phone would answer only after 8 s.
  h.sim.phone('PJSIP/+15551230001@carrier', { kind: 'answer', ringMs: 8000, then: [{ wait: 60_000 }] });
  const caller = messageAndCallback('+15551230001', [{ press: '1' }]);
  await h.finishedCall(caller.channelId);
  const page = await until(() => h.pages()[0]);
  const callback = await until(
    () => all<CallRow>(`SELECT * FROM calls WHERE routing = 'callback' AND ended_at IS NOT NULL`)[0],
    20_000,
    'the callback to end',
  );
  expect(callback).toMatchObject({ outcome: 'no-answer', connected_at: null });
  expect(callback.outcome_detail).toContain('the responder hung up first');
  const rung = h.sim.legs().find((leg) => leg.dialstring === '+15551230001@carrier')!;
  expect(rung.transcript.map((t) => t.kind)).not.toContain('answered');
  const calledBack = all<PageEventRow>(
    `SELECT * FROM page_events WHERE page_id = ? AND type = 'called_back'`,
    page.id,
  );
  expect(calledBack.map((e) => JSON.parse(e.detail!))).toEqual([
    expect.objectContaining({ result: 'not reached', reason: 'the responder hung up first' }),
  ]);
  // Not reached: a responder may still call back.
  expect(await pendingCallback(h.daemon.pages, page.id)).toMatchObject({ callback_number: '+15551230001' });
}, 60_000);
