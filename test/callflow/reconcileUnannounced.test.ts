/**
 * Callers in the application's Stasis() whose StasisStart reached no daemon (its WebSocket was
 * dead but not yet closed when they came in): the plan serves them as new calls, and the router
 * starts one flow for each, whichever of the reconciliation and a late StasisStart comes first.
 * The daemon-level story is test/integration/reconcile/takeoverUnannounced.test.ts.
 */
import type { AriChannel, AriEvent, AriPort } from '../../src/ari/types';
import type { FlowContext } from '../../src/callflow/context';
import { planReconciliation, type PlanInput } from '../../src/callflow/reconcile/plan';
import { CallRouter } from '../../src/callflow/router';
import { silentLogger } from '../../src/log/logger';
import type { CallRow } from '../../src/store/calls';

const channel = (id: string, appData = 'lcr-a'): AriChannel =>
  ({
    id,
    caller: { name: '', number: '+15551230002' },
    dialplan: { app_name: 'Stasis', app_data: appData, exten: '5550100' },
  }) as unknown as AriChannel;

function plan(input: Partial<PlanInput>): Array<[string, string]> {
  return planReconciliation({
    holdings: { channels: [], bridges: [] },
    openCalls: [],
    legsOf: () => [],
    pageStatus: () => undefined,
    known: () => false,
    app: 'lcr-a',
    ...input,
  }).map((step) => {
    const subject = 'call' in step ? step.call.id : 'channel' in step ? step.channel.id : step.bridgeId;
    return [step.kind, subject];
  });
}

test('a caller in Stasis(app) that no session follows and no open row names is served as a new call', () => {
  const inApplication = new Set(['new-1', 'live-1', 'ended-1', 'over-1', 'legacy-leg', 'adopted-1']);
  expect(
    plan({
      holdings: {
        channels: [
          channel('new-1', 'lcr-a,5550100'),
          // Followed by a live session, or by one that ended lately (its hangup on its way).
          channel('live-1'),
          channel('ended-1'),
          // Its last row says the call is over: the process that wrote it died before the hangup.
          channel('over-1'),
          // A leg the daemon originated (its Stasis arguments say so) is no caller.
          channel('legacy-leg', 'lcr-a,lcr-leg,caller-1,l1'),
          // Its open row takes it back as any caller mid-flow.
          channel('adopted-1'),
          // Not in the application (its dialplan went on), or in another application.
          channel('leaving-1'),
          channel('lcr-b-caller', 'lcr-b'),
        ],
        bridges: [],
        inApplication,
      },
      openCalls: [{ id: 'c1', channel_id: 'adopted-1', connected_at: null, stage: 'menu' } as CallRow],
      known: (id) => id === 'live-1',
      followedLately: (id) => id === 'live-1' || id === 'ended-1',
      callOver: (id) => id === 'over-1',
    }),
  ).toEqual([
    ['stray-channel', 'over-1'],
    ['caller', 'c1'],
    ['unannounced-caller', 'new-1'],
  ]);
});

test('without the list of the channels in the application, no caller is taken for an unannounced one', () => {
  expect(plan({ holdings: { channels: [channel('new-1')], bridges: [] } })).toEqual([]);
});

describe('CallRouter.serveUnannounced', () => {
  function router(): { router: CallRouter; flows: () => number } {
    let flows = 0;
    const ari = {
      forCall: () => ari,
      hangup: () => Promise.resolve(),
    } as unknown as AriPort;
    const routerInstance = new CallRouter({
      ari,
      logger: silentLogger,
      contextForNewCall: () => {
        flows++;
        // The flow itself is not this test's: it stops at once.
        return { stopping: false } as FlowContext;
      },
    });
    return { router: routerInstance, flows: () => flows };
  }
  const stasisStart = (id: string): AriEvent =>
    ({ type: 'StasisStart', channel: channel(id), args: [] }) as unknown as AriEvent;

  test('starts the call; the StasisStart that comes after all starts no second one', async () => {
    const { router: r, flows } = router();
    expect(r.serveUnannounced(channel('new-1'), [])).toBe(true);
    expect(r.serveUnannounced(channel('new-2'), [])).toBe(true);
    expect(flows()).toBe(2);
    // One while its call goes on, the other once it is over.
    r.handle(stasisStart('new-1'));
    await new Promise((resolve) => setImmediate(resolve));
    r.handle(stasisStart('new-2'));
    expect(flows()).toBe(2);
    // A channel that enters Stasis() again later is a new call.
    r.handle(stasisStart('new-1'));
    expect(flows()).toBe(3);
  });

  test('leaves a caller whose StasisStart came first to its session, also once that call is over', async () => {
    const { router: r, flows } = router();
    r.handle(stasisStart('new-1'));
    expect(flows()).toBe(1);
    expect(r.serveUnannounced(channel('new-1'), [])).toBe(false);
    await new Promise((resolve) => setImmediate(resolve));
    expect(r.serveUnannounced(channel('new-1'), [])).toBe(false);
    expect(flows()).toBe(1);
  });
});
