/**
 * A low-urgency page (a voicemail left outside support hours) on a route open Monday to Friday,
 * 09:00 to 17:00 in Berlin, created at 22:00 on a Friday: its email goes out at once (to a real
 * SMTP server on loopback), no phone rings, and it is first escalated on Monday at 09:00, with
 * the timeline saying why it waited. Driven by the engine the daemon builds, on a fake clock.
 */
import { EmailNotifier } from '../../src/notifications/email';
import type { Notifier, SendResult } from '../../src/notifications/types';
import { LinkFactory } from '../../src/paging/links';
import { configFromText } from '../helpers/config';
import { FakeClock } from '../helpers/fakeClock';
import { until } from '../helpers/harness';
import { startPagingWorld } from '../helpers/pagingEngine';
import { startSmtpPeer, type SmtpPeer } from '../helpers/peers';

const MINUTE = 60_000;
/** Friday 4 December 2026, 22:00 in Berlin (CET, UTC+1). */
const FRIDAY_22H = Date.parse('2026-12-04T21:00:00Z');
/** Monday 7 December 2026, 09:00 in Berlin. */
const MONDAY_9H = Date.parse('2026-12-07T08:00:00Z');

let smtp: SmtpPeer;
const stops: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

function world(urgency: 'low' | 'high') {
  const config = configFromText(`asterisk: { url: 'http://127.0.0.1:8088', username: lcr, password: x }
notifications:
  email: { host: 127.0.0.1, port: ${smtp.port}, tls: none, from: 'Pages <pages@example.com>', timeout: 2s }
responders:
  - { id: alice, name: Alice, phones: ['PJSIP/alice'], email: alice@example.com, notify: [email, { via: phone, after: 5m }] }
  - { id: carol, name: Carol, phones: ['PJSIP/carol'], email: carol@example.com, notify: [email, phone] }
escalation_policies:
  - id: p
    levels:
      - { targets: [{ responder: alice }], escalate_after: 30m }
      - { targets: [{ responder: carol }], escalate_after: 30m }
teams:
  - { id: db-team, name: Database, escalation_policy: p }
routes:
  - id: main
    name: Main
    numbers: ['+1 555 0100']
    routing: voicemail
    options: [{ key: 1, team: db-team, label: DB }]
    hours:
      timezone: Europe/Berlin
      weekly: [{ days: [mon, tue, wed, thu, fri], from: "09:00", to: "17:00" }]
`);
  const clock = new FakeClock(FRIDAY_22H);
  const rang: string[] = [];
  const phone: Notifier = {
    send: async ({ notification }): Promise<SendResult> => {
      rang.push(notification.responder_id!);
      return { ok: true, detail: 'answered' };
    },
  };
  const email = new EmailNotifier({
    config: () => config,
    settings: config.notifications.email!,
    password: undefined,
    links: () =>
      new LinkFactory(
        Buffer.alloc(32, 1),
        { public: 'http://lcr.example', media: 'http://lcr.example' },
        () => 86_400,
      ),
    voicemailFile: () => Promise.resolve(undefined),
  });
  const { service, engine, pages, notifications, stop } = startPagingWorld({
    config,
    clock,
    notifiers: { phone, email },
  });
  stops.push(stop);
  const pageId = async (): Promise<number> => {
    const page = await service.trigger({
      teamId: 'db-team',
      routeId: 'main',
      callId: null,
      voicemailId: null,
      callerNumber: '+15551230001',
      summary: 'Voicemail for Database via Main',
      urgency,
      at: clock.now(),
    });
    return page.pageId;
  };
  return { clock, engine, pages, notifications, rang, pageId };
}

beforeEach(async () => {
  smtp = await startSmtpPeer();
  stops.push(() => smtp.stop());
});

test('Friday 22:00, low urgency: the email at once, no phone, first escalated on Monday at 09:00', async () => {
  const { clock, engine, pages, notifications, rang, pageId } = world('low');
  await engine.start();
  const id = await pageId();
  await clock.advance(0);
  await until(() => smtp.mails.length === 1 || undefined, 5000, 'the email to alice');
  expect(smtp.mails[0]!.to).toEqual(['alice@example.com']);
  expect((await notifications.ofPage(id)).map((n) => n.channel)).toEqual(['email']);
  expect(await pages.get(id)).toMatchObject({ urgency: 'low', next_escalation_at: MONDAY_9H });
  const assigned = (await pages.events(id)).find((e) => e.type === 'assigned')!;
  expect(JSON.parse(assigned.detail!)).toMatchObject({
    urgency: 'low',
    escalates_at: '2026-12-07T08:00:00.000Z',
    waits: 'low urgency: escalation waits for route main to open',
  });

  // The weekend passes: nothing moves, nobody is rung.
  await clock.advance(MONDAY_9H - 1 - clock.now());
  expect((await pages.events(id)).map((e) => e.type)).toEqual(['triggered', 'assigned']);
  await clock.advance(1);
  expect((await pages.events(id)).map((e) => e.type)).toEqual(['triggered', 'assigned', 'escalated']);
  expect((await pages.events(id)).at(-1)!.at).toBe(MONDAY_9H);
  await until(() => smtp.mails.length === 2 || undefined, 5000, 'the email to carol');
  expect(smtp.mails[1]!.to).toEqual(['carol@example.com']);
  // Inside the hours the next level is due at its usual delay.
  expect(await pages.get(id)).toMatchObject({
    escalation_level: 1,
    next_escalation_at: MONDAY_9H + 30 * MINUTE,
  });
  expect(rang).toEqual([]);
});

test('the same page at high urgency rings and escalates after 30 minutes, hours or not', async () => {
  const { clock, engine, pages, notifications, rang, pageId } = world('high');
  await engine.start();
  const id = await pageId();
  await clock.advance(0);
  expect((await notifications.ofPage(id)).map((n) => n.channel).sort()).toEqual(['email', 'phone']);
  expect(await pages.get(id)).toMatchObject({
    urgency: 'high',
    next_escalation_at: FRIDAY_22H + 30 * MINUTE,
  });
  await clock.advance(30 * MINUTE);
  expect((await pages.events(id)).map((e) => e.type)).toEqual(['triggered', 'assigned', 'escalated']);
  await until(
    () => {
      void clock.advance(0);
      return rang.includes('carol') || undefined;
    },
    5000,
    'carol to be rung',
  );
  expect(rang).toEqual(['alice', 'carol']);
});
