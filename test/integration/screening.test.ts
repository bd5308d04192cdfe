/**
 * Caller screening against the simulator, for every outcome: what the caller hears, what the
 * call's row says (`screened`, outcome), who is rung (nobody, when screening holds the caller
 * back), and `lcr_screened_total`. The rate limit is counted in the database: a daemon started
 * again on it still holds the caller back.
 */
import { Daemon } from '../../src/daemon';
import { loadConfigText } from '../../src/config/load';
import { captureLogger, type Harness, until, useHarness } from '../helpers/harness';
import { accepts, leaveMessage } from '../helpers/people';

const CONFIG = `
asterisk: { url: http://127.0.0.1:1, username: lcr, password: lcr-secret, request_timeout: 2s }
settings: { storage_dir: ./data }
responders:
  - { id: alice, name: Alice, phones: ['PJSIP/alice'] }
escalation_policies:
  - id: p
    levels: [{ targets: [{ responder: alice }], ring_timeout: 3s, escalate_after: 5m }]
teams:
  - { id: ops, name: Operations, escalation_policy: p }
screening:
  block: ['+1 900*']
  anonymous: voicemail
routes:
  - id: hotline
    name: Hotline
    numbers: ['5550400']
    routing: direct
    options: [{ key: 1, team: ops, label: Operations }]
    voicemail: { max_silence: 2s }
    screening: { rate_limit: { calls: 1, per: 10m } }
  - id: quiet
    name: Quiet line
    numbers: ['5550401']
    routing: direct
    options: [{ key: 1, team: ops, label: Operations }]
    voicemail: { max_silence: 2s }
    screening: { blocked_hears: nothing, anonymous: refuse, allow: ['+1 555 123 ????'] }
  - id: secure
    name: Secure line
    numbers: ['5550403']
    routing: direct
    options: [{ key: 1, team: ops, label: Operations }]
    voicemail: { max_silence: 2s }
    screening: { pin: { pins: ['2468'], team_pins: { ops: '1357' }, tries: 2 } }
  - id: robots
    name: Robot-proof line
    numbers: ['5550402']
    routing: voicemail
    options: [{ key: 1, team: ops, label: Operations }, { key: 2, team: ops, label: Also operations }]
    voicemail: { max_silence: 2s }
    screening: { press_to_continue: { key: 5, timeout: 1s, tries: 2 } }
`;

let h: Harness;
useHarness({ yaml: CONFIG, timeScale: 0.1 }, (started) => (h = started));

const played = (call: { transcript: Array<{ kind: string; detail: string }> }): string[] =>
  call.transcript.filter((t) => t.kind === 'played').map((t) => t.detail);

async function screenedMetric(route: string, decision: string): Promise<number> {
  const text = await (await fetch(`${h.daemon.httpUrl}/metrics`)).text();
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`lcr_screened_total{route="${route}",decision="${decision}"}`));
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
}

test('a blocked number hears the blocked message and is hung up; nobody is rung, the row says blocked', async () => {
  const call = h.sim.call({ to: '5550400', from: '+1 900 555 0100', steps: [] });
  const row = await h.finishedCall(call.channelId);
  expect(row).toMatchObject({ outcome: 'screened', screened: 'blocked', outcome_detail: 'blocked number' });
  expect(row.answered_at).not.toBeNull();
  expect(played(call)).toEqual(['sound:ss-noservice', 'sound:vm-goodbye']);
  expect(h.sim.legs()).toEqual([]);
  expect(await screenedMetric('hotline', 'blocked')).toBe(1);
});

test('blocked_hears nothing: the call is never answered', async () => {
  const call = h.sim.call({ to: '5550401', from: '+19005550100', steps: [] });
  const row = await h.finishedCall(call.channelId);
  expect(row).toMatchObject({ outcome: 'screened', screened: 'blocked', answered_at: null });
  expect(played(call)).toEqual([]);
});

test('a withheld number: voicemail only on one route (told why), refused on another', async () => {
  const call = h.sim.call({ to: '5550400', from: 'anonymous', steps: leaveMessage(2500) });
  const row = await h.finishedCall(call.channelId);
  expect(row).toMatchObject({ outcome: 'voicemail', routing: 'voicemail', screened: 'anonymous-voicemail' });
  expect(played(call)).toContain('sound:vm-nobodyavail');
  expect(h.sim.legs()).toEqual([]);
  expect(h.pages()).toHaveLength(1);

  const refused = h.sim.call({ to: '5550401', from: '', steps: [] });
  expect(await h.finishedCall(refused.channelId)).toMatchObject({
    outcome: 'screened',
    screened: 'anonymous-refused',
  });
});

test('the allow list: listed numbers are rung, others leave a message', async () => {
  h.sim.phone('PJSIP/alice', accepts());
  const listed = h.sim.call({
    to: '5550401',
    from: '+15551230001',
    steps: [{ waitFor: 'bridged' }, { hangup: true }],
  });
  expect(await h.finishedCall(listed.channelId, 20_000)).toMatchObject({
    outcome: 'connected',
    screened: null,
  });
  const stranger = h.sim.call({ to: '5550401', from: '+15559990001', steps: leaveMessage(2500) });
  const row = await h.finishedCall(stranger.channelId);
  expect(row).toMatchObject({ outcome: 'voicemail', screened: 'not-allowed' });
  expect(h.legs(row.id)).toEqual([]);
});

test('the rate limit: the second direct call within the window goes to voicemail, also after a restart', async () => {
  h.sim.phone('PJSIP/alice', accepts());
  const first = h.sim.call({
    to: '5550400',
    from: '+15551230007',
    steps: [{ waitFor: 'bridged' }, { hangup: true }],
  });
  expect(await h.finishedCall(first.channelId, 20_000)).toMatchObject({
    outcome: 'connected',
    screened: null,
  });
  const second = h.sim.call({ to: '5550400', from: '+15551230007', steps: leaveMessage(2500) });
  const row = await h.finishedCall(second.channelId);
  expect(row).toMatchObject({ outcome: 'voicemail', routing: 'voicemail', screened: 'rate-limited' });
  expect(played(second)).toContain('sound:vm-nobodyavail');
  expect(h.legs(row.id)).toEqual([]);
  // Another caller is not limited by this one. The message made a page, so this caller hears
  // that the problem is known, and presses 2 to hold for a responder.
  const other = h.sim.call({
    to: '5550400',
    from: '+15551230008',
    steps: [
      { waitFor: 'playback', media: 'tt-somethingwrong' },
      { press: '2' },
      { waitFor: 'bridged' },
      { hangup: true },
    ],
  });
  expect(await h.finishedCall(other.channelId, 20_000)).toMatchObject({ outcome: 'connected' });

  // A new daemon on the same database counts the same calls.
  await h.daemon.stop();
  const yaml = CONFIG.replace('http://127.0.0.1:1', h.sim.url);
  const { config } = loadConfigText(yaml, 'routes.yaml', `${h.dir}/routes.yaml`);
  h.daemon = new Daemon({
    config: {
      ...config,
      settings: { ...config.settings, storageDir: `${h.dir}/data`, database: `${h.dir}/data/lcr.db` },
    },
    logger: captureLogger(h.logs),
    retry: { minMs: 50, maxMs: 200 },
    httpListen: '127.0.0.1:0',
  });
  await h.daemon.start();
  await until(() => h.sim.webSocketsOf('lcr') === 1 || undefined, 10_000, 'the new daemon to connect');
  const third = h.sim.call({
    to: '5550400',
    from: '+15551230007',
    steps: [{ waitFor: 'playing', media: 'digits/1' }, { press: '1' }, ...leaveMessage(2500)],
  });
  expect(await h.finishedCall(third.channelId)).toMatchObject({
    screened: 'rate-limited',
    outcome: 'voicemail',
  });
}, 40_000);

test('press to continue: the key lets the caller on to the menu; no key, and the call is hung up', async () => {
  const human = h.sim.call({
    to: '5550402',
    from: '+15551230009',
    steps: [
      { waitFor: 'playback', media: 'digits/5' },
      { press: '5' },
      // The menu (only it names key 2), not the press-to-continue prompt still stopping.
      { waitFor: 'playback', media: 'digits/2' },
      { press: '1' },
      ...leaveMessage(2500),
    ],
  });
  expect(await h.finishedCall(human.channelId)).toMatchObject({
    outcome: 'voicemail',
    screened: null,
    option_key: '1',
  });
  const robot = h.sim.call({ to: '5550402', from: '+15551230010', steps: [{ wait: 5000 }] });
  const row = await h.finishedCall(robot.channelId);
  expect(row).toMatchObject({ outcome: 'screened', screened: 'no-continue', option_key: null });
  expect(played(robot).filter((p) => p === 'sound:digits/5')).toHaveLength(2);
  // Keys pressed during the screening prompts, or a hang-up in them: the row is closed either way.
  const masher = h.sim.call({
    to: '5550402',
    from: '+15551230011',
    steps: [{ press: '9' }, { press: '#' }, { waitFor: 'playback', media: 'digits/5' }, { hangup: true }],
  });
  const mashed = await h.finishedCall(masher.channelId);
  expect(mashed.ended_at).not.toBeNull();
  expect(mashed.outcome).toBe('abandoned');
});

test("a PIN before anyone is rung: a right one (the list or the team's) is rung; two wrong ones leave a message", async () => {
  h.sim.phone('PJSIP/alice', accepts());
  const enter = (pin: string) => [
    { waitFor: 'playback' as const, media: 'agent-pass' },
    ...[...pin].map((key) => ({ press: key })),
    { press: '#' },
  ];
  const listed = h.sim.call({
    to: '5550403',
    from: '+15551230012',
    steps: [...enter('2468'), { waitFor: 'bridged' }, { hangup: true }],
  });
  expect(await h.finishedCall(listed.channelId, 20_000)).toMatchObject({
    outcome: 'connected',
    screened: null,
  });
  const teamPin = h.sim.call({
    to: '5550403',
    from: '+15551230013',
    steps: [...enter('1357'), { waitFor: 'bridged' }, { hangup: true }],
  });
  expect(await h.finishedCall(teamPin.channelId, 20_000)).toMatchObject({ outcome: 'connected' });

  const guesser = h.sim.call({
    to: '5550403',
    from: '+15551230014',
    steps: [...enter('1111'), ...enter('2222'), ...leaveMessage(2500)],
  });
  const row = await h.finishedCall(guesser.channelId);
  expect(row).toMatchObject({
    outcome: 'voicemail',
    routing: 'voicemail',
    screened: 'pin-failed',
    team_id: 'ops',
  });
  expect(h.legs(row.id)).toEqual([]);
  expect(played(guesser)).toEqual(expect.arrayContaining(['sound:auth-incorrect', 'sound:vm-nobodyavail']));
  // The digits themselves are never logged.
  expect(h.logs.some((l) => l.includes('1111') || l.includes('2468'))).toBe(false);
  expect(await screenedMetric('secure', 'pin-failed')).toBe(1);
});

test('a caller who hangs up in each screening prompt, or mashes keys in it: every row is closed', async () => {
  const calls = [
    h.sim.call({
      to: '5550400',
      from: '+19005550100',
      steps: [{ waitFor: 'playback' }, { press: '1' }, { hangup: true }],
    }),
    h.sim.call({
      to: '5550403',
      from: '+15551230020',
      steps: [{ waitFor: 'playback', media: 'agent-pass' }, { hangup: true }],
    }),
    h.sim.call({
      to: '5550403',
      from: '+15551230021',
      steps: [
        { waitFor: 'playback', media: 'agent-pass' },
        { press: '*' },
        { press: '9' },
        { press: '#' },
        { hangup: true },
      ],
    }),
    h.sim.call({
      to: '5550400',
      from: 'anonymous',
      steps: [{ waitFor: 'playback', media: 'nobodyavail' }, { hangup: true }],
    }),
  ];
  const rows = await Promise.all(calls.map((call) => h.finishedCall(call.channelId)));
  for (const row of rows) {
    expect(row.ended_at).not.toBeNull();
    expect(row.outcome).not.toBeNull();
  }
  expect(rows.map((r) => r.screened)).toEqual(['blocked', null, null, 'anonymous-voicemail']);
});
