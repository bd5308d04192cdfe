/**
 * A callback asked for by link: the responder who opens the page's email link presses "Call the
 * caller back"; lcr rings the responder's phone, waits for 1 there (a mobile's own voicemail must
 * not be bridged to a customer), then rings the caller through the trunk and bridges them.
 */
import type { CallRow } from '../../src/store/calls';
import type { PageEventRow } from '../../src/store/pages';
import { TEST_CONFIG, expectCleanAsterisk, startHarness, type Harness, until } from '../helpers/harness';
import { startSmtpPeer, type SmtpPeer } from '../helpers/peers';
import { pickOption } from '../helpers/people';

function linkConfig(smtp: SmtpPeer): string {
  return TEST_CONFIG.replace(
    "  - { id: alice, name: Alice, phones: ['PJSIP/alice'] }",
    "  - { id: alice, name: Alice, phones: ['PJSIP/alice'], email: alice@example.com, notify: [email] }",
  )
    .replace(
      "  - { id: bob, name: Bob, phones: ['PJSIP/bob', '+15551230002'] }",
      "  - { id: bob, name: Bob, phones: ['PJSIP/bob', '+15551230002'], email: bob@example.com, notify: [email] }",
    )
    .replace(
      'escalation_policies:',
      `notifications:
  email: { host: 127.0.0.1, port: ${smtp.port}, tls: none, username: lcr, password_env: TEST_SMTP_PASSWORD, from: 'Acme pages <pages@example.com>', timeout: 1s }
escalation_policies:`,
    )
    .replace(
      '    menu: { timeout: 1s, tries: 2, fallback: first }',
      `    menu: { timeout: 1s, tries: 2, fallback: first }
    callback:
      offer: true
      dial: { endpoint: 'PJSIP/{number}@carrier', caller_id: '"Acme hotline" <+15550100>' }`,
    );
}

let smtp: SmtpPeer;
let h: Harness;
beforeEach(async () => {
  process.env['TEST_SMTP_PASSWORD'] = 'mail-secret';
  smtp = await startSmtpPeer();
  h = await startHarness({ yaml: linkConfig(smtp) });
});
afterEach(async () => {
  try {
    await expectCleanAsterisk(h);
  } finally {
    await h.stop();
    await smtp.stop();
  }
});

const all = <T>(sql: string, ...params: unknown[]): T[] => h.daemon.db.prepare(sql).all(...params) as T[];

async function linkMailedTo(address: string): Promise<string> {
  const mail = await until(() => smtp.mails.find((m) => m.to.includes(address)), 10_000, 'the email');
  const raw = mail.raw.replace(/=\r?\n/g, '');
  expect(raw).toContain('call back at +15551230001');
  return /Acknowledge: (http:\/\/127\.0\.0\.1:\d+\/ack\/[A-Za-z0-9_.-]+)/.exec(raw)![1]!;
}

test('the link acknowledges and calls back: responder rung, 1 pressed, caller rung and bridged', async () => {
  const caller = h.sim.call({
    to: '+15550100',
    from: '+15551230001',
    steps: [
      ...pickOption('1'),
      { waitFor: 'recording' },
      { speak: 3000 },
      { press: '#' },
      { waitFor: 'playing', media: 'digits/2' },
      { press: '1' },
      { waitFor: 'playback', media: 'auth-thankyou' },
    ],
  });
  await h.finishedCall(caller.channelId);
  const link = await linkMailedTo('alice@example.com');
  const page = h.pages()[0]!;

  const shown = await (await fetch(link)).text();
  expect(shown).toContain('The caller asked to be called back at +15551230001.');
  expect(shown).toContain('<button type="submit">Acknowledge and call the caller back</button>');
  expect(shown).toContain('lcr rings your phone (PJSIP/alice)');

  h.sim.phone('PJSIP/alice', {
    kind: 'answer',
    ringMs: 300,
    then: [
      { waitFor: 'playing', media: 'vm-from-phonenumber' },
      { press: '1' },
      { waitFor: 'bridged' },
      { wait: 1500 },
      { hangup: true },
    ],
  });
  h.sim.phone('PJSIP/+15551230001@carrier', {
    kind: 'answer',
    ringMs: 500,
    then: [{ waitFor: 'bridged' }, { wait: 60_000 }],
  });
  const started = await fetch(link, { method: 'POST', body: new URLSearchParams({ action: 'callback' }) });
  expect(started.status).toBe(202);
  expect(await started.text()).toContain('Calling your phone (PJSIP/alice) now.');
  expect(await h.daemon.pages.get(page.id)).toMatchObject({
    status: 'acknowledged',
    acknowledged_by: 'alice',
  });

  const callback = await until(
    () => all<CallRow>(`SELECT * FROM calls WHERE routing = 'callback' AND ended_at IS NOT NULL`)[0],
    30_000,
    'the callback to end',
  );
  expect(callback).toMatchObject({
    caller_number: '+15551230001',
    outcome: 'connected',
    connected_responder_id: 'alice',
  });
  const calledBack = all<PageEventRow>(
    `SELECT * FROM page_events WHERE page_id = ? AND type = 'called_back'`,
    page.id,
  );
  expect(calledBack).toEqual([expect.objectContaining({ actor: 'alice', via: 'link' })]);
  expect(JSON.parse(calledBack[0]!.detail!)).toMatchObject({ result: 'connected', call_id: callback.id });
  // The responder's phone was rung before the caller's.
  const dialed = h.sim.legs().map((leg) => leg.dialstring);
  expect(dialed).toContain('alice');
  expect(dialed.indexOf('alice')).toBeLessThan(dialed.indexOf('+15551230001@carrier'));

  // Once connected, nobody waits for a callback: the link offers none, and refuses a second.
  expect(await (await fetch(link)).text()).not.toContain('call the caller back');
  const again = await fetch(link, { method: 'POST', body: new URLSearchParams({ action: 'callback' }) });
  expect(again.status).toBe(409);
  expect(await again.text()).toContain('Nobody on this page is waiting for a callback.');
}, 60_000);

test('a responder who answers but does not press 1 leaves the caller uncalled; the link may be used once', async () => {
  const caller = h.sim.call({
    to: '+15550100',
    from: '+15551230001',
    steps: [
      ...pickOption('1'),
      { waitFor: 'recording' },
      { speak: 3000 },
      { press: '#' },
      { waitFor: 'playing', media: 'digits/2' },
      { press: '1' },
      { waitFor: 'playback', media: 'auth-thankyou' },
    ],
  });
  await h.finishedCall(caller.channelId);
  const link = await linkMailedTo('bob@example.com');
  // Bob's mobile voicemail answers: it never presses 1.
  h.sim.phone('PJSIP/bob', { kind: 'answer', ringMs: 200, then: [{ wait: 20_000 }] });
  const started = await fetch(link, { method: 'POST', body: new URLSearchParams({ action: 'callback' }) });
  expect(started.status).toBe(202);
  await until(
    () => (h.logs.some((l) => l.includes('callback requested by link')) ? true : undefined),
    20_000,
    'the callback attempt to end',
  );
  expect(h.sim.legs().some((leg) => leg.dialstring.includes('@carrier'))).toBe(false);
  expect(all(`SELECT * FROM calls WHERE routing = 'callback'`)).toEqual([]);
  const again = await fetch(link, { method: 'POST', body: new URLSearchParams({ action: 'callback' }) });
  expect(again.status).toBe(410);
  expect(await again.text()).toContain('already used to call the caller back');
}, 60_000);
