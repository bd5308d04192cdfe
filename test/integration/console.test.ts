/**
 * The web console over real HTTP, as a browser without script uses it: off unless configured,
 * sign-in (responder password or API token), cookies, CSRF, the rate limit, the pages, the
 * actions written in the page's timeline as `via: web`, live updates and voicemail audio.
 */
import { startHarness, TEST_CONFIG, until, useHarness, type Harness } from '../helpers/harness';
import { leaveMessage } from '../helpers/people';
import { ALICE_PASSWORD, CONSOLE_CONFIG, CONSOLE_TOKEN, ConsoleClient } from '../helpers/console';

let h: Harness;
useHarness({ yaml: CONSOLE_CONFIG }, (started) => (h = started));

async function voicemailPage(): Promise<{ pageId: number; callId: string; voicemailId: string }> {
  const call = h.sim.call({ to: '+15550150', from: '+15551230009', steps: leaveMessage() });
  const row = await h.finishedCall(call.channelId);
  const page = h.pages()[0]!;
  return { pageId: page.id, callId: row.id, voicemailId: page.voicemail_id! };
}

test('signed out, every console page sends the browser to sign in and back', async () => {
  const client = new ConsoleClient(h.daemon.httpUrl!);
  const page = await client.get('/console/pages?status=triggered');
  expect(page.status).toBe(303);
  expect(page.headers.get('location')).toBe('/console/sign-in?next=%2Fconsole%2Fpages%3Fstatus%3Dtriggered');
  const post = await client.request('/console/pages/1/acknowledge', { form: { csrf: 'x' } });
  expect(post.status).toBe(401);
  const form = await client.get('/console/sign-in');
  expect(form.status).toBe(200);
  expect(form.setCookies[0]).toMatch(
    /^lcr_sign_in=[\w-]+; Path=\/console; Max-Age=3600; HttpOnly; SameSite=Strict$/,
  );
  expect(form.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  expect(form.text).toContain(
    '<label>Password <input type="password" name="password" autocomplete="current-password" required></label>',
  );
});

test('a responder signs in with their password: a strict HttpOnly session cookie, and their name on every page', async () => {
  const client = new ConsoleClient(h.daemon.httpUrl!);
  const signedIn = await client.signIn('alice', ALICE_PASSWORD, 'Europe/Paris');
  expect(signedIn.status).toBe(303);
  expect(signedIn.headers.get('location')).toBe('/console/now');
  const session = signedIn.setCookies.find((c) => c.startsWith('lcr_session='))!;
  expect(session).toMatch(/; Path=\/console; Max-Age=43200; HttpOnly; SameSite=Strict$/);
  const now = await client.get('/console/now');
  expect(now.status).toBe(200);
  expect(now.text).toContain('<span>Alice</span>');
  expect(now.text).toContain('Times in Europe/Paris');
  expect(now.text).toMatch(/<h3>Database<\/h3>.*Level 1<\/span> Alice, Bob/s);
  expect(now.text).toContain('No call in progress.');
  expect(now.text).toContain('<strong>Asterisk (ARI)</strong> connected');
});

test('a wrong password is refused; five failures lock that name from that address only (429)', async () => {
  // A responder with no console password cannot sign in with an empty one.
  const bob = await new ConsoleClient(h.daemon.httpUrl!).signIn('bob', '');
  expect(bob.status).toBe(401);
  const client = new ConsoleClient(h.daemon.httpUrl!);
  for (let i = 0; i < 5; i++) {
    const wrong = await client.signIn('alice', 'not it');
    expect(wrong.status).toBe(401);
    expect(wrong.text).toContain('Wrong responder id or password.');
  }
  const limited = await client.signIn('alice', ALICE_PASSWORD);
  expect(limited.status).toBe(429);
  expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(500);
  expect(client.cookies.has('lcr_session')).toBe(false);
  // Whoever hammers Alice's name from one address does not lock her out from hers.
  const elsewhere = new ConsoleClient(h.daemon.httpUrl!, '127.0.0.2');
  expect((await elsewhere.signIn('alice', ALICE_PASSWORD)).status).toBe(303);
  // Names that are nobody's, however long, share one bucket and are refused before any check.
  const junk = await new ConsoleClient(h.daemon.httpUrl!).signIn('x'.repeat(5000), 'y');
  expect(junk.status).toBe(401);
});

test('a sign-in or an action without the form token is refused', async () => {
  const client = new ConsoleClient(h.daemon.httpUrl!);
  await client.get('/console/sign-in');
  const forged = await client.request('/console/sign-in', {
    form: { who: 'alice', password: ALICE_PASSWORD, csrf: 'forged' },
  });
  expect(forged.status).toBe(403);
  expect(client.cookies.has('lcr_session')).toBe(false);
  const { pageId } = await voicemailPage();
  await client.signIn('alice', ALICE_PASSWORD);
  const post = await client.request(`/console/pages/${pageId}/acknowledge`, { form: { csrf: 'forged' } });
  expect(post.status).toBe(403);
  expect((await h.daemon.pages.get(pageId))!.status).toBe('triggered');
});

test('acknowledging from the console writes who and via web in the timeline, with the note', async () => {
  const { pageId } = await voicemailPage();
  const client = new ConsoleClient(h.daemon.httpUrl!);
  await client.signIn('alice', ALICE_PASSWORD);
  const pages = await client.get('/console/pages?status=triggered');
  expect(pages.text).toContain(`Acknowledge page ${pageId}`);
  const story = await client.get(`/console/pages/${pageId}`);
  const done = await client.post(`/console/pages/${pageId}/acknowledge`, story, { note: 'looking now' });
  expect(done.status).toBe(303);
  expect(done.headers.get('location')).toBe(`/console/pages/${pageId}?done=acknowledged`);
  const page = (await h.daemon.pages.get(pageId))!;
  expect(page).toMatchObject({ status: 'acknowledged', acknowledged_by: 'alice' });
  const event = (await h.daemon.pages.events(pageId)).find((e) => e.type === 'acknowledged')!;
  expect(event).toMatchObject({ actor: 'alice', via: 'web' });
  expect(JSON.parse(event.detail!)).toMatchObject({ note: 'looking now' });
  const after = await client.get(done.headers.get('location')!);
  expect(after.text).toContain('Acknowledged: escalation stopped.');
  // Only the words of the console's own outcomes are shown: anything else in done= is ignored.
  const odd = await client.get(`/console/pages/${pageId}?done=__proto__`);
  expect(odd.status).toBe(200);
  expect(odd.text).not.toContain('class="flash"');
  expect(after.text).toMatch(/<strong>acknowledged<\/strong> by Alice <span class="via">via web<\/span>/);
  // Twice: the page says so instead of failing.
  const again = await client.post(`/console/pages/${pageId}/acknowledge`, after);
  expect(again.headers.get('location')).toBe(`/console/pages/${pageId}?done=already-acknowledged`);
  const resolved = await client.post(`/console/pages/${pageId}/resolve`, after);
  expect(resolved.headers.get('location')).toBe(`/console/pages/${pageId}?done=resolved`);
  expect((await h.daemon.pages.get(pageId))!.resolved_by).toBe('alice');
});

test('the API token signs in as the operator, whose actions are written as such', async () => {
  const { pageId } = await voicemailPage();
  const client = new ConsoleClient(h.daemon.httpUrl!);
  expect((await client.signIn('', CONSOLE_TOKEN)).status).toBe(303);
  const story = await client.get(`/console/pages/${pageId}`);
  expect(story.text).toContain('<span>Operator</span>');
  await client.post(`/console/pages/${pageId}/escalate`, story);
  const event = (await h.daemon.pages.events(pageId)).find((e) => e.actor === ':operator')!;
  expect(event.via).toBe('web');
});

test("the call log filters, and a call's story has its chart, its legs and its playable voicemail", async () => {
  const { callId, voicemailId } = await voicemailPage();
  const client = new ConsoleClient(h.daemon.httpUrl!);
  await client.signIn('alice', ALICE_PASSWORD);
  const all = await client.get('/console/calls?outcome=voicemail&route=vendors&caller=1230009');
  expect(all.text).toContain(`href="/console/calls/${callId}"`);
  const none = await client.get('/console/calls?caller=99999');
  expect(none.text).toContain('No call matches.');
  const bad = await client.get('/console/calls?from=yesterday&outcome=lost');
  expect(bad.status).toBe(200);
  expect(bad.text).toContain('&#34;yesterday&#34; is not a date (YYYY-MM-DD)');
  expect(bad.text).toContain('no outcome &#34;lost&#34;');
  const story = await client.get(`/console/calls/${callId}`);
  expect(story.text).toContain('<svg class="gantt"');
  expect(story.text).toContain(
    `<audio controls preload="metadata" src="/console/voicemails/${voicemailId}/audio">`,
  );
  const audio = await fetch(`${h.daemon.httpUrl}/console/voicemails/${voicemailId}/audio`, {
    headers: { Cookie: `lcr_session=${client.cookies.get('lcr_session')}` },
  });
  expect(audio.status).toBe(200);
  expect(audio.headers.get('content-type')).toBe('audio/wav');
  expect(audio.headers.get('content-disposition')).toMatch(/^inline/);
  expect(
    Buffer.from(await audio.arrayBuffer())
      .subarray(0, 4)
      .toString(),
  ).toBe('RIFF');
  // Signed out, the audio is not served.
  const anonymous = await fetch(`${h.daemon.httpUrl}/console/voicemails/${voicemailId}/audio`, {
    redirect: 'manual',
  });
  expect(anonymous.status).toBe(303);
});

test('the live stream sends the calls in progress, and again when they change', async () => {
  const client = new ConsoleClient(h.daemon.httpUrl!);
  await client.signIn('alice', ALICE_PASSWORD);
  const controller = new AbortController();
  const response = await fetch(`${h.daemon.httpUrl}/console/events`, {
    headers: { Cookie: `lcr_session=${client.cookies.get('lcr_session')}` },
    signal: controller.signal,
  });
  expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
  const reader = response.body!.getReader();
  let received = '';
  const read = async (until: RegExp): Promise<void> => {
    while (!until.test(received)) received += new TextDecoder().decode((await reader.read()).value);
  };
  await read(/No call in progress/);
  const call = h.sim.call({ to: '+15550150', from: '+15551230042', steps: leaveMessage(4000) });
  await read(/\+15551230042/);
  await h.finishedCall(call.channelId);
  received = '';
  await read(/No call in progress/);
  controller.abort();
});

test('pages of the console that do not exist, and malformed addresses, are 404', async () => {
  const client = new ConsoleClient(h.daemon.httpUrl!);
  await client.signIn('alice', ALICE_PASSWORD);
  expect((await client.get('/console/pages/999')).status).toBe(404);
  expect((await client.get('/console/calls/nope')).status).toBe(404);
  expect((await client.get('/console/%E0%A4%A')).status).toBe(404);
  expect((await client.get('/console/assets/nope.js')).status).toBe(404);
  const css = await client.get('/console/assets/console.css');
  expect(css.headers.get('etag')).toMatch(/^"[\w-]+"$/);
});

describe('configuration', () => {
  let other: Harness | undefined;
  afterEach(async () => {
    await other?.stop();
    other = undefined;
  });

  test('the console is off unless enabled', async () => {
    other = await startHarness({ yaml: TEST_CONFIG });
    const response = await fetch(`${other.daemon.httpUrl}/console/now`, { redirect: 'manual' });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      error: 'the console is off: set settings.console.enabled: true',
    });
  });

  test('behind an https public_url the cookies are Secure', async () => {
    other = await startHarness({
      yaml: CONSOLE_CONFIG.replace(
        '  console: { enabled: true }',
        '  console: { enabled: true }\n  public_url: https://lcr.example.com',
      ),
    });
    const client = new ConsoleClient(other.daemon.httpUrl!);
    const signedIn = await client.signIn('alice', ALICE_PASSWORD);
    expect(signedIn.setCookies.find((c) => c.startsWith('lcr_session='))).toMatch(/; Secure$/);
  });
});

test('a session ends when its responder leaves the configuration', async () => {
  const client = new ConsoleClient(h.daemon.httpUrl!);
  await client.signIn('alice', ALICE_PASSWORD);
  expect((await client.get('/console/now')).status).toBe(200);
  const config = h.daemon.currentConfig;
  const responders = new Map(config.responders);
  responders.delete('alice');
  await h.daemon.applyConfig({ ...config, responders });
  await until(() => h.daemon.currentConfig.responders.has('alice') === false || undefined);
  expect((await client.get('/console/now')).status).toBe(303);
});

test("changing a responder's console password ends their sessions", async () => {
  const client = new ConsoleClient(h.daemon.httpUrl!);
  await client.signIn('alice', ALICE_PASSWORD);
  expect((await client.get('/console/now')).status).toBe(200);
  process.env['ALICE_NEW_PASSWORD'] = 'a new one after a leak';
  const config = h.daemon.currentConfig;
  const responders = new Map(config.responders);
  responders.set('alice', {
    ...responders.get('alice')!,
    consolePassword: { kind: 'env', name: 'ALICE_NEW_PASSWORD' },
  });
  await h.daemon.applyConfig({ ...config, responders });
  expect((await client.get('/console/now')).status).toBe(303);
  expect((await client.signIn('alice', 'a new one after a leak')).status).toBe(303);
});

test('the live stream: 401 signed out, 405 for HEAD, and a signed-out event when the session ends', async () => {
  const anonymous = await fetch(`${h.daemon.httpUrl}/console/events`);
  expect(anonymous.status).toBe(401);
  const client = new ConsoleClient(h.daemon.httpUrl!);
  await client.signIn('alice', ALICE_PASSWORD);
  const cookie = `lcr_session=${client.cookies.get('lcr_session')}`;
  expect(
    (await fetch(`${h.daemon.httpUrl}/console/events`, { method: 'HEAD', headers: { Cookie: cookie } }))
      .status,
  ).toBe(405);
  const response = await fetch(`${h.daemon.httpUrl}/console/events`, { headers: { Cookie: cookie } });
  const reader = response.body!.getReader();
  let received = '';
  const read = async (until: RegExp): Promise<void> => {
    while (!until.test(received)) {
      const { value, done } = await reader.read();
      if (done) break;
      received += new TextDecoder().decode(value);
    }
  };
  await read(/event: update/);
  const config = h.daemon.currentConfig;
  const responders = new Map(config.responders);
  responders.delete('alice');
  await h.daemon.applyConfig({ ...config, responders });
  await read(/event: signed-out/);
  expect(received).toContain('event: signed-out');
  // The stream is over: the server ended it.
  expect((await reader.read()).done).toBe(true);
});

test('a row this version does not know (a newer lcr on the same database) does not break the pages', async () => {
  const now = Date.now();
  // Ended rows: an open one would be closed by the reconciliation, its channel being unknown to Asterisk.
  h.daemon.db
    .prepare(
      "INSERT INTO calls (id, channel_id, caller_number, started_at, ended_at, outcome) VALUES ('c-new', 'ch-new', '+15550000001', ?, ?, 'teleported')",
    )
    .run(now - 60_000, now);
  h.daemon.db
    .prepare(
      "INSERT INTO call_legs (id, call_id, responder_id, level, result, started_at, ended_at) VALUES ('l-new', 'c-new', 'alice', 0, 'hologram', ?, ?)",
    )
    .run(now - 50_000, now);
  const client = new ConsoleClient(h.daemon.httpUrl!);
  await client.signIn('alice', ALICE_PASSWORD);
  expect((await client.get('/console/calls')).text).toContain('teleported');
  expect((await client.get('/console/calls/c-new')).text).toContain('hologram');
});
