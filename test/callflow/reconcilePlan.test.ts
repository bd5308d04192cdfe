/**
 * planReconciliation as a pure function: what a (re)connection does with each channel, bridge
 * and open row, in particular what it leaves to the live sessions of a process that survived a
 * WebSocket gap.
 */
import type { AriBridge, AriChannel } from '../../src/ari/types';
import { planReconciliation, type PlanInput } from '../../src/callflow/reconcile/plan';
import type { CallRow, LegRow } from '../../src/store/calls';

const channel = (id: string, appData = 'lcr'): AriChannel =>
  ({ id, dialplan: { app_name: 'Stasis', app_data: appData } }) as unknown as AriChannel;
const bridge = (id: string): AriBridge => ({ id }) as unknown as AriBridge;
const call = (id: string, channelId: string, extra: Partial<CallRow> = {}): CallRow =>
  ({ id, channel_id: channelId, connected_at: null, stage: 'menu', ...extra }) as CallRow;
const leg = (id: string, callId: string, result: LegRow['result'], channelId: string): LegRow =>
  ({ id, call_id: callId, result, channel_id: channelId, ended_at: null, responder_id: 'alice' }) as LegRow;

function plan(input: Partial<PlanInput>): Array<[string, string]> {
  return planReconciliation({
    holdings: { channels: [], bridges: [] },
    openCalls: [],
    legsOf: () => [],
    pageStatus: () => undefined,
    known: () => false,
    app: 'lcr',
    ...input,
  }).map((step) => {
    const subject = 'call' in step ? step.call.id : 'channel' in step ? step.channel.id : step.bridgeId;
    return [step.kind, subject];
  });
}

test('a restart: a connected call is adopted with its bridge, a caller mid-flow taken back, the rest cleaned up', () => {
  const legs: Record<string, LegRow[]> = {
    c1: [leg('l1', 'c1', 'accepted', 'lcr-leg-l1')],
    c2: [leg('l2', 'c2', 'ringing', 'lcr-leg-l2')],
    c3: [leg('l3', 'c3', 'answered', 'lcr-leg-l3')],
  };
  expect(
    plan({
      holdings: {
        channels: [
          channel('caller-1'),
          channel('lcr-leg-l1', 'lcr,lcr-leg,caller-1,l1'),
          channel('caller-2'),
          channel('lcr-leg-l2'),
          channel('lcr-page-7-3-0-abc'),
          channel('lcr-leg-unknown'),
          channel('someone-else', 'other-app'),
        ],
        bridges: [bridge('lcr-bridge-c1'), bridge('lcr-bridge-c2')],
      },
      openCalls: [
        call('c1', 'caller-1', { connected_at: 5, stage: 'connected' }),
        call('c2', 'caller-2', { stage: 'ringing' }),
        call('c3', 'caller-3'),
      ],
      legsOf: (id) => legs[id] ?? [],
      pageStatus: (id) => (id === 7 ? 'acknowledged' : undefined),
    }),
  ).toEqual([
    ['responder-leg', 'lcr-leg-l2'],
    ['page-call', 'lcr-page-7-3-0-abc'],
    ['stray-channel', 'lcr-leg-unknown'],
    ['stray-bridge', 'lcr-bridge-c2'],
    ['connected-call', 'c1'],
    ['caller', 'c2'],
    ['gone-call', 'c3'],
  ]);
});

test('a WebSocket gap in a surviving process: what its sessions follow is theirs; only strays are cleaned up', () => {
  const live = new Set(['caller-1', 'lcr-leg-l1']);
  expect(
    plan({
      holdings: {
        channels: [channel('caller-1'), channel('lcr-leg-l1'), channel('lcr-leg-left-over')],
        bridges: [bridge('lcr-bridge-c1'), bridge('lcr-bridge-old')],
      },
      openCalls: [call('c1', 'caller-1', { connected_at: 5, stage: 'connected' })],
      legsOf: () => [leg('l1', 'c1', 'accepted', 'lcr-leg-l1')],
      known: (id) => live.has(id),
    }),
  ).toEqual([
    ['stray-channel', 'lcr-leg-left-over'],
    ['stray-bridge', 'lcr-bridge-old'],
  ]);
});

test('a crash between the bridge join and writing the connection: both sides in the bridge is a connected call', () => {
  const legs = [leg('l1', 'c1', 'accepted', 'lcr-leg-l1')];
  const holdings = (members: string[]) => ({
    channels: [channel('caller-1'), channel('lcr-leg-l1', 'lcr,lcr-leg,caller-1,l1')],
    bridges: [{ id: 'lcr-bridge-c1', channels: members } as unknown as AriBridge],
  });
  const ringing = call('c1', 'caller-1', { stage: 'ringing' });
  expect(
    plan({ holdings: holdings(['caller-1', 'lcr-leg-l1']), openCalls: [ringing], legsOf: () => legs }),
  ).toEqual([['connected-call', 'c1']]);
  // Only the responder joined yet: the caller is taken back to the ringing, the leg hung up.
  expect(plan({ holdings: holdings(['lcr-leg-l1']), openCalls: [ringing], legsOf: () => legs })).toEqual([
    ['responder-leg', 'lcr-leg-l1'],
    ['stray-bridge', 'lcr-bridge-c1'],
    ['caller', 'c1'],
  ]);
});

test("ids name the daemon's application: its own are reconciled, another daemon's on the same Asterisk are not", () => {
  const legs: Record<string, LegRow[]> = {
    c1: [leg('l1', 'c1', 'accepted', 'lcr-leg.lcr-a.l1')],
  };
  expect(
    plan({
      app: 'lcr-a',
      holdings: {
        channels: [
          channel('caller-1', 'lcr-a'),
          channel('lcr-leg.lcr-a.l1', 'lcr-a,lcr-leg,caller-1,l1'),
          channel('lcr-page.lcr-a.7-3-0-abc'),
          channel('lcr-leg.lcr-a.unknown'),
          // lcr-b's ringing leg and page call: a daemon of another name owns them.
          channel('lcr-leg.lcr-b.l9'),
          channel('lcr-page.lcr-b.8-1-0-def'),
        ],
        bridges: [bridge('lcr-bridge.lcr-a.c1'), bridge('lcr-bridge.lcr-a.gone')],
      },
      openCalls: [call('c1', 'caller-1', { connected_at: 5, stage: 'connected' })],
      legsOf: (id) => legs[id] ?? [],
    }),
  ).toEqual([
    ['page-call', 'lcr-page.lcr-a.7-3-0-abc'],
    ['stray-channel', 'lcr-leg.lcr-a.unknown'],
    ['stray-bridge', 'lcr-bridge.lcr-a.gone'],
    ['connected-call', 'c1'],
  ]);
});

test('a call bridged before the upgrade (a bridge id naming no application) is adopted, its bridge kept', () => {
  const legs: Record<string, LegRow[]> = { c1: [leg('l1', 'c1', 'accepted', 'lcr-leg-l1')] };
  const steps = plan({
    holdings: {
      channels: [channel('caller-1'), channel('lcr-leg-l1', 'lcr,lcr-leg,caller-1,l1')],
      bridges: [{ id: 'lcr-bridge-c1', channels: ['caller-1', 'lcr-leg-l1'] } as unknown as AriBridge],
    },
    openCalls: [call('c1', 'caller-1')],
    legsOf: (id) => legs[id] ?? [],
  });
  expect(steps).toEqual([['connected-call', 'c1']]);
});

test("a call whose session ended while its row was being read is that session's: not closed as lost, its leftovers cleaned", () => {
  // The caller hung up during the greeting: the flow's ending write is on its way, the session
  // is gone from the router, and Asterisk no longer (or still, tearing down) holds the channel.
  const endedLately = new Set(['caller-1', 'caller-2']);
  expect(
    plan({
      holdings: { channels: [channel('caller-2')], bridges: [bridge('lcr-bridge-c2')] },
      openCalls: [call('c1', 'caller-1'), call('c2', 'caller-2'), call('c3', 'caller-3')],
      followedLately: (id) => endedLately.has(id),
    }),
  ).toEqual([
    ['stray-bridge', 'lcr-bridge-c2'],
    ['gone-call', 'c3'],
  ]);
});
