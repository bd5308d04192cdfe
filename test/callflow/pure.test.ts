import fc from 'fast-check';
import { nextMenuStep } from '../../src/callflow/menu';
import { findRoute } from '../../src/callflow/routing';
import { planDialing } from '../../src/callflow/direct/plan';
import { classifyUnanswered } from '../../src/callflow/verbs/dial';
import { resolveOnCall } from '../../src/oncall/escalation';
import { configFromText, EXAMPLE_YAML } from '../helpers/config';

const config = configFromText(EXAMPLE_YAML, 'routes.example.yaml');
const hotline = config.routes.find((r) => r.id === 'hotline')!;

describe('route matching', () => {
  test.each([
    [[], '5550100', 'hotline'],
    [[], '+1 555-0101', 'hotline'],
    [[], '15550150', 'vendors'],
    [[], '0015550150', 'vendors'],
    [['legacy'], 's', 'legacy'],
    [['+15550150'], 's', 'vendors'],
    [[], '5550000', undefined],
    [[], '0', undefined],
  ] as const)('args %j exten %s -> %s', (args, exten, expected) => {
    expect(findRoute(config.routes, [...args], exten)?.id).toBe(expected);
  });
});

describe('menu decisions', () => {
  test('a configured key selects its option at any attempt', () => {
    expect(nextMenuStep(hotline, '2', 1)).toEqual({ kind: 'selected', option: hotline.options[1] });
    expect(nextMenuStep(hotline, '2', 3)).toEqual({ kind: 'selected', option: hotline.options[1] });
  });
  test('anything else retries until the tries run out, then the fallback', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(undefined, '*', '#', '0', '9', '5'),
        fc.integer({ min: 1, max: 10 }),
        (digit, attempt) => {
          const step = nextMenuStep(hotline, digit, attempt);
          if (attempt < hotline.menu.tries)
            expect(step).toEqual({ kind: 'retry', reason: digit === undefined ? 'no-input' : 'invalid' });
          else expect(step).toEqual({ kind: 'fallback', option: hotline.options[0] });
        },
      ),
    );
  });
  test('fallback hangup gives up', () => {
    const route = { ...hotline, menu: { ...hotline.menu, fallback: 'hangup' } };
    expect(nextMenuStep(route, undefined, route.menu.tries)).toEqual({ kind: 'give-up' });
  });
});

describe('dialing plan', () => {
  const levels = resolveOnCall(config, 'db-team', Date.parse('2026-11-24T15:00:00Z')).levels;

  test('levels in order; repeats never ring level 1 again', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4 }),
        fc.constantFrom('simultaneous', 'sequential', 'random') as fc.Arbitrary<'simultaneous'>,
        fc.boolean(),
        (repeat, routeStrategy, skipAlreadyDialed) => {
          const plan = planDialing(levels, { repeat, routeStrategy, skipAlreadyDialed, random: Math.random });
          expect(plan.filter((s) => s.levelIndex === 0)).toHaveLength(1);
          expect(plan[0]!.levelIndex).toBe(0);
          expect(plan).toHaveLength(levels.length + repeat * (levels.length - 1));
          const dialled = plan.flatMap((s) => s.targets.flatMap((t) => (t.dialString ? [t.dialString] : [])));
          if (skipAlreadyDialed) expect(new Set(dialled).size).toBe(dialled.length);
        },
      ),
    );
  });

  test('random shuffles a level but never loses or adds a responder', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 0.999, noNaN: true }), { minLength: 10, maxLength: 10 }),
        (numbers) => {
          let i = 0;
          const plan = planDialing(levels, {
            repeat: 0,
            routeStrategy: 'random',
            skipAlreadyDialed: false,
            random: () => numbers[i++ % numbers.length]!,
          });
          const level2 = plan.find((s) => s.levelIndex === 1)!;
          expect(level2.targets.map((t) => t.responderId).sort()).toEqual(['carol', 'erin']);
        },
      ),
    );
  });

  test('a level strategy overrides the route', () => {
    const plan = planDialing(levels, {
      repeat: 0,
      routeStrategy: 'sequential',
      skipAlreadyDialed: false,
      random: Math.random,
    });
    expect(plan.map((s) => s.strategy)).toEqual(['sequential', 'simultaneous', 'sequential']);
  });
});

test('unanswered legs are classified by cause, or by dial status over Local channels', () => {
  expect(classifyUnanswered(17, undefined).result).toBe('busy');
  expect(classifyUnanswered(0, 'BUSY').result).toBe('busy');
  expect(classifyUnanswered(21, 'NOANSWER').result).toBe('declined');
  expect(classifyUnanswered(34, 'CONGESTION').result).toBe('failed');
  expect(classifyUnanswered(0, 'CONGESTION').result).toBe('failed');
  expect(classifyUnanswered(19, 'RINGING').result).toBe('no-answer');
});
