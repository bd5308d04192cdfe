/**
 * The demo's outage: the operator sets a status message on the voicemail route, three vendors
 * call about the same problem within seconds (the first asks to be called back), and they make
 * one page with three callers; the on-call responder acknowledges it by phone, presses 1 to call
 * the first caller back, and both are bridged. Told from the daemon's records.
 */
import type { Config, Route } from '../config/model';
import type { Daemon } from '../daemon';
import { resolveOnCall } from '../oncall/escalation';
import { setStatus } from '../paging/statusMessages';
import type { AsteriskSimulator, Step } from '../simulator';
import { toDialString } from '../config/dialString';
import { DEMO_ESCALATE_AFTER_SECONDS } from './pageStory';

const STATUS_TEXT = 'We know about the problem with the vendor portal. The next update is at noon.';

/** The first voicemail route whose messages gather into one page and that offers callbacks. */
export function outageRoute(config: Config): Route | undefined {
  return config.routes.find(
    (r) => r.active && r.routing === 'voicemail' && r.dedupe.scope !== 'off' && r.callback.offer,
  );
}

const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined || Date.now() > deadline) return value;
    await wait(100);
  }
}

export async function tellOutage(
  daemon: Daemon,
  config: Config,
  sim: AsteriskSimulator,
  route: Route,
  print: (line: string) => void,
): Promise<void> {
  const team = config.teams.get(route.options[0]!.teamId)!;
  const name = (id: string): string => config.responders.get(id)?.name ?? id;
  print('');
  print(`== An outage: three vendors call ${route.name} about the same problem within seconds`);
  // Earlier demo pages of the team are closed first, so the outage starts its own incident.
  for (const page of await daemon.pages.list(100))
    if (page.team_id === team.id && page.status !== 'resolved')
      await daemon.paging.resolve(page.id, { id: 'demo', via: 'cli' });
  const status = await setStatus(
    daemon.sql,
    daemon.statuses,
    config,
    { target: route.id, text: STATUS_TEXT, for: '1h' },
    { id: 'operator', via: 'cli' },
  );
  if (!status.ok) throw new Error(status.error);
  await daemon.board.refresh();
  await daemon.promptLibrary?.prepareText(STATUS_TEXT, route.language);
  print(`   the operator runs: lcr status set ${route.id} "${STATUS_TEXT}" --for 1h`);

  // As in the first story, level 1 does not answer; level 2's first responder answers, lets the
  // message play while the other callers join, acknowledges (1), then calls back (1).
  const offer = daemon.prompts.render('pageCallbackOffer', undefined, { number: '' }, route).media[0]!;
  const levels = resolveOnCall(config, team.id, Date.now()).levels;
  for (const level of levels)
    for (const entry of level.responders)
      for (const phone of entry.responder.phones) sim.phone(phone.dialString, { kind: 'no-answer' });
  const responder = (levels[1] ?? levels[0])?.responders.find((entry) => entry.firstPhone !== undefined);
  if (responder !== undefined)
    sim.phone(responder.firstPhone!.dialString, {
      kind: 'answer',
      ringMs: 2000,
      then: [
        { waitFor: 'playing', media: '/media/voicemail/' },
        { wait: 10_000 },
        { press: '1' },
        { waitFor: 'playing', media: offer },
        { press: '1' },
        { waitFor: 'bridged' },
        { wait: 6000 },
        { hangup: true },
      ],
    });
  const firstCaller = '+15557770001';
  sim.phone(toDialString(firstCaller, route.callback.endpoint ?? config.settings.trunkTemplate), {
    kind: 'answer',
    ringMs: 3000,
    then: [{ waitFor: 'bridged' }, { wait: 60_000 }],
  });

  const vars = { route: route.name, team: team.name, number: '', minutes: '' };
  const media = (slot: 'callbackOffer' | 'knownProblemChoice'): string =>
    daemon.prompts.render(slot, undefined, vars, route).media[0]!;
  const message: Step[] = [{ waitFor: 'recording' }, { speak: 4000 }, { press: '#' }];
  const callers: Array<{ from: string; steps: Step[] }> = [
    {
      from: firstCaller,
      steps: [
        ...message,
        { waitFor: 'playing', media: media('callbackOffer') },
        { wait: 1500 },
        { press: '1' },
      ],
    },
    { from: '+15557770002', steps: [...message, { wait: 1000 }, { hangup: true }] },
    { from: '+15557770003', steps: [...message, { wait: 1000 }, { hangup: true }] },
  ];
  const calls: Array<ReturnType<AsteriskSimulator['call']>> = [];
  let pageId: number | undefined;
  for (const [index, caller] of callers.entries()) {
    // The later callers hear that the problem is known, and leave a message anyway (1).
    const steps: Step[] =
      index === 0
        ? caller.steps
        : [{ waitFor: 'playing', media: media('knownProblemChoice') }, { press: '1' }, ...caller.steps];
    calls.push(sim.call({ to: route.numbers[0]!, from: caller.from, steps }));
    print(
      `   ${caller.from} dials ${route.numbers[0]}${index === 0 ? ', leaves a message and presses 1 to be called back' : ''}`,
    );
    if (index === 0)
      pageId = await until(async () => {
        const call = await daemon.calls.callOfChannel(calls[0]!.channelId);
        return call === undefined ? undefined : (await daemon.pages.ofCall(call.id))[0]?.id;
      });
    else await wait(500);
  }
  await Promise.all(calls.map((call) => call.ended));
  if (pageId === undefined) return print('   (no page was made: see the log)');
  const pageCallers = await until(async () => {
    const rows = await daemon.pages.callers(pageId);
    return rows.length >= callers.length ? rows : undefined;
  }, 20_000);
  const page = (await daemon.pages.get(pageId))!;
  print(
    `   -> one page, #${page.id} for ${team.name}, with ${pageCallers?.length ?? 0} callers: ${page.summary}`,
  );
  const statusMedia = daemon.promptLibrary?.spokenText(STATUS_TEXT, route.language)?.media[0];
  for (const [index, call] of calls.entries()) {
    const played = call.transcript.filter((t) => t.kind === 'played').map((t) => t.detail);
    const heard = [
      ...(statusMedia !== undefined && played.includes(statusMedia) ? ['the status message'] : []),
      ...(played.includes(media('knownProblemChoice')) ? ['that the problem is known'] : []),
    ];
    print(
      `      ${callers[index]!.from} heard ${heard.join(' and ') || 'neither the status message nor of the problem'}`,
    );
  }

  const calledBack = await until(async () =>
    (await daemon.pages.events(pageId)).find((e) => e.type === 'called_back'),
  );
  if (calledBack === undefined) return print('   (nobody called back: see the log)');
  const detail = JSON.parse(calledBack.detail ?? '{}') as {
    call_id?: string;
    number?: string;
    result?: string;
  };
  const callback = await until(async () => {
    const row = await daemon.calls.getCall(detail.call_id ?? '');
    return row?.ended_at === null ? undefined : row;
  });
  print('   The page, from the moment it was created:');
  for (const event of await daemon.pages.events(pageId)) {
    const d = event.detail === null ? {} : (JSON.parse(event.detail) as Record<string, unknown>);
    const text =
      event.type === 'assigned'
        ? `assigned to ${(Array.isArray(d['responders']) ? (d['responders'] as string[]) : []).map(name).join(', ') || 'nobody on call'}`
        : event.type === 'updated'
          ? `another caller joined (${String(d['caller'])}): ${String(d['callers'])} callers; an update goes to the team, no new escalation`
          : event.type === 'calling_back'
            ? `${name(event.actor)} starts calling the first caller back (${event.via})`
            : event.type === 'called_back'
              ? `${name(event.actor)} called ${String(d['number'])} back (${event.via}): ${String(d['result'])}`
              : event.type === 'escalated'
                ? `nobody acknowledged within ${DEMO_ESCALATE_AFTER_SECONDS} s (shortened for the demo): escalated to level ${Number(d['level']) + 1}`
                : event.type === 'acknowledged'
                  ? `acknowledged by ${name(event.actor)} (${event.via})`
                  : event.type;
    print(`   +${((event.at - page.created_at) / 1000).toFixed(1).padStart(5)} s  ${text}`);
  }
  const notifications = await daemon.notifications.ofPage(pageId);
  print(`   -> ${notifications.length} notifications for the page (one page's, not one per caller)`);
  if (callback !== undefined) {
    const legs = await daemon.calls.legsOfCall(callback.id);
    print(
      `   -> callback call ${callback.id}: ${callback.outcome} (${callback.outcome_detail}), ${legs.length} responder leg, ${Math.round(((callback.ended_at ?? 0) - (callback.connected_at ?? 0)) / 1000)} s connected`,
    );
  }
}
