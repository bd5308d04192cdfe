import * as fs from 'node:fs';
import * as path from 'node:path';
import { wavDurationMs } from '../../src/simulator/json';
import { type Harness, until, useHarness } from '../helpers/harness';
import { leaveMessage, pickOption } from '../helpers/people';

let h: Harness;
useHarness({}, (started) => (h = started));

test('a caller picks a team, leaves a message, and a page is assigned to level 1', async () => {
  const call = h.sim.call({
    to: '+15550100',
    from: '+15551230001',
    steps: [...pickOption('1'), { waitFor: 'recording' }, { speak: 8000 }, { wait: 500 }, { press: '#' }],
  });
  const row = await h.finishedCall(call.channelId);
  expect(row).toMatchObject({
    route_id: 'main',
    routing: 'voicemail',
    option_key: '1',
    team_id: 'db-team',
    outcome: 'voicemail',
    dialed_number: '+15550100',
    caller_number: '+15551230001',
  });
  expect(row.answered_at).not.toBeNull();
  const [voicemail] = h.voicemails(row.id);
  expect(voicemail).toMatchObject({ ended_by: 'dtmf', too_short: 0, duration_seconds: 8, fetch_error: null });
  const file = path.join(h.dir, 'data', 'voicemail', voicemail!.file_path!);
  const audio = fs.readFileSync(file);
  expect(wavDurationMs(audio)).toBeGreaterThanOrEqual(8000);
  expect(voicemail!.size_bytes).toBe(audio.length);
  // The recording was copied to the daemon, then removed from Asterisk.
  expect(h.sim.engine.storedRecordings.size).toBe(0);
  const [page] = h.pages();
  expect(page).toMatchObject({
    team_id: 'db-team',
    status: 'triggered',
    voicemail_id: voicemail!.id,
    call_id: row.id,
    caller_number: '+15551230001',
  });
  expect((await h.daemon.pages.assignments(page!.id)).map((a) => a.responder_id)).toEqual(['alice', 'bob']);
  expect(page!.next_escalation_at).toBe(page!.created_at + 5 * 60_000);
  // The caller heard the greeting, the menu, the instructions, then the thanks.
  const heard = call.transcript.filter((t) => t.kind === 'played').map((t) => t.detail);
  expect(heard).toEqual(
    expect.arrayContaining(['sound:welcome', 'sound:press', 'sound:vm-intro', 'sound:vm-msgsaved']),
  );
});

test('a caller who hangs up while recording keeps their message', async () => {
  const call = h.sim.call({
    to: '15550150',
    from: '+15551230009',
    steps: leaveMessage(5000, 'hangup'),
  });
  const row = await h.finishedCall(call.channelId);
  expect(row).toMatchObject({ route_id: 'vendors', option_key: '1', outcome: 'voicemail' });
  const [voicemail] = h.voicemails(row.id);
  expect(voicemail).toMatchObject({ ended_by: 'hangup', duration_seconds: 5, too_short: 0 });
  expect(fs.existsSync(path.join(h.dir, 'data', 'voicemail', voicemail!.file_path!))).toBe(true);
  expect(h.pages()).toHaveLength(1);
});

test('silence ends the message; a short one is kept but marked', async () => {
  const call = h.sim.call({
    to: '+15550150',
    from: '+15551230009',
    // 1.2 s, not 1: a timer can measure a hair under its delay, and Asterisk truncates to whole seconds.
    steps: leaveMessage(1200, 'silence'),
  });
  const row = await h.finishedCall(call.channelId);
  const [voicemail] = h.voicemails(row.id);
  expect(voicemail).toMatchObject({ ended_by: 'silence', duration_seconds: 1, too_short: 1 });
  expect(h.pages()[0]!.summary).toContain('very short');
});

test('the menu replays after silence and an invalid key, then takes the fallback', async () => {
  const call = h.sim.call({
    to: '+15550100',
    from: '+15551230001',
    steps: [
      { waitFor: 'playback', media: 'press' },
      { waitFor: 'prompts-done' },
      { wait: 1500 },
      { press: '*' },
      ...leaveMessage(),
    ],
  });
  const row = await h.finishedCall(call.channelId);
  expect(row).toMatchObject({ option_key: '1', team_id: 'db-team', outcome: 'voicemail' });
  const heard = call.transcript.filter((t) => t.kind === 'played').map((t) => t.detail);
  expect(heard.filter((m) => m === 'sound:option-is-invalid')).toHaveLength(1);
});

test('several keys at once: the first one decides', async () => {
  const call = h.sim.call({
    to: '+15550100',
    from: '+15551230001',
    steps: [...pickOption('21'), ...leaveMessage(2500)],
  });
  const row = await h.finishedCall(call.channelId);
  expect(row).toMatchObject({ option_key: '2', team_id: 'net-team' });
  expect((await h.daemon.pages.assignments(h.pages()[0]!.id)).map((a) => a.responder_id)).toEqual(['carol']);
});

test('an unknown number hears "not in service" and the call is logged', async () => {
  const call = h.sim.call({ to: '5559999', from: '+15551230001' });
  const row = await h.finishedCall(call.channelId);
  expect(row).toMatchObject({ route_id: null, outcome: 'unknown-number' });
  expect(call.transcript.map((t) => t.detail)).toContain('sound:ss-noservice');
});

test('an inactive route plays its message and hangs up', async () => {
  const call = h.sim.call({ to: '+1 (555) 0199', from: '+15551230001' });
  const row = await h.finishedCall(call.channelId);
  expect(row).toMatchObject({ route_id: 'retired', outcome: 'rejected-inactive' });
  expect(h.pages()).toEqual([]);
});

test('the Stasis argument names the route when the dialplan passes one', async () => {
  const call = h.sim.call({
    to: 's',
    from: '+15551230001',
    args: ['vendors'],
    steps: leaveMessage(2500),
  });
  const row = await h.finishedCall(call.channelId);
  expect(row).toMatchObject({ route_id: 'vendors', outcome: 'voicemail' });
});

test('a DID with a carrier prefix still finds its route', async () => {
  const call = h.sim.call({
    to: '0015550150',
    from: '+15551230001',
    steps: [{ waitFor: 'recording' }, { hangup: true }],
  });
  const row = await h.finishedCall(call.channelId);
  expect(row.route_id).toBe('vendors');
});

describe('hanging up at every step', () => {
  test.each([
    [
      'during the greeting',
      [{ waitFor: 'playback', media: 'welcome' }, { hangup: true }],
      'caller hung up during the greeting',
    ],
    [
      'during the menu',
      [{ waitFor: 'playback', media: 'press' }, { hangup: true }],
      'caller hung up during the menu',
    ],
    [
      'during the instructions',
      [...pickOption('1'), { waitFor: 'playback', media: 'vm-intro' }, { hangup: true }],
      'caller hung up before the message',
    ],
  ] as const)('%s: abandoned, no page', async (_name, steps, detail) => {
    const call = h.sim.call({ to: '+15550100', from: '+15551230001', steps: [...steps] });
    const row = await h.finishedCall(call.channelId);
    expect(row).toMatchObject({ outcome: 'abandoned', outcome_detail: detail });
    expect(h.pages()).toEqual([]);
  });

  test('during the thank-you: the message and page are kept', async () => {
    const call = h.sim.call({
      to: '+15550150',
      from: '+15551230001',
      steps: [...leaveMessage(), { waitFor: 'playback', media: 'vm-msgsaved' }, { hangup: true }],
    });
    const row = await h.finishedCall(call.channelId);
    expect(row.outcome).toBe('voicemail');
    expect(h.pages()).toHaveLength(1);
  });

  test('before the beep on a route that pages abandoned calls', async () => {
    const call = h.sim.call({
      to: '+15550150',
      from: '+15551230001',
      steps: [{ waitFor: 'playback', media: 'vm-intro' }, { hangup: true }],
    });
    const row = await h.finishedCall(call.channelId);
    expect(row.outcome).toBe('abandoned');
    expect(h.pages()[0]!.summary).toContain('hung up before leaving a message');
  });
});

test('a recording that fails on the Asterisk side: the caller hears an apology, the call says why', async () => {
  const call = h.sim.call({
    to: '+15550150',
    from: '+15551230001',
    steps: [{ waitFor: 'playback', media: 'vm-intro' }],
  });
  h.sim.failNextRecording(call.channelId);
  const row = await h.finishedCall(call.channelId);
  expect(row).toMatchObject({ outcome: 'error' });
  expect(row.outcome_detail).toContain('recording failed');
  expect(call.transcript.map((t) => t.detail)).toContain('sound:pls-try-call-later');
  expect(h.pages()).toEqual([]);
});

test('the ARI WebSocket drops mid-call: the call goes on after the reconnect', async () => {
  const call = h.sim.call({
    to: '+15550150',
    from: '+15551230001',
    steps: leaveMessage(2000, 'silence'),
  });
  await until(() => call.transcript.some((t) => t.detail === 'recording started') || undefined);
  h.sim.dropWebSockets(300);
  await h.sim.act(call.channelId, [{ speak: 1000 }, { press: '#' }]);
  const row = await h.finishedCall(call.channelId, 20_000);
  expect(row.outcome).toBe('voicemail');
  expect(h.voicemails(row.id)).toHaveLength(1);
});

test('callers who finish their message while the WebSocket is down: length and end come from the stored file', async () => {
  const calls = Array.from({ length: 5 }, (_, i) =>
    h.sim.call({
      to: '+15550150',
      from: `+1555123000${i}`,
      steps: [{ waitFor: 'recording' }, { speak: 2000 }],
    }),
  );
  await until(
    () => calls.every((c) => c.transcript.some((t) => t.detail === 'recording started')) || undefined,
    10_000,
    'every caller to be recording',
  );
  // The WebSocket is down long enough for every caller to talk on and press # within the gap.
  h.sim.dropWebSockets(10_000);
  await Promise.all(calls.map((c) => h.sim.act(c.channelId, [{ speak: 4000 }, { press: '#' }])));
  for (const call of calls) {
    const row = await h.finishedCall(call.channelId, 30_000);
    const [voicemail] = h.voicemails(row.id);
    // What Asterisk kept (the simulator notes it), though the events saying so were lost.
    const kept = Number(
      /^(\d+)s kept$/.exec(
        call.transcript.find((t) => t.kind === 'recorded' && t.detail.endsWith('kept'))!.detail,
      )![1],
    );
    expect(kept).toBeGreaterThanOrEqual(4);
    expect(voicemail!.duration_seconds).toBe(kept);
    expect(voicemail).toMatchObject({ too_short: 0, ended_by: 'unknown', file_path: expect.any(String) });
    expect(row.outcome_detail).not.toContain('too short');
  }
  expect(h.pages().map((p) => p.summary)).not.toContainEqual(expect.stringContaining('very short'));
});

test('a REST request that times out: the call ends as an error and nothing is left in Asterisk', async () => {
  h.sim.stall('channels.answer', 3000);
  const call = h.sim.call({ to: '+15550150', from: '+15551230001' });
  const row = await h.finishedCall(call.channelId);
  expect(row.outcome).toBe('error');
  expect(row.outcome_detail).toMatch(/answer: no answer from Asterisk within 2000 ms/);
  h.sim.stall('channels.answer', undefined);
  // The answer the daemon gave up on is still held; Asterisk must have answered it before it stops.
  await until(() => h.sim.stalledRequests === 0 || undefined, 5000, 'the stalled answer to come back');
});

test('a message Asterisk could not hand over is kept there and copied once the daemon reconnects', async () => {
  h.sim.stall('recordings.getStoredFile', 2500);
  const call = h.sim.call({
    to: '+15550150',
    from: '+15551230001',
    steps: leaveMessage(),
  });
  const row = await h.finishedCall(call.channelId, 30_000);
  const [failed] = h.voicemails(row.id);
  expect(failed).toMatchObject({
    file_path: null,
    fetch_error: expect.stringContaining('no answer from Asterisk'),
  });
  expect(h.sim.engine.storedRecordings.has(failed!.recording_name)).toBe(true);
  expect(h.pages()).toHaveLength(1);

  h.sim.stall('recordings.getStoredFile', undefined);
  h.sim.dropWebSockets(100);
  const copied = await until(
    () => {
      const vm = h.voicemails(row.id)[0]!;
      return vm.file_path !== null ? vm : undefined;
    },
    15_000,
    'the retried copy',
  );
  expect(copied.fetch_error).toBeNull();
  expect(fs.existsSync(path.join(h.dir, 'data', 'voicemail', copied.file_path!))).toBe(true);
  expect(h.sim.engine.storedRecordings.has(failed!.recording_name)).toBe(false);
}, 40_000);

test('a message whose copy failed is copied on the retry schedule, with no reconnection needed', async () => {
  h.sim.stall('recordings.getStoredFile', 2500);
  const call = h.sim.call({
    to: '+15550150',
    from: '+15551230001',
    steps: leaveMessage(),
  });
  const row = await h.finishedCall(call.channelId, 30_000);
  expect(h.voicemails(row.id)[0]).toMatchObject({ file_path: null, fetch_error: expect.any(String) });
  const reconnects = h.daemon.connection.state.reconnects;
  h.sim.stall('recordings.getStoredFile', undefined);
  const copied = await until(
    () => {
      const vm = h.voicemails(row.id)[0]!;
      return vm.file_path !== null ? vm : undefined;
    },
    15_000,
    'the scheduled retry',
  );
  expect(copied).toMatchObject({ fetch_error: null, copy_retry_at: null });
  expect(copied.copy_attempts).toBeGreaterThanOrEqual(1);
  expect(h.daemon.connection.state.reconnects).toBe(reconnects);
  expect(h.logs.some((line) => line.includes('voicemail copied on retry'))).toBe(true);
  // Retries still stalled when the copy succeeded must come back before the simulator stops.
  await until(() => h.sim.stalledRequests === 0 || undefined, 5000, 'stalled copies to come back');
}, 40_000);
