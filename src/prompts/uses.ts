/**
 * Every prompt a configuration can make the daemon play, with the values its placeholders will
 * have, so that all of them are synthesized when the configuration loads and no caller waits.
 * It mirrors the call flow's render() calls; the integration tests run the flows with a counter
 * of prompts that were not ready, which must stay at zero.
 */
import type { Config, Prompt, Route } from '../config/model';
import type { PromptSlot } from './slots';

/** What a route contributes to a prompt: its language and its own replacements. */
export type PromptScope = Pick<Route, 'language' | 'prompts'>;

export interface PromptUse {
  slot: PromptSlot;
  override: Prompt | undefined;
  vars: Record<string, string>;
  scope: PromptScope | undefined;
  /** For log lines when it cannot be made: "route hotline, greeting". */
  where: string;
}

export const PAGE_STATUSES_SPOKEN = ['acknowledged', 'resolved'];

export function promptUses(config: Config): PromptUse[] {
  const uses: PromptUse[] = [];
  const add = (
    slot: PromptSlot,
    override: Prompt | undefined,
    vars: Record<string, string>,
    scope: PromptScope | undefined,
    where: string,
  ): void => {
    uses.push({ slot, override, vars, scope, where: `${where}, ${slot}` });
  };
  add('notInService', undefined, {}, undefined, 'unknown number');
  add('error', undefined, {}, undefined, 'any call');
  add('callAgain', undefined, {}, undefined, 'calls while stopping');
  for (const route of config.routes) {
    const where = `route ${route.id}`;
    const named = { route: route.name };
    if (!route.active) {
      add('inactive', route.inactiveMessage, named, route, where);
      continue;
    }
    add('greeting', route.greeting, named, route, where);
    add('error', undefined, {}, route, where);
    if (route.options.length > 1) {
      for (const option of route.options)
        add(
          'menuOption',
          option.prompt ?? route.menu.prompt,
          { key: option.key, label: option.label, route: route.name },
          route,
          where,
        );
      add('menuInvalid', route.menu.invalidPrompt, {}, route, where);
      add('menuNoInput', route.menu.invalidPrompt, {}, route, where);
    }
    const takesVoicemail = route.routing === 'voicemail' || route.direct.onNoAnswer === 'voicemail';
    for (const option of route.options) {
      const team = config.teams.get(option.teamId);
      if (team === undefined) continue;
      const vars = { route: route.name, team: team.name };
      if (takesVoicemail) {
        add('voicemailPrompt', route.voicemail.prompt, vars, route, where);
        add('voicemailThanks', route.voicemail.thanks, vars, route, where);
        add('voicemailTooShort', route.voicemail.thanks, vars, route, where);
        add('error', undefined, vars, route, where);
      }
      if (route.routing === 'direct') {
        add('confirm', route.direct.confirmPrompt, vars, route, where);
        add('noAnswer', route.direct.noAnswerPrompt, vars, route, where);
      }
      add('pageAnnounce', undefined, { ...vars, caller: '' }, route, where);
    }
    if (route.routing === 'direct') {
      add('alreadyAnswered', undefined, {}, route, where);
      add('callerHungUp', undefined, {}, route, where);
      if (route.direct.stillTryingEverySeconds > 0)
        add('stillTrying', route.direct.stillTryingPrompt, named, route, where);
    }
    for (const slot of ['pageMenu', 'pageAcknowledged', 'pageEscalated', 'pageMessageMissing'] as const)
      add(slot, undefined, {}, route, where);
    for (const status of PAGE_STATUSES_SPOKEN) add('pageAlreadyHandled', undefined, { status }, route, where);
  }
  return uses;
}
