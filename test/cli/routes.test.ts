/**
 * `lcr routes --at`: what a caller gets from each route at a moment, from the same plan the
 * call flow follows: open or closed with the next opening, the options, who is rung or paged.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { lcr } from '../helpers/cli';
import { tempDir } from '../helpers/tmp';

const dir = tempDir();
const file = path.join(dir, 'routes.yaml');
fs.writeFileSync(
  file,
  `asterisk: { url: 'http://127.0.0.1:8088', username: lcr, password: x }
settings: { timezone: Europe/Berlin }
responders:
  - { id: alice, name: Alice, phones: ['PJSIP/alice'] }
  - { id: bob, name: Bob }
  - { id: carol, name: Carol, phones: ['PJSIP/carol'] }
escalation_policies:
  - id: day
    levels: [{ targets: [{ responder: alice }, { responder: bob }] }, { targets: [{ responder: carol }] }]
  - id: night
    levels: [{ targets: [{ responder: carol }] }]
teams:
  - { id: ops, name: Operations, escalation_policy: day }
routes:
  - id: hotline
    name: Hotline
    numbers: ['+1 555 0100']
    routing: direct
    options: [{ key: 1, team: ops, label: Operations }]
    hours:
      timezone: Europe/Berlin
      weekly: [{ days: [mon, tue, wed, thu, fri], from: "09:00", to: "17:00" }]
      holidays: [{ date: "2026-12-25", name: Christmas }]
    outside_hours: { action: direct, escalation_policy: night }
    screening: { allow: ['+1 555 123 ????'], block: ['+1 900*'] }
  - id: vendors
    name: Vendors
    numbers: ['+1 555 0150']
    routing: voicemail
    options: [{ key: 1, team: ops, label: Operations, urgency: low }]
`,
);

test('open: each option with who is rung, level by level, and who gets a page', async () => {
  const result = await lcr('routes', '-c', file, '--at', '2026-12-04T10:00');
  expect(result.code).toBe(0);
  expect(result.stdout).toBe(
    [
      'What a caller gets at 2026-12-04 10:00 GMT+1:',
      '',
      'Hotline (hotline)  +1 555 0100',
      '  screening: 1 blocked pattern(s), who hear message; only 1 allowed pattern(s) reach direct routing',
      '  open',
      '  1  Operations -> ops: direct, urgency high',
      '     rings level 1: Alice, Bob (no phone: skipped)',
      '     rings level 2: Carol',
      '',
      'Vendors (vendors)  +1 555 0150',
      '  open (no support hours)',
      '  1  Operations -> ops: voicemail, urgency low',
      '     the page goes to Alice, Bob (policy day)',
      '',
    ].join('\n'),
  );
});

test('closed on a holiday: why, when it opens, and the outside-hours policy', async () => {
  const result = await lcr('routes', '-c', file, '--at', '2026-12-25T10:00');
  expect(result.stdout).toContain(
    [
      'Hotline (hotline)  +1 555 0100',
      '  screening: 1 blocked pattern(s), who hear message; only 1 allowed pattern(s) reach direct routing',
      '  CLOSED (holiday: Christmas; opens 2026-12-28 09:00 GMT+1): outside_hours direct',
      '  1  Operations -> ops: direct, urgency low',
      '     rings level 1: Carol',
    ].join('\n'),
  );
  const json = JSON.parse(
    (await lcr('routes', '-c', file, '--at', '2026-12-05T12:00Z', '--json')).stdout,
  ) as {
    routes: Array<{ id: string; open: boolean; closed?: { reason: string; opensAt: string } }>;
  };
  expect(json.routes[0]).toMatchObject({
    id: 'hotline',
    open: false,
    closed: { reason: 'outside support hours', opensAt: '2026-12-07T08:00:00.000Z' },
  });
  expect(json.routes[1]).toMatchObject({ id: 'vendors', open: true });
});

test('--from: what screening does to that number', async () => {
  const stranger = await lcr('routes', '-c', file, '--at', '2026-12-04T10:00', '--from', '+1 555 999 0000');
  expect(stranger.stdout).toContain(
    [
      '  this caller is screened: not-allowed',
      '  open',
      '  1  Operations -> ops: voicemail, urgency high',
    ].join('\n'),
  );
  const allowed = await lcr('routes', '-c', file, '--at', '2026-12-04T10:00', '--from', '+15551230001');
  expect(allowed.stdout).toContain('  1  Operations -> ops: direct, urgency high');
  const blocked = await lcr('routes', '-c', file, '--at', '2026-12-04T10:00', '--from', '+19005550100');
  expect(blocked.stdout).toContain('  this caller is screened: blocked\n\nVendors');
});
