/** `lcr test-call`: the operator's phone rings, and answered, it is a caller on the route. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AsteriskSimulator } from '../../src/simulator';
import { lcr } from '../helpers/cli';
import { expectCleanAsterisk, type Harness, useHarness } from '../helpers/harness';
import { leaveMessage, messageFor } from '../helpers/people';

let h: Harness;
useHarness({}, (started) => (h = started));

test('--option 2: the operator hears the greeting, goes straight to option 2 and leaves a message; the call is recorded', async () => {
  h.sim.phone('PJSIP/operator', {
    kind: 'answer',
    ringMs: 500,
    then: leaveMessage(),
  });
  const result = await lcr(
    'test-call',
    'main',
    '--config',
    path.join(h.dir, 'routes.yaml'),
    '--to',
    'PJSIP/operator',
    '--option',
    '2',
  );
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  expect(result.stdout).toContain(
    'Calling PJSIP/operator: answer it to be a caller on "Acme hotline" (+1 555 0100), option 2 (Network).',
  );
  expect(result.stdout).toContain('Answered: you are the caller now.');
  expect(result.stdout).toMatch(
    /The call ended\. lcr recorded call \S+: route main, option 2, outcome voicemail \(3s, ended by dtmf\)\./,
  );
  const [call] = await h.daemon.calls.listCalls(1);
  expect(call).toMatchObject({
    route_id: 'main',
    option_key: '2',
    team_id: 'net-team',
    caller_number: '15550100',
  });
  // No menu was played: the greeting, then the voicemail instructions.
  const heard = h.sim
    .transcript(call!.channel_id)
    .filter((t) => t.kind === 'played')
    .map((t) => t.detail);
  expect(heard).toEqual(['sound:welcome', 'sound:vm-intro', 'sound:vm-msgsaved', 'sound:vm-goodbye']);
  expect(h.pages()[0]).toMatchObject({ team_id: 'net-team' });
  await expectCleanAsterisk(h);
});

test('a responder id rings their first phone; without --option the operator picks from the menu', async () => {
  h.sim.phone('PJSIP/alice', {
    kind: 'answer',
    ringMs: 300,
    then: messageFor('1', 2500),
  });
  const result = await lcr('test-call', 'main', '--config', path.join(h.dir, 'routes.yaml'), '--to', 'alice');
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(/route main, option 1, outcome voicemail/);
});

test('mistakes are explained: unknown route or option, a phone that does not answer, no daemon', async () => {
  const config = path.join(h.dir, 'routes.yaml');
  const unknown = await lcr('test-call', 'nope', '--config', config, '--to', 'alice');
  expect(unknown).toMatchObject({
    code: 2,
    stderr: 'lcr: no route "nope"; routes: main, vendors, retired\n',
  });
  const option = await lcr('test-call', 'main', '--config', config, '--to', 'alice', '--option', '7');
  expect(option.stderr).toContain('route main has no option 7; options: 1 (Database), 2 (Network)');
  h.sim.phone('PJSIP/operator', { kind: 'no-answer' });
  const silent = await lcr(
    'test-call',
    'main',
    '--config',
    config,
    '--to',
    'PJSIP/operator',
    '--ring-timeout',
    '1',
  );
  expect(silent).toMatchObject({ code: 1, stderr: 'lcr: PJSIP/operator did not answer the test call\n' });
  // An Asterisk no daemon ever connected to.
  const bare = await AsteriskSimulator.start();
  try {
    const file = path.join(h.dir, 'bare.yaml');
    fs.writeFileSync(file, fs.readFileSync(config, 'utf8').replace(h.sim.url, bare.url));
    const stopped = await lcr('test-call', 'main', '--config', file, '--to', 'alice');
    expect(stopped.stderr).toContain(
      'the Stasis application "lcr" is not registered: start lcr (lcr start) before a test call',
    );
  } finally {
    await bare.stop();
  }
});
