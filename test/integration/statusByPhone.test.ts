/**
 * A status message recorded on a page call: the responder presses 4 (acknowledge and record), says
 * what callers should hear; it is the team's status message for status_message_for (2h), and the
 * next caller for the team hears that recording with the known problem. With 0 it is not offered.
 */
import type { StatusMessageRow } from '../../src/store/statusMessages';
import type { NotificationRow } from '../../src/store/notifications';
import {
  TEST_CONFIG,
  expectCleanAsterisk,
  startHarness,
  type Harness,
  until,
  useHarness,
} from '../helpers/harness';
import { messageFor, pickOption } from '../helpers/people';

let h: Harness;
useHarness({ yaml: TEST_CONFIG }, (started) => (h = started));

const all = <T>(sql: string, ...params: unknown[]): T[] => h.daemon.db.prepare(sql).all(...params) as T[];
const played = (call: { transcript: Array<{ kind: string; detail: string }> }): string[] =>
  call.transcript.filter((t) => t.kind === 'played').map((t) => t.detail);

test('a responder records a status message after acknowledging; the next caller hears it', async () => {
  for (const phone of ['PJSIP/bob', 'PJSIP/+15551230002@trunk']) h.sim.phone(phone, { kind: 'no-answer' });
  h.sim.phone('PJSIP/alice', {
    kind: 'answer',
    ringMs: 300,
    then: [
      { waitFor: 'playing', media: 'digits/4' },
      { press: '4' },
      { waitFor: 'recording' },
      { speak: 3000 },
      { press: '#' },
      { waitFor: 'playback', media: 'vm-msgsaved' },
    ],
  });
  const first = h.sim.call({ to: '+15550100', from: '+15551230001', steps: messageFor('1', 3000) });
  await h.finishedCall(first.channelId);
  const status = await until(
    () => all<StatusMessageRow>('SELECT * FROM status_messages')[0],
    20_000,
    'the recorded status message',
  );
  expect(status).toMatchObject({
    route_id: null,
    team_id: 'db-team',
    set_by: 'alice',
    via: 'phone',
    cleared_at: null,
    // The Asterisk that stores the recording: the one the calls are on.
    asterisk: all<{ asterisk: string }>('SELECT asterisk FROM calls LIMIT 1')[0]!.asterisk,
  });
  expect(status.recording).toMatch(/^lcr-status-\d+-[0-9a-f]{8}$/);
  expect(status.expires_at - status.set_at).toBe(2 * 3600 * 1000);
  expect(h.sim.engine.storedRecordings.has(status.recording!)).toBe(true);
  const notification = await until(
    () =>
      all<NotificationRow>(
        `SELECT * FROM notifications WHERE channel = 'phone' AND responder_id = 'alice'`,
      ).find((n) => n.status === 'sent'),
    20_000,
    "alice's page call to end",
  );
  expect(notification).toBeDefined();
  expect(h.pages()[0]).toMatchObject({ status: 'acknowledged', acknowledged_by: 'alice' });

  await h.daemon.board.refresh();
  const next = h.sim.call({
    to: '+15550100',
    from: '+15551230009',
    steps: [
      ...pickOption('1'),
      { waitFor: 'playback', media: 'tt-somethingwrong' },
      { waitFor: 'playing', media: 'digits/1' },
      { press: '1' },
      { waitFor: 'recording' },
      { speak: 3000 },
      { press: '#' },
    ],
  });
  await h.finishedCall(next.channelId);
  const heard = played(next);
  expect(heard).toContain(`recording:${status.recording}`);
  // Told of the problem, then the responder's words, then the choice.
  expect(heard.indexOf(`recording:${status.recording}`)).toBeGreaterThan(
    heard.indexOf('sound:tt-somethingwrong'),
  );
}, 60_000);

test('status_message_for: 0: the page call offers no recording, and 4 does nothing', async () => {
  const off = await startHarness({
    yaml: TEST_CONFIG.replace(
      'escalation_policies:',
      'notifications:\n  phone: { status_message_for: 0 }\nescalation_policies:',
    ),
  });
  try {
    for (const phone of ['PJSIP/bob', 'PJSIP/+15551230002@trunk'])
      off.sim.phone(phone, { kind: 'no-answer' });
    // Alice presses 4 after the menu, then hangs up.
    off.sim.phone('PJSIP/alice', {
      kind: 'answer',
      ringMs: 300,
      then: [{ waitFor: 'playing', media: 'vm-repeat' }, { press: '4' }, { wait: 1500 }, { hangup: true }],
    });
    const call = off.sim.call({ to: '+15550100', from: '+15551230001', steps: messageFor('1', 3000) });
    await off.finishedCall(call.channelId);
    await until(
      () =>
        off.sim
          .legs()
          .some((leg) => leg.dialstring === 'alice' && leg.transcript.some((t) => t.kind === 'ended'))
          ? true
          : undefined,
      20_000,
      "alice's page call to end",
    );
    expect(off.pages()[0]).toMatchObject({ status: 'triggered' });
    expect(off.daemon.db.prepare('SELECT * FROM status_messages').all()).toEqual([]);
    const alice = off.sim.legs().find((leg) => leg.dialstring === 'alice')!;
    expect(alice.transcript.filter((t) => t.kind === 'played').map((t) => t.detail)).not.toContain(
      'sound:digits/4',
    );
  } finally {
    try {
      await expectCleanAsterisk(off);
    } finally {
      await off.stop();
    }
  }
}, 60_000);
