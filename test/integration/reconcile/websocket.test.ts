/**
 * The ARI WebSocket alone goes away at every moment of a call (the process survives): the
 * daemon's sessions keep their calls, re-check them when it is back (CallRouter.resync), and the
 * reconciliation finds nothing of its own to take back. Same end as without the gap.
 */
import { expectCleanAsterisk, startHarness, until, type Harness } from '../../helpers/harness';
import { neverAnswers } from '../../helpers/people';
import { RECONCILE_CONFIG, SCENARIOS, TIME_SCALE } from './scenarios';

test.each(SCENARIOS.map((s) => [s.name, s] as const))(
  'the WebSocket drops during %s: the call goes on and ends cleanly',
  async (_name, scenario) => {
    const h: Harness = await startHarness({ yaml: RECONCILE_CONFIG, timeScale: TIME_SCALE });
    try {
      for (const [endpoint, behaviour] of Object.entries(scenario.phones)) h.sim.phone(endpoint, behaviour);
      const call = h.sim.call({ to: scenario.to, from: '+15551230001', steps: scenario.steps });
      await until(() => scenario.moment(h.sim, call.channelId) || undefined, 15_000, 'the moment to strike');
      h.sim.dropWebSockets(800);
      const row = await h.finishedCall(call.channelId, 40_000);
      if (scenario.settled !== undefined)
        await until(() => scenario.settled!(h.pages().reverse()) || undefined, 20_000, 'the page to settle');
      await expectCleanAsterisk(h);
      expect(h.logs.filter((line) => line.includes('"message":"reconciled"'))).toEqual([]);
      scenario.check({
        mode: 'websocket',
        heard: h.sim.transcript(call.channelId).map((e) => `${e.kind} ${e.detail}`),
        rang: h.sim.legs().map((l) => l.dialstring),
        call: (await h.daemon.calls.getCall(row.id))!,
        legs: h.legs(row.id),
        voicemails: h.voicemails(row.id),
        pages: h.pages().reverse(),
      });
    } finally {
      await h.stop();
    }
  },
  90_000,
);

test("after a WebSocket gap, a channel marked as the daemon's own and a bridge of its that no session follows are ended", async () => {
  const h: Harness = await startHarness({ yaml: RECONCILE_CONFIG, timeScale: TIME_SCALE });
  try {
    h.sim.phone('PJSIP/alice', neverAnswers);
    // Made as a lost process would have left them (the daemon's marks, no session of this one).
    const ari = async (method: string, path: string): Promise<number> =>
      (
        await fetch(`${h.sim.url}/ari${path}`, {
          method,
          headers: { Authorization: `Basic ${Buffer.from('lcr:lcr-secret').toString('base64')}` },
        })
      ).status;
    expect(
      await ari(
        'POST',
        '/channels/lcr-leg-lost?endpoint=PJSIP/alice&app=lcr&appArgs=lcr-leg,gone,lost&timeout=60',
      ),
    ).toBe(200);
    expect(await ari('POST', '/bridges/lcr-bridge-lost?type=mixing')).toBe(200);
    h.sim.dropWebSockets(300);
    await until(
      () => {
        const left = h.sim.leftovers();
        return left.channels.length === 0 && left.bridges.length === 0 ? true : undefined;
      },
      10_000,
      'the strays to be ended',
    );
    await expectCleanAsterisk(h);
    const metrics = await (await fetch(`${h.daemon.httpUrl}/metrics`)).text();
    expect(metrics).toContain('lcr_reconciled_total{kind="stray-channel"} 1');
    expect(metrics).toContain('lcr_reconciled_total{kind="stray-bridge"} 1');
  } finally {
    await h.stop();
  }
});
