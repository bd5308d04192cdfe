/// <reference lib="dom" />
/**
 * The console in a real headless Chromium (Debian's chromium, driven by playwright-core): sign
 * in, watch a live call appear while a responder's phone rings and disappear when the caller
 * hangs up, open a call's story and play its voicemail, acknowledge a page with a click and see
 * the timeline, and look at the schedules. Each page is saved as a screenshot in
 * test-artifacts/console/; with LCR_UPDATE_SCREENSHOTS=1 the README's pictures (docs/) too.
 *
 * Without Chromium the tests are skipped, saying so; in CI (CI=true) a missing Chromium fails.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startHarness, expectCleanAsterisk, until, type Harness } from '../helpers/harness';
import { leaveMessage, neverAnswers } from '../helpers/people';
import { ALICE_PASSWORD, CONSOLE_CONFIG } from '../helpers/console';

const CHROMIUM = process.env['LCR_CHROMIUM'] ?? '/usr/bin/chromium';
const present = fs.existsSync(CHROMIUM);
const ARTIFACTS = path.resolve(__dirname, '../../test-artifacts/console');
const DOCS = path.resolve(__dirname, '../../docs');

if (!present && process.env['CI'] === 'true')
  throw new Error(
    `Chromium is not installed at ${CHROMIUM}: CI must run the browser tests (apt-get install chromium)`,
  );

const day = (offsetDays: number): string =>
  new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);

/** The tests' hotline plus a direct route, and a schedule with two layers and an override. */
const BROWSER_CONFIG = CONSOLE_CONFIG.replace(
  'escalation_policies:',
  `schedules:
  - id: primary
    name: Database primary
    timezone: America/New_York
    layers:
      - { name: weekly, start: ${day(-10)}T09:00, turn: 1w, members: [alice, carol] }
      - name: weekday evenings
        start: ${day(-10)}T00:00
        turn: 1d
        members: [bob, carol]
        restrictions: [{ days: [mon, tue, wed, thu, fri], from: '18:00', to: '22:00' }]
    overrides:
      - { responder: bob, start: ${day(3)}T09:00, end: ${day(4)}T09:00 }
escalation_policies:`,
)
  .replace(
    '{ targets: [{ responder: alice }, { responder: bob }], ring_timeout: 3s, escalate_after: 5m }',
    '{ targets: [{ responder: alice }, { schedule: primary }], ring_timeout: 30s, escalate_after: 5m }',
  )
  .replace(
    'routes:',
    `routes:
  - id: direct
    name: Ops direct line
    numbers: ['+1 555 0111']
    routing: direct
    options: [{ key: 1, team: db-team, label: Database }]
    direct: { strategy: simultaneous, on_no_answer: hangup }`,
  );

const describeBrowser = present ? describe : describe.skip;
if (!present)
  test(`SKIPPED: the console's browser tests need Chromium at ${CHROMIUM} (apt-get install chromium, or set LCR_CHROMIUM)`, () => {
    expect(present).toBe(false);
  });

describeBrowser('the console in Chromium', () => {
  let h: Harness;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--autoplay-policy=no-user-gesture-required',
      ],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  beforeEach(async () => {
    h = await startHarness({ yaml: BROWSER_CONFIG, timeScale: 1 });
    const context = await browser.newContext({
      viewport: { width: 1200, height: 900 },
      timezoneId: 'Europe/Paris',
    });
    page = await context.newPage();
  });

  afterEach(async () => {
    await page.context().close();
    try {
      await expectCleanAsterisk(h);
    } finally {
      await h.stop();
    }
  });

  async function signIn(): Promise<void> {
    await page.goto(`${h.daemon.httpUrl}/console/now`);
    await page.getByLabel('Responder id').fill('alice');
    await page.getByLabel('Password').fill(ALICE_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/console\/now$/);
  }

  async function screenshot(name: string, readme = false): Promise<void> {
    const file = path.join(ARTIFACTS, `${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    if (readme && process.env['LCR_UPDATE_SCREENSHOTS'] === '1') {
      fs.mkdirSync(DOCS, { recursive: true });
      fs.copyFileSync(file, path.join(DOCS, `console-${name}.png`));
    }
  }

  test('sign in, a live call appears while phones ring and goes when the caller hangs up', async () => {
    h.sim.phone('PJSIP/alice', neverAnswers);
    h.sim.phone('PJSIP/carol', neverAnswers);
    await signIn();
    // The browser's own zone came with the sign-in.
    await expect(page.locator('footer').textContent()).resolves.toBe('Times in Europe/Paris');
    await expect(page.locator('#live-calls').textContent()).resolves.toContain('No call in progress.');
    const call = h.sim.call({
      to: '+15550111',
      from: '+15559990001',
      steps: [{ wait: 6000 }, { hangup: true }],
    });
    const live = page.locator('#live-calls');
    await live.getByText('+15559990001').waitFor({ timeout: 5000 });
    await live.locator('.leg-ringing', { hasText: 'Alice' }).waitFor({ timeout: 5000 });
    await expect(live.textContent()).resolves.toContain('Ops direct line');
    await screenshot('now', true);
    await h.finishedCall(call.channelId, 15_000);
    await live.getByText('No call in progress.').waitFor({ timeout: 5000 });
  }, 40_000);

  test("a call's story, and its voicemail plays in the browser", async () => {
    const call = h.sim.call({ to: '+15550150', from: '+15551230009', steps: leaveMessage(3000) });
    const row = await h.finishedCall(call.channelId);
    await signIn();
    await page.getByRole('link', { name: 'Calls', exact: true }).click();
    await page.getByLabel('Outcome').selectOption('voicemail');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.locator(`a[href="/console/calls/${row.id}"]`).click();
    await page.waitForURL(new RegExp(`/console/calls/${row.id}$`));
    await expect(page.locator('svg.gantt').count()).resolves.toBe(1);
    const played = await page.locator('audio').evaluate(async (element) => {
      const audio = element as HTMLAudioElement;
      await audio.play();
      await new Promise((resolve) => setTimeout(resolve, 700));
      return { duration: audio.duration, currentTime: audio.currentTime, error: audio.error?.code ?? null };
    });
    expect(played.error).toBeNull();
    expect(played.duration).toBeGreaterThan(1);
    expect(played.currentTime).toBeGreaterThan(0);
    await screenshot('call');
  }, 40_000);

  test('acknowledge a page with a click, and see it in the timeline', async () => {
    const call = h.sim.call({ to: '+15550150', from: '+15551230010', steps: leaveMessage(3000) });
    await h.finishedCall(call.channelId);
    const pageId = await until(() => h.pages()[0]?.id);
    await signIn();
    await page.getByRole('link', { name: 'Pages', exact: true }).click();
    await page.getByRole('button', { name: `Acknowledge page ${pageId}` }).click();
    await page.waitForURL(new RegExp(`/console/pages/${pageId}\\?done=acknowledged$`));
    await expect(page.getByRole('status').textContent()).resolves.toBe('Acknowledged: escalation stopped.');
    await expect(page.locator('.timeline').textContent()).resolves.toMatch(/acknowledged by Alice via web/);
    expect(await h.daemon.pages.get(pageId)).toMatchObject({
      status: 'acknowledged',
      acknowledged_by: 'alice',
    });
    await screenshot('page');
  }, 40_000);

  test('the schedules: layers, the override and the final rotation over 14 days', async () => {
    await signIn();
    await page.getByRole('link', { name: 'Schedules' }).click();
    const chart = page.getByRole('img', { name: /Database primary: who is on call over the next 14 days/ });
    await chart.waitFor();
    for (const row of ['weekly', 'weekday evenings', 'Overrides', 'Final'])
      await expect(chart.locator('text.row-label', { hasText: row }).count()).resolves.toBe(1);
    await expect(chart.locator('g.bar title', { hasText: 'Bob' }).count()).resolves.toBeGreaterThan(1);
    await page.setViewportSize({ width: 1200, height: 700 });
    await screenshot('schedules', true);
    // On a phone: no sideways scrolling of the page itself, the chart scrolls in its box.
    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot('schedules-phone');
  }, 40_000);
});
