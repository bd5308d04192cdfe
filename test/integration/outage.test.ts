/**
 * An outage on the hotline: many callers about one problem make one page (de-duplication), with
 * an update to whoever the page reaches instead of a new escalation per caller. Real peers on
 * loopback: an SMTP server and a webhook receiver.
 */
import * as path from 'node:path';
import { TEST_CONFIG, expectCleanAsterisk, startHarness, type Harness, until } from '../helpers/harness';
import { startHttpPeer, startSmtpPeer, type HttpPeer, type SmtpPeer } from '../helpers/peers';
import { leaveMessage, messageFor } from '../helpers/people';
import type { NotificationRow } from '../../src/store/notifications';
import type { PageCallerRow, PageEventRow } from '../../src/store/pages';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Everyone takes email only (no phone calls), level 1 escalates after 3 s to Carol. */
function outageConfig(smtp: SmtpPeer, hook: HttpPeer, dedupe: string): string {
  return TEST_CONFIG.replace(
    /responders:[\s\S]*?escalation_policies:/,
    `responders:
  - { id: alice, name: Alice, phones: ['PJSIP/alice'], email: alice@example.com, notify: [email] }
  - { id: bob, name: Bob, phones: ['PJSIP/bob'], email: bob@example.com, notify: [email] }
  - { id: carol, name: Carol, phones: ['PJSIP/carol'], email: carol@example.com, notify: [email] }
notifications:
  email: { host: 127.0.0.1, port: ${smtp.port}, tls: none, from: pages@example.com, timeout: 2s }
  webhooks:
    - { id: chat, url: '${hook.url}/hook', format: generic }
escalation_policies:`,
  )
    .replace('escalate_after: 5m', 'escalate_after: 3s')
    .replace(
      '    menu: { timeout: 1s, tries: 2, fallback: first }',
      `    menu: { timeout: 1s, tries: 2, fallback: first }\n    dedupe: ${dedupe}`,
    );
}

async function outageHarness(dedupe: string): Promise<{ h: Harness; smtp: SmtpPeer; hook: HttpPeer }> {
  const smtp = await startSmtpPeer();
  const hook = await startHttpPeer();
  const h = await startHarness({ yaml: outageConfig(smtp, hook, dedupe) });
  cleanups.push(async () => {
    try {
      await expectCleanAsterisk(h);
    } finally {
      await h.stop();
      await smtp.stop();
      await hook.stop();
    }
  });
  return { h, smtp, hook };
}

const rows = <T>(h: Harness, sql: string, ...params: unknown[]): T[] =>
  h.daemon.db.prepare(sql).all(...params) as T[];

test('20 callers about one outage make one page with 20 messages and one escalation chain', async () => {
  const { h, smtp, hook } = await outageHarness('{ scope: option, window: 1h, update_every: 2s }');
  const calls = Array.from({ length: 20 }, (_, i) =>
    h.sim.call({
      to: '+15550100',
      from: `+1555123${String(1000 + i)}`,
      steps: [{ wait: i * 150 }, ...messageFor('1', 3000)],
    }),
  );
  for (const call of calls) await h.finishedCall(call.channelId, 30_000);
  // One Network caller, on another option: a page of its own.
  const other = h.sim.call({ to: '+15550100', from: '+15559990000', steps: messageFor('2', 3000) });
  await h.finishedCall(other.channelId);

  const pages = await until(() => {
    const all = h.pages();
    return all.length === 2 && all.some((p) => p.caller_count === 20) ? all : undefined;
  });
  const page = pages.find((p) => p.team_id === 'db-team')!;
  expect(page).toMatchObject({ caller_count: 20, option_key: '1', route_id: 'main' });
  expect(pages.find((p) => p.team_id === 'net-team')).toMatchObject({ caller_count: 1, option_key: '2' });
  const callers = rows<PageCallerRow>(h, 'SELECT * FROM page_callers WHERE page_id = ? ORDER BY id', page.id);
  expect(callers).toHaveLength(20);
  expect(new Set(callers.map((c) => c.caller_number)).size).toBe(20);
  for (const caller of callers) {
    expect(caller.voicemail_id).not.toBeNull();
    // The length is the message's own (3 s of speech, stretched by a loaded machine's timers).
    const [message] = rows<{ duration_seconds: number }>(
      h,
      'SELECT duration_seconds FROM voicemails WHERE id = ?',
      caller.voicemail_id,
    );
    expect(caller.duration_seconds).toBe(message!.duration_seconds);
    expect(caller.duration_seconds).toBeGreaterThanOrEqual(3);
  }

  // One escalation chain: level 2 once, after 3 s, whatever the number of callers.
  await until(
    () =>
      rows<PageEventRow>(h, `SELECT * FROM page_events WHERE page_id = ? AND type = 'escalated'`, page.id)[0],
    15_000,
    'the escalation to level 2',
  );
  await new Promise((resolve) => setTimeout(resolve, 2500));
  const events = rows<PageEventRow>(h, 'SELECT * FROM page_events WHERE page_id = ? ORDER BY id', page.id);
  const count = (type: string): number => events.filter((e) => e.type === type).length;
  expect(count('triggered')).toBe(1);
  expect(count('updated')).toBe(19);
  expect(count('escalated')).toBe(1);
  expect(JSON.parse(events.find((e) => e.type === 'updated')!.detail!)).toMatchObject({
    duration_seconds: callers[1]!.duration_seconds,
    callers: 2,
  });

  // The updates went out coalesced: each assignee got the page, then an update or two telling
  // the latest count; never one mail per caller.
  const notifications = await until(() => {
    const all = rows<NotificationRow>(
      h,
      'SELECT * FROM notifications WHERE page_id = ? ORDER BY id',
      page.id,
    );
    return all.every((n) => n.status === 'sent') ? all : undefined;
  }, 15_000);
  const mailsTo = (who: string) => smtp.mails.filter((m) => m.to.includes(who));
  for (const who of ['alice@example.com', 'bob@example.com']) {
    const mails = mailsTo(who).map((m) => m.raw.replace(/=\r?\n/g, ''));
    expect(mails.filter((m) => /Subject: \[lcr\] Page #\d+ for Database/.test(m))).toHaveLength(1);
    const updates = mails.filter((m) => /Subject: \[lcr\] Update on page #\d+ for Database/.test(m));
    expect(updates.length).toBeGreaterThanOrEqual(1);
    expect(updates.length).toBeLessThanOrEqual(4);
  }
  // The last update tells all 20 (sent after the last caller, at its turn).
  expect(smtp.mails.some((m) => m.raw.replace(/=\r?\n/g, '').includes('20 callers so far'))).toBe(true);
  // Carol was paged about the outage once, by the escalation (her other mail is the Network page);
  // callers who joined after it (a loaded machine spreads them out) reach her as updates only.
  const carolDatabase = mailsTo('carol@example.com')
    .map((m) => m.raw.replace(/=\r?\n/g, ''))
    .filter((m) => /Subject: \[lcr\] (Page|Update on page) #\d+ for Database/.test(m));
  expect(carolDatabase.filter((m) => /Subject: \[lcr\] Page #\d+ for Database/.test(m))).toHaveLength(1);
  expect(carolDatabase.length).toBeLessThanOrEqual(5);
  const emails = notifications.filter((n) => n.channel === 'email');
  expect(emails.filter((n) => n.responder_id === 'carol')).toHaveLength(carolDatabase.length);
  const hooks = hook.requests.map(
    (r) => JSON.parse(r.body) as { event: string; page: { id: number; callers: number } },
  );
  const ofPage = hooks.filter((r) => r.page.id === page.id);
  expect(ofPage.filter((r) => r.event === 'triggered')).toHaveLength(1);
  expect(ofPage.filter((r) => r.event === 'escalated')).toHaveLength(1);
  const updates = ofPage.filter((r) => r.event === 'updated');
  expect(updates.length).toBeGreaterThanOrEqual(1);
  expect(updates.length).toBeLessThanOrEqual(4);
}, 90_000);

test('scope off: every message is a page of its own', async () => {
  const { h } = await outageHarness('{ scope: off }');
  for (const from of ['+15551230001', '+15551230002']) {
    const call = h.sim.call({ to: '+15550100', from, steps: messageFor('1', 3000) });
    await h.finishedCall(call.channelId);
  }
  const pages = await until(() => (h.pages().length === 2 ? h.pages() : undefined));
  expect(pages.map((p) => p.caller_count)).toEqual([1, 1]);
});

test('a message to an acknowledged page reaches whoever acknowledged it, and only them', async () => {
  const { h, smtp } = await outageHarness('{ scope: team }');
  const first = h.sim.call({ to: '+15550100', from: '+15551230001', steps: messageFor('1', 3000) });
  await h.finishedCall(first.channelId);
  const page = await until(() => h.pages()[0]);
  await until(() => (smtp.mails.length >= 2 ? true : undefined), 10_000, 'the page to alice and bob');
  await h.daemon.paging.acknowledge(page.id, { id: 'bob', via: 'cli', responderId: 'bob' });
  const before = smtp.mails.length;
  const second = h.sim.call({ to: '+15550100', from: '+15551230002', steps: messageFor('1', 3000) });
  await h.finishedCall(second.channelId);
  const mail = await until(() => smtp.mails[before], 10_000, 'the update to the acknowledger');
  expect(mail.to).toEqual(['bob@example.com']);
  expect(mail.raw.replace(/=\r?\n/g, '')).toMatch(
    /Subject: \[lcr\] Update on page #\d+ for Database: update: another caller,\s+\+15551230002, left a\s+message \(3s\)/,
  );
  expect(await h.daemon.pages.get(page.id)).toMatchObject({ status: 'acknowledged', caller_count: 2 });
  expect(h.pages()).toHaveLength(1);
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(smtp.mails.slice(before).map((m) => m.to)).toEqual([['bob@example.com']]);
}, 60_000);

describe('callers told what is known', () => {
  const played = (call: { transcript: Array<{ kind: string; detail: string }> }): string[] =>
    call.transcript.filter((t) => t.kind === 'played').map((t) => t.detail);

  test('not yet acknowledged, then acknowledged: each caller hears which, and may leave a message or hang up', async () => {
    const h = await startHarness({});
    cleanups.push(async () => {
      try {
        await expectCleanAsterisk(h);
      } finally {
        await h.stop();
      }
    });
    const first = h.sim.call({ to: '+15550100', from: '+15551230001', steps: messageFor('1', 3000) });
    await h.finishedCall(first.channelId);
    const page = await until(() => h.pages()[0]);
    expect(played(first)).not.toContain('sound:tt-somethingwrong');

    // Not acknowledged yet: "we are alerting the on-call engineer now"; 1 leaves a message anyway.
    const second = h.sim.call({
      to: '+15550100',
      from: '+15551230002',
      steps: [
        { waitFor: 'playback', media: 'press' },
        { press: '1' },
        { waitFor: 'playback', media: 'tt-somethingwrong' },
        { waitFor: 'playing', media: 'digits/1' },
        { press: '1' },
        { waitFor: 'recording' },
        { speak: 3000 },
        { press: '#' },
      ],
    });
    const secondRow = await h.finishedCall(second.channelId);
    expect(played(second)).toEqual(
      expect.arrayContaining([
        'sound:tt-somethingwrong',
        'number:1',
        'sound:pls-hold-while-try',
        'sound:vm-intro',
      ]),
    );
    expect(secondRow).toMatchObject({ outcome: 'voicemail', routing: 'voicemail' });
    await until(() => (h.pages()[0]!.caller_count === 2 ? true : undefined));

    // Acknowledged: "an engineer is working on it"; this caller hangs up at the choice.
    await h.daemon.paging.acknowledge(page.id, { id: 'alice', via: 'cli', responderId: 'alice' });
    const third = h.sim.call({
      to: '+15550100',
      from: '+15551230003',
      steps: [
        { waitFor: 'playback', media: 'press' },
        { press: '1' },
        { waitFor: 'playback', media: 'tt-somethingwrong' },
        { wait: 200 },
        { hangup: true },
      ],
    });
    const thirdRow = await h.finishedCall(third.channelId);
    expect(played(third)).toContain('sound:tt-somethingwrong');
    expect(played(third)).not.toContain('sound:pls-hold-while-try');
    expect(thirdRow).toMatchObject({ outcome: 'abandoned', team_id: 'db-team' });
    expect(h.voicemails(thirdRow.id)).toEqual([]);
    expect(h.pages()).toHaveLength(1);
    expect(h.pages()[0]!.caller_count).toBe(2);

    // The other team has no problem: its callers hear the usual flow.
    const network = h.sim.call({ to: '+15550100', from: '+15551230004', steps: messageFor('2', 3000) });
    await h.finishedCall(network.channelId);
    expect(played(network)).not.toContain('sound:tt-somethingwrong');
  }, 60_000);
});

describe('status messages', () => {
  const TOKEN = 'status-api-token-0123456789';
  const FAKE_TTS = path.join(__dirname, '..', 'prompts', 'fixtures', 'fake-tts.js');

  test('set over the API, the greeting plays it until it expires; bad input gets clear answers', async () => {
    process.env['TEST_STATUS_TOKEN'] = TOKEN;
    const yaml = TEST_CONFIG.replace(
      '  http_listen: 127.0.0.1:0',
      '  http_listen: 127.0.0.1:0\n  api_token_env: TEST_STATUS_TOKEN',
    ).replace(
      'prompts: { engine: none }',
      `prompts:\n  engine: command\n  command: ['${process.execPath}', '${FAKE_TTS}', 'out={output}']`,
    );
    const h = await startHarness({ yaml });
    cleanups.push(async () => {
      try {
        await expectCleanAsterisk(h);
      } finally {
        await h.stop();
      }
    });
    const api = (method: string, path: string, body?: unknown): Promise<Response> =>
      fetch(`${h.daemon.httpUrl}/api/status${path}`, {
        method,
        headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const text = 'Database outage, next update at 14:30.';

    const refusals: Array<[string, unknown, RegExp]> = [
      ['/main', { text: 'x'.repeat(1001), for: '1h' }, /1001 characters/],
      ['/main', { text, until: '2020-01-01T00:00:00Z' }, /in the past/],
      ['/main', { text }, /how long it plays/],
      ['/nowhere', { text, for: '1h' }, /no route "nowhere"/],
      ['/main', { text: '   ', for: '1h' }, /empty/],
    ];
    for (const [path, body, error] of refusals) {
      const response = await api('PUT', path, body);
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: string }).error).toMatch(error);
    }

    const set = await api('PUT', '/main', { text, for: '3s', as: 'alice' });
    expect(set.status).toBe(200);
    const spoken = await until(
      () => h.daemon.promptLibrary!.spokenText(text, 'en'),
      10_000,
      'the status message to be spoken',
    );
    const during = h.sim.call({
      to: '+15550100',
      from: '+15551230001',
      steps: [{ waitFor: 'playing', media: spoken.media[0]! }, { press: '1' }, ...leaveMessage(3000)],
    });
    await h.finishedCall(during.channelId);
    const heard = during.transcript.filter((t) => t.kind === 'played').map((t) => t.detail);
    expect(heard).toContain(spoken.media[0]);
    // Once, right after the greeting (the same playback).
    expect(heard.filter((m) => m === spoken.media[0])).toHaveLength(1);
    expect((await (await api('GET', '')).json()) as unknown).toMatchObject({
      statuses: [{ route_id: 'main', text, set_by: 'alice', via: 'http' }],
    });

    // Expired: the next caller hears the greeting alone.
    await new Promise((resolve) => setTimeout(resolve, 3200));
    const after = h.sim.call({
      to: '+15550100',
      from: '+15551230002',
      steps: [{ waitFor: 'playback' }, { press: '2' }, ...leaveMessage(3000)],
    });
    await h.finishedCall(after.channelId);
    expect(after.transcript.filter((t) => t.kind === 'played').map((t) => t.detail)).not.toContain(
      spoken.media[0],
    );
    expect((await (await api('GET', '')).json()) as unknown).toEqual({ statuses: [] });
  }, 60_000);
});
