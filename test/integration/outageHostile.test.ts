/**
 * Bad input on the outage prompts: callers who hang up in each new prompt (the known problem, its
 * choice, the message, the callback offer, entering a number, its read-back) and a caller who
 * presses a wrong key in every one. Each call's row is closed, a message left is kept on the
 * page (without a callback nobody confirmed), and nothing is left in Asterisk.
 */
import type { CallRow } from '../../src/store/calls';
import type { PageCallerRow } from '../../src/store/pages';
import type { Step } from '../../src/simulator/script';
import { TEST_CONFIG, type Harness, until, useHarness } from '../helpers/harness';
import { messageFor, pickOption } from '../helpers/people';

const CONFIG = TEST_CONFIG.replace(
  '    menu: { timeout: 1s, tries: 2, fallback: first }',
  `    menu: { timeout: 1s, tries: 2, fallback: first }
    callback: { offer: true, dial: { endpoint: 'PJSIP/{number}@carrier' } }`,
);

let h: Harness;
useHarness({ yaml: CONFIG }, (started) => (h = started));

const all = <T>(sql: string, ...params: unknown[]): T[] => h.daemon.db.prepare(sql).all(...params) as T[];

const toldOfProblem: Step[] = [...pickOption('1'), { waitFor: 'playback', media: 'tt-somethingwrong' }];
const atChoice: Step[] = [...toldOfProblem, { waitFor: 'playing', media: 'digits/1' }];
const recording: Step[] = [...atChoice, { press: '1' }, { waitFor: 'recording' }];
const atOffer: Step[] = [
  ...recording,
  { speak: 3000 },
  { press: '#' },
  { waitFor: 'playing', media: 'digits/2' },
];
const entering: Step[] = [...atOffer, { press: '2' }, { waitFor: 'playback', media: 'vm-enter-num-to-call' }];
const readBack: Step[] = [
  ...entering,
  ...[...'5551239876#'].map((press) => ({ press })),
  { waitFor: 'playing', media: 'digits:15551239876' },
];

/** An open page for the Database team, known to the daemon's outage board. */
async function openProblem(): Promise<number> {
  const first = h.sim.call({ to: '+15550100', from: '+15551230001', steps: messageFor('1', 3000) });
  await h.finishedCall(first.channelId);
  await h.daemon.board.refresh();
  return h.pages()[0]!.id;
}

test('a caller hanging up in each new prompt leaves a closed row, and a message left stays on the page', async () => {
  const pageId = await openProblem();
  const points: Array<[string, Step[], boolean]> = [
    ['the known problem', toldOfProblem, false],
    ['its choice', atChoice, false],
    ['the message', [...recording, { speak: 3000 }], true],
    ['the callback offer', atOffer, true],
    ['entering a number', entering, true],
    ['the read-back', readBack, true],
  ];
  const calls = points.map(([, steps], i) =>
    h.sim.call({ to: '+15550100', from: `+1555123010${i}`, steps: [...steps, { hangup: true }] }),
  );
  for (const [index, call] of calls.entries()) {
    const [where, , leftMessage] = points[index]!;
    const row: CallRow = await h.finishedCall(call.channelId);
    expect({ where, ended: row.ended_at !== null, stage: row.stage }).toEqual({
      where,
      ended: true,
      stage: null,
    });
    expect(row.outcome).not.toBeNull();
    const onPage = await until(
      () => {
        const found = all<PageCallerRow>('SELECT * FROM page_callers WHERE call_id = ?', row.id);
        return leftMessage && found.length === 0 ? undefined : found;
      },
      10_000,
      `the caller who hung up in ${where} on the page`,
    );
    expect({ where, messages: onPage.length }).toEqual({ where, messages: leftMessage ? 1 : 0 });
    if (leftMessage)
      expect(onPage[0]).toMatchObject({
        page_id: pageId,
        callback_number: null,
        voicemail_id: expect.any(String),
      });
  }
  expect(all('SELECT * FROM pages')).toHaveLength(1);
  // Nobody confirmed a number: nobody is dialled back.
  expect(h.sim.legs().some((leg) => leg.dialstring.includes('@carrier'))).toBe(false);
}, 60_000);

test('a caller pressing a wrong key in every new prompt is served as routed: the message joins the page', async () => {
  const pageId = await openProblem();
  const call = h.sim.call({
    to: '+15550100',
    from: '+15551230200',
    steps: [
      ...toldOfProblem,
      { press: '9' },
      { waitFor: 'recording' },
      { press: '9' },
      { speak: 3000 },
      { press: '#' },
      { waitFor: 'playing', media: 'digits/2' },
      { press: '9' },
      { waitFor: 'playback', media: 'auth-thankyou' },
      { press: '9' },
    ],
  });
  const row = await h.finishedCall(call.channelId);
  expect(row).toMatchObject({ outcome: 'voicemail', stage: null });
  const caller = await until(
    () => all<PageCallerRow>('SELECT * FROM page_callers WHERE call_id = ?', row.id)[0],
    10_000,
    'the message on the page',
  );
  expect(caller).toMatchObject({ page_id: pageId, callback_number: null });
  expect(caller.duration_seconds).toBeGreaterThanOrEqual(3);
  const played = call.transcript.filter((t) => t.kind === 'played').map((t) => t.detail);
  expect(played).not.toContain('sound:vm-enter-num-to-call');
}, 60_000);
