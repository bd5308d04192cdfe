/**
 * An inbound call from its first event to its last: find the route, answer, greet, let the caller
 * choose a team, then hand over to the route's routing (voicemail here; direct calls build on it).
 * Whatever happens, the call ends with its row complete and nothing left in Asterisk.
 */
import type { AriChannel } from '../ari/types';
import { AriRequestError } from '../ari/types';
import type { MenuOption, Route } from '../config/model';
import type { CallRow } from '../store/calls';
import type { CallFacts, FlowContext, RoutedCall } from './context';
import { routeDirect } from './direct/direct';
import { nextMenuStep } from './menu';
import { declared, joinPrompts, promptRequest, render, type PromptDeclaration } from './prompts';
import { planRoute, urgencyOf, type RoutePlan } from './routePlan';
import { closedDetail, noteOutsideHours } from './outsideHours';
import { enteredPin, heldBack, pressedToContinue, screenInbound, screeningSays } from './screening';
import { findRoute } from './routing';
import { ChannelGone, type CallSession } from './session';
import { gatherDigit } from './verbs/gather';
import { hangup } from './verbs/hangup';
import { play } from './verbs/play';
import { enterStage } from './stage';
import { keepInterruptedMessage, pageKeptMessage, takeVoicemail } from './voicemail';
import { routeStatus, tellWhatIsKnown } from './knownProblem';

/** What a caller can hear before the routing: used by the render calls below and the declaration. */
const says = {
  notInService: () => promptRequest('notInService', undefined),
  callAgain: () => promptRequest('callAgain', undefined),
  interrupted: (route: Route) => promptRequest('callInterrupted', undefined, { route: route.name }, route),
  error: (route?: Route) => promptRequest('error', undefined, {}, route),
  inactive: (route: Route) => promptRequest('inactive', route.inactiveMessage, { route: route.name }, route),
  greeting: (route: Route) => promptRequest('greeting', route.greeting, { route: route.name }, route),
  closed: (route: Route) =>
    promptRequest('closed', route.outsideHours.greeting, { route: route.name }, route),
  closedGoodbye: (route: Route) => promptRequest('closedGoodbye', undefined, { route: route.name }, route),
  menuOption: (route: Route, option: MenuOption) =>
    promptRequest(
      'menuOption',
      option.prompt ?? route.menu.prompt,
      { key: option.key, label: option.label, route: route.name },
      route,
    ),
  menuRetry: (route: Route, reason: 'invalid' | 'no-input') =>
    promptRequest(reason === 'invalid' ? 'menuInvalid' : 'menuNoInput', route.menu.invalidPrompt, {}, route),
};

export const inboundPrompts: PromptDeclaration = (config) => {
  const uses = [
    declared('unknown number', says.notInService()),
    declared('any call', says.error()),
    declared('calls while stopping', says.callAgain()),
  ];
  for (const route of config.routes) {
    const where = `route ${route.id}`;
    // A call fails with the route known, even an inactive one's: the error prompt is its.
    uses.push(declared(where, says.error(route)));
    if (!route.active) {
      uses.push(declared(where, says.inactive(route)));
      continue;
    }
    uses.push(declared(where, says.greeting(route)), declared(where, says.interrupted(route)));
    const menus = [route.options];
    if (route.hours !== undefined) {
      uses.push(declared(`${where} outside hours`, says.closed(route)));
      if (route.outsideHours.action === 'message')
        uses.push(declared(`${where} outside hours`, says.closedGoodbye(route)));
      if (route.outsideHours.options !== undefined) menus.push(route.outsideHours.options);
    }
    for (const options of menus) {
      if (options.length <= 1) continue;
      for (const option of options) uses.push(declared(where, says.menuOption(route, option)));
      uses.push(
        declared(where, says.menuRetry(route, 'invalid')),
        declared(where, says.menuRetry(route, 'no-input')),
      );
    }
  }
  return uses;
};

async function answer(ctx: FlowContext, session: CallSession, facts: CallFacts): Promise<void> {
  try {
    await session.ari.answer(session.channelId);
  } catch (error) {
    if (error instanceof AriRequestError && error.notFound) throw new ChannelGone(session.channelId);
    throw error;
  }
  ctx.calls.updateCall(facts.callId, { answered_at: ctx.now() });
}

async function chooseOption(
  ctx: FlowContext,
  session: CallSession,
  route: Route,
  options: readonly MenuOption[],
): Promise<MenuOption | undefined> {
  if (options.length === 1) return options[0];
  const menu = joinPrompts(options.map((option) => render(ctx.prompts, says.menuOption(route, option))));
  for (let attempt = 1; ; attempt++) {
    const digit = session.takeDigit() ?? (await gatherDigit(session, menu, route.menu.timeoutSeconds * 1000));
    // Keys pressed together count once: the first decides, the rest are dropped.
    session.clearDigits();
    const step = nextMenuStep(route, digit, attempt, options);
    ctx.logger.info('menu', { attempt, digit: digit ?? null, decision: step.kind });
    switch (step.kind) {
      case 'selected':
      case 'fallback':
        return step.option;
      case 'give-up':
        return undefined;
      case 'retry':
        await play(session, render(ctx.prompts, says.menuRetry(route, step.reason)));
    }
  }
}

/**
 * A call that arrives while the daemon is stopping: told to call again, or handed back to the
 * dialplan after Stasis() (where the operator may send it to a voicemail box or a queue).
 * Returns whether the channel went back to the dialplan.
 */
async function turnAway(ctx: FlowContext, session: CallSession, facts: CallFacts): Promise<boolean> {
  facts.outcome = 'refused-stopping';
  if (ctx.config.settings.shutdown.newCalls === 'dialplan') {
    ctx.logger.info('not taking new calls (shutting down); handing the call back to the dialplan');
    facts.detail = 'handed back to the dialplan: lcr was stopping';
    await session.ari.continueInDialplan(session.channelId);
    return true;
  }
  ctx.logger.info('not taking new calls (shutting down); asking the caller to call again');
  facts.detail = 'asked to call again: lcr was stopping';
  await answer(ctx, session, facts);
  await play(session, render(ctx.prompts, says.callAgain()));
  return false;
}

/** A caller's channel as it entered Stasis, and the call id the router gave it. */
export interface InboundCall {
  session: CallSession;
  channel: AriChannel;
  stasisArgs: string[];
  callId: string;
  /**
   * Set when a reconciliation takes back a caller whose flow the daemon lost (a restart; see
   * reconcile/): the call's row as stored. The caller is told and the flow goes on from its stage.
   */
  resumed?: CallRow;
}

/**
 * A caller taken back mid-flow: told that the call was interrupted, then on from where the row
 * says the flow stood. A message being recorded is kept first (the prompt would wait behind the
 * recording otherwise: Asterisk runs one command at a time per channel).
 */
async function resumeCall(
  ctx: FlowContext,
  session: CallSession,
  facts: CallFacts,
  route: Route,
  row: CallRow,
): Promise<'done' | 'menu'> {
  if (row.stage === 'ending' && row.outcome !== null) {
    // Only the last words were left (the callback offer, the thanks): the outcome stands, the
    // call just ends, and a message the last process had not paged yet is paged now.
    pageKeptMessage(ctx, row);
    facts.outcome = row.outcome;
    facts.detail = row.outcome_detail ?? 'ended';
    return 'done';
  }
  const team = row.team_id === null ? undefined : ctx.config.teams.get(row.team_id);
  const interrupted = render(ctx.prompts, says.interrupted(route));
  if (team !== undefined) facts.team = team;
  if (row.option_key !== null) facts.optionKey = row.option_key;
  const call: RoutedCall | undefined =
    team === undefined ? undefined : { ctx, caller: session, facts, route, team };
  if (row.stage === 'recording' && call !== undefined) {
    await keepInterruptedMessage(call, interrupted);
    return 'done';
  }
  await play(session, interrupted);
  if (call !== undefined) {
    // The urgency and policy the call was routed with: its route's plan now (still closed or open).
    const plan = planRoute(route, ctx.now());
    const option =
      route.options.find((o) => o.key === row.option_key) ??
      plan.options.find((o) => o.key === row.option_key);
    facts.urgency = row.urgency ?? (option === undefined ? route.urgency : urgencyOf(route, plan, option));
    if (plan.policyId !== undefined && row.routing === 'direct') facts.policyId = plan.policyId;
  }
  if (call !== undefined && row.stage === 'ringing' && (row.routing ?? route.routing) === 'direct') {
    await routeDirect(call, { level: row.stage_level ?? 0, round: row.stage_round ?? 0 });
    return 'done';
  }
  if (call !== undefined && row.stage === 'message') {
    await takeVoicemail(call);
    return 'done';
  }
  // The greeting or the menu (or a row too old to say, or no team chosen yet): the menu again.
  return 'menu';
}

/** What a caller still in a call hears when the daemon ends it (on_drain_timeout: hangup). */
export const goodbyeWhileStopping =
  (prompts: FlowContext['prompts']) =>
  (caller: CallSession): Promise<unknown> =>
    play(caller, render(prompts, says.callAgain()));

export async function runInboundCall(ctx: FlowContext, call: InboundCall): Promise<void> {
  const { session, channel, stasisArgs, callId, resumed } = call;
  const facts: CallFacts = { callId, callerNumber: resumed?.caller_number ?? channel.caller.number };
  let stage = resumed === undefined ? 'before answer' : `after the daemon took the call back`;
  if (resumed === undefined)
    ctx.calls.insertCall({
      id: facts.callId,
      channel_id: channel.id,
      caller_number: channel.caller.number,
      caller_name: channel.caller.name,
      dialed_number: channel.dialplan.exten,
      started_at: ctx.now(),
      app: ctx.config.asterisk.app,
      asterisk: ctx.config.asterisk.name,
    });
  ctx.logger.info(resumed === undefined ? 'call arrived' : 'call taken back', {
    caller: channel.caller.number,
    dialed: channel.dialplan.exten,
    args: stasisArgs,
    ...(resumed === undefined ? {} : { stage: resumed.stage }),
  });
  let handedToDialplan = false;
  try {
    if (ctx.stopping && resumed === undefined) {
      handedToDialplan = await turnAway(ctx, session, facts);
      return;
    }
    // A caller taken back before its route was written is matched as a new one would be.
    const route =
      resumed === undefined || resumed.route_id === null
        ? findRoute(ctx.config.routes, stasisArgs, channel.dialplan.exten)
        : ctx.config.routes.find((r) => r.id === resumed.route_id);
    if (resumed !== undefined) {
      if (resumed.route_id === null && route !== undefined)
        ctx.calls.updateCall(facts.callId, { route_id: route.id, routing: route.routing });
      // A route a reload removed meanwhile: nothing true to go on with; the caller hears the error.
      if (route === undefined)
        throw new Error(`route ${resumed.route_id ?? '(none)'} is no longer configured`);
      facts.route = route;
      if ((await resumeCall(ctx, session, facts, route, resumed)) === 'done') return;
      stage = 'during the menu';
      enterStage(ctx, facts.callId, 'menu');
      const plan = planRoute(route, ctx.now());
      const option = await chooseOption(ctx, session, route, plan.options);
      if (option === undefined) {
        facts.outcome = 'abandoned';
        facts.detail = 'no menu choice';
        return;
      }
      await routeTo(ctx, session, facts, route, option, plan);
      return;
    }
    if (route === undefined) {
      facts.outcome = 'unknown-number';
      ctx.logger.warn('no route for the dialed number', { dialed: channel.dialplan.exten, args: stasisArgs });
      await answer(ctx, session, facts);
      await play(session, render(ctx.prompts, says.notInService()));
      return;
    }
    facts.route = route;
    ctx.calls.updateCall(facts.callId, { route_id: route.id, routing: route.routing });
    if (!route.active) {
      facts.outcome = 'rejected-inactive';
      await answer(ctx, session, facts);
      await play(session, render(ctx.prompts, says.inactive(route)));
      return;
    }
    const screen = await screenInbound(ctx, facts, route);
    if (screen.kind === 'refuse') {
      facts.outcome = 'screened';
      facts.detail = screen.reason === 'blocked' ? 'blocked number' : 'withheld number refused';
      // Silent: hung up unanswered, so a robocaller learns nothing; else told first.
      if (screen.silent) return;
      await answer(ctx, session, facts);
      await play(session, render(ctx.prompts, screeningSays.blocked(route)));
      return;
    }
    const plan = heldBack(planRoute(route, ctx.now()), screen, facts);
    if (!plan.open) noteOutsideHours(ctx, facts, plan);
    // Asterisk runs a channel's commands in order, so the greeting is requested right behind the
    // answer instead of a round trip later: the caller hears it as soon as the line opens.
    const answering = answer(ctx, session, facts);
    answering.catch(() => undefined);
    stage = 'during the greeting';
    enterStage(ctx, facts.callId, 'greeting');
    // The route's status message (an outage) follows the greeting, in the same playback.
    const status = routeStatus(ctx, route);
    const welcome = joinPrompts([
      render(ctx.prompts, plan.open ? says.greeting(route) : says.closed(route)),
      ...(status === undefined ? [] : [status]),
    ]);
    const greeting = play(
      session,
      plan.routing === 'message'
        ? joinPrompts([welcome, render(ctx.prompts, says.closedGoodbye(route))])
        : welcome,
      { bargeIn: plan.options.length > 1 },
    );
    greeting.catch(() => undefined);
    await answering;
    await greeting;
    if (plan.routing === 'message') {
      facts.outcome = 'closed';
      facts.detail = closedDetail(plan);
      return;
    }
    if (!(await pressedToContinue(ctx, session, facts, route))) {
      facts.outcome = 'screened';
      facts.detail = 'did not press to continue';
      return;
    }
    stage = 'during the menu';
    enterStage(ctx, facts.callId, 'menu');
    // Stasis(lcr,<route>,option=N) (or `lcr test-call --option N`) picks the option without the menu.
    const preselected = /^option=(\d)$/.exec(stasisArgs[1] ?? '')?.[1];
    const option =
      plan.options.find((o) => o.key === preselected) ??
      (await chooseOption(ctx, session, route, plan.options));
    if (option === undefined) {
      facts.outcome = 'abandoned';
      facts.detail = 'no menu choice';
      return;
    }
    stage = 'before the message';
    await routeTo(ctx, session, facts, route, option, plan);
  } catch (error) {
    if (error instanceof ChannelGone) {
      if (facts.outcome === undefined && session.endedBy !== undefined) {
        // The daemon hung up (stopping, on_drain_timeout: hangup), not the caller.
        facts.outcome = 'error';
        facts.detail = `${session.endedBy} ${stage}`;
      } else if (facts.outcome === undefined) {
        facts.outcome = 'abandoned';
        facts.detail = `caller hung up ${stage}`;
        pageAbandonedCall(ctx, facts);
      }
    } else {
      facts.outcome = 'error';
      facts.detail = (error as Error).message;
      ctx.logger.error('call failed', { error: (error as Error).message, stage });
      if (!session.gone)
        await play(session, render(ctx.prompts, says.error(facts.route))).catch(() => undefined);
    }
  } finally {
    if (!handedToDialplan) await hangup(session);
    const detail =
      resumed === undefined || facts.detail === undefined
        ? (facts.detail ?? (resumed === undefined ? null : 'taken back after an interruption'))
        : `${facts.detail} (taken back after an interruption)`;
    ctx.calls.updateCall(facts.callId, {
      outcome: facts.outcome ?? 'error',
      outcome_detail: detail,
      stage: null,
      hangup_cause: session.hangupCause ?? 16,
      ended_at: ctx.now(),
    });
    ctx.logger.info('call ended', { outcome: facts.outcome, detail: facts.detail ?? null });
  }
}

/**
 * The caller chose `option`: its team's routing takes over (voicemail, or direct routing), as
 * the route's plan for this moment says (outside hours it may differ from the route's own).
 */
async function routeTo(
  ctx: FlowContext,
  session: CallSession,
  facts: CallFacts,
  route: Route,
  option: MenuOption,
  plan: RoutePlan,
): Promise<void> {
  const team = ctx.config.teams.get(option.teamId)!;
  facts.team = team;
  facts.optionKey = option.key;
  facts.urgency = urgencyOf(route, plan, option);
  if (plan.policyId !== undefined) facts.policyId = plan.policyId;
  ctx.calls.updateCall(facts.callId, { option_key: option.key, team_id: team.id, urgency: facts.urgency });
  const routing =
    plan.routing === 'direct' && (await enteredPin(ctx, session, facts, route, team.id))
      ? 'direct'
      : 'voicemail';
  const call = { ctx, caller: session, facts, route, team };
  // A caller screening held back from direct routing is told why before the message.
  if (facts.heldBack === true) await play(session, render(ctx.prompts, screeningSays.heldBack(route)));
  // During an outage the caller hears what is known first, and may choose to leave a message.
  const chosen = (await tellWhatIsKnown(call, routing)) === 'message' ? 'voicemail' : routing;
  ctx.calls.updateCall(facts.callId, { routing: chosen });
  await (chosen === 'direct' ? routeDirect(call) : takeVoicemail(call));
}

/** A caller who chose a team but hung up before the beep: paged only if the route asks for it. */
function pageAbandonedCall(ctx: FlowContext, facts: CallFacts): void {
  const { route, team } = facts;
  if (route === undefined || team === undefined || !route.voicemail.pageOnAbandon) return;
  // A direct call's own page (direct.page: on_call_start) says so already (connectedPage.ts).
  if (facts.livePage !== undefined) return;
  ctx.paging.triggerBehind({
    teamId: team.id,
    routeId: route.id,
    optionKey: facts.optionKey ?? null,
    callId: facts.callId,
    voicemailId: null,
    callerNumber: facts.callerNumber || null,
    summary: `${facts.callerNumber || 'A caller'} called ${route.name} for ${team.name} and hung up before leaving a message`,
    urgency: facts.urgency ?? 'high',
    dedupe: route.dedupe,
    at: ctx.now(),
  });
}
