/** The pure parts of outage handling: coalescing update notifications, and checking status messages. */
import fc from 'fast-check';
import { coalesceUpdates, type EarlierUpdate } from '../../src/paging/planner';
import { checkStatus } from '../../src/paging/statusMessages';
import { CALL_BACK_CLAIM_MS, callBackTaken } from '../../src/paging/service';
import { EXAMPLE_YAML, configFromText } from '../helpers/config';

const email = (responderId: string, dueAt: number) => ({ channel: 'email' as const, responderId, dueAt });
const earlier = (responder: string, due: number, status: string): EarlierUpdate => ({
  channel: 'email',
  responder_id: responder,
  webhook_id: null,
  due_at: due,
  status,
});

describe('coalesceUpdates', () => {
  test('the first update to a target goes at once', () => {
    expect(coalesceUpdates([email('alice', 1000)], [], 60_000)).toEqual([email('alice', 1000)]);
  });

  test('one still waiting to go carries the news: no second one', () => {
    expect(coalesceUpdates([email('alice', 5000)], [earlier('alice', 1000, 'pending')], 60_000)).toEqual([]);
  });

  test('after one went, the next waits for its turn; other targets are not held back', () => {
    expect(
      coalesceUpdates([email('alice', 5000), email('bob', 5000)], [earlier('alice', 1000, 'sent')], 60_000),
    ).toEqual([email('alice', 61_000), email('bob', 5000)]);
  });

  test('whatever the history, at most one update per target is pending and none is due sooner than its turn', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            responder: fc.constantFrom('alice', 'bob'),
            due: fc.integer({ min: 0, max: 1_000_000 }),
            status: fc.constantFrom('pending', 'sent', 'failed', 'cancelled'),
          }),
          { maxLength: 8 },
        ),
        fc.integer({ min: 0, max: 2_000_000 }),
        (history, at) => {
          const rows = history.map((h) => earlier(h.responder, h.due, h.status));
          const planned = coalesceUpdates([email('alice', at), email('bob', at)], rows, 60_000);
          for (const plan of planned) {
            const mine = rows.filter((r) => r.responder_id === plan.responderId);
            const latest = mine.reduce<EarlierUpdate | undefined>(
              (best, r) => (best === undefined || r.due_at >= best.due_at ? r : best),
              undefined,
            );
            expect(latest?.status).not.toBe('pending');
            if (latest !== undefined) expect(plan.dueAt).toBeGreaterThanOrEqual(latest.due_at + 60_000);
            expect(plan.dueAt).toBeGreaterThanOrEqual(at);
          }
        },
      ),
    );
  });
});

describe('checkStatus', () => {
  const config = configFromText(EXAMPLE_YAML);
  const route = config.routes[0]!.id;
  const team = [...config.teams.keys()][0]!;
  const now = Date.parse('2026-12-07T12:00:00Z');

  test('a route or a team, a text, and an expiry from now', () => {
    expect(checkStatus(config, { target: route, text: ' Database\noutage ', for: '2h' }, now)).toEqual({
      ok: true,
      value: { routeId: route, teamId: null, text: 'Database outage', expiresAt: now + 7_200_000 },
    });
    expect(
      checkStatus(config, { target: `team:${team}`, text: 'x', until: '2026-12-07T14:30:00Z' }, now),
    ).toMatchObject({
      ok: true,
      value: { routeId: null, teamId: team, expiresAt: Date.parse('2026-12-07T14:30:00Z') },
    });
  });

  test.each([
    [{ target: 'nowhere', text: 'x', for: '1h' }, /no route "nowhere"/],
    [{ target: 'team:nobody', text: 'x', for: '1h' }, /no team "nobody"/],
    [{ target: route, text: 'x'.repeat(1001), for: '1h' }, /1001 characters/],
    [{ target: route, text: '\u0007 ', for: '1h' }, /empty/],
    [{ target: route, text: 'x' }, /how long it plays/],
    [{ target: route, text: 'x', for: '1h', until: '2026-12-07T14:30:00Z' }, /how long it plays/],
    [{ target: route, text: 'x', for: 'soon' }, /no duration/],
    [{ target: route, text: 'x', for: '0s' }, /more than 0/],
    [{ target: route, text: 'x', until: '2026-12-07T11:59:00Z' }, /in the past/],
    [{ target: route, text: 'x', until: 'tomorrow' }, /no ISO 8601/],
    [{ target: route, text: 'x', for: '8d' }, /7 days at most/],
  ])('%j is refused', (input, error) => {
    const result = checkStatus(config, input, now);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(error);
  });
});

describe('callBackTaken: one responder calls a caller back at a time', () => {
  const claim = (at: number, id = 7) => ({
    type: 'calling_back',
    at,
    detail: JSON.stringify({ page_caller_id: id, call_id: 'c' }),
  });
  const result = (at: number, outcome: string, id = 7) => ({
    type: 'called_back',
    at,
    detail: JSON.stringify({ page_caller_id: id, result: outcome }),
  });
  test('a fresh claim takes the caller; an old one or a settled one does not', () => {
    expect(callBackTaken([], 7, 1000)).toBe(false);
    expect(callBackTaken([claim(1000)], 7, 2000)).toBe(true);
    expect(callBackTaken([claim(1000)], 7, 1000 + CALL_BACK_CLAIM_MS)).toBe(false);
    expect(callBackTaken([claim(1000), result(5000, 'not reached')], 7, 6000)).toBe(false);
    expect(callBackTaken([claim(1000), result(5000, 'connected')], 7, 10 * CALL_BACK_CLAIM_MS)).toBe(true);
  });
  test('claims and results of other callers change nothing', () => {
    expect(callBackTaken([claim(1000, 8), result(2000, 'connected', 8)], 7, 3000)).toBe(false);
    expect(callBackTaken([{ type: 'updated', at: 1000, detail: '{"page_caller_id":7}' }], 7, 2000)).toBe(
      false,
    );
  });
});
