import { resolveOnCall, UnknownTeamError } from '../../src/oncall/escalation';
import { configFromText, EXAMPLE_YAML } from '../helpers/config';

const config = configFromText(EXAMPLE_YAML, 'routes.example.yaml');
const names = (teamId: string, iso: string): string[][] =>
  resolveOnCall(config, teamId, Date.parse(iso)).levels.map((level) =>
    level.responders.map((r) => r.responder.id),
  );

test('levels resolve through schedules and named responders', () => {
  // Tuesday 2026-11-24 10:00 New York: db-primary is in its 47th week since 2026-01-05 (alice, bob, dave...).
  expect(names('db-team', '2026-11-24T15:00:00Z')).toEqual([['bob'], ['carol', 'erin'], ['grace']]);
});

test("an override in the schedule changes level 1 for the override's span only", () => {
  expect(names('db-team', '2026-11-26T15:00:00Z')[0]).toEqual(['dave']);
  expect(names('db-team', '2026-11-27T15:00:00Z')[0]).toEqual(['bob']);
});

test('the first phone is reported, and its dial string', () => {
  const answer = resolveOnCall(config, 'db-team', Date.parse('2026-11-24T15:00:00Z'));
  const carol = answer.levels[1]!.responders[0]!;
  expect(carol.firstPhone?.dialString).toBe('PJSIP/carol');
  expect(carol.via).toEqual({ kind: 'direct' });
  expect(answer.levels[0]!.responders[0]!.via).toEqual({ kind: 'schedule', scheduleId: 'db-primary' });
});

test('a responder named twice on one level is rung once', () => {
  const text = EXAMPLE_YAML.replace(
    '[{ responder: carol }, { responder: erin }]',
    '[{ responder: carol }, { responder: carol }, { schedule: db-primary }]',
  );
  const answer = resolveOnCall(configFromText(text), 'db-team', Date.parse('2026-11-24T15:00:00Z'));
  expect(answer.levels[1]!.responders.map((r) => r.responder.id)).toEqual(['carol', 'bob']);
});

test('an unknown team is an error of its own kind', () => {
  expect(() => resolveOnCall(config, 'nope', 0)).toThrow(UnknownTeamError);
});
