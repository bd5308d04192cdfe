/**
 * What the caller and responders hear, slot by slot. Each flow module names the prompts it can
 * play once (a table of PromptRequest builders) and uses that table twice: at its render calls,
 * and in its declaration (flowPrompts.ts), which prepare() reads when a configuration loads. So a
 * render call and the prompt made ahead of it cannot disagree. Rendering never waits: the audio was
 * made at load (src/prompts/).
 */
import type { Config, Prompt, Route, Team } from '../config/model';
import { optionsOf } from './routePlan';
import type { PromptSlot } from '../prompts/slots';
import type {
  PromptRenderer,
  PromptRequest,
  PromptScope,
  PromptUse,
  RenderedPrompt,
} from '../prompts/render';

export type { PromptSlot } from '../prompts/slots';
export type {
  PromptDeclaration,
  PromptRenderer,
  PromptRequest,
  PromptUse,
  RenderedPrompt,
} from '../prompts/render';

export function promptRequest(
  slot: PromptSlot,
  override: Prompt | undefined,
  vars: Record<string, string> = {},
  scope?: PromptScope,
): PromptRequest {
  return { slot, override, vars, scope };
}

export function render(renderer: PromptRenderer, request: PromptRequest): RenderedPrompt {
  return renderer.render(request.slot, request.override, request.vars, request.scope);
}

/** A request in a declaration, with where it is used (for the messages of prepare()). */
export function declared(where: string, request: PromptRequest): PromptUse {
  return { ...request, where: `${where}, ${request.slot}` };
}

/** The teams a route's menu leads to, for declarations that depend on the team. */
export function teamsOf(config: Config, route: Route): Team[] {
  const ids = new Set(optionsOf(route).map((option) => option.teamId));
  return [...ids].flatMap((id) => {
    const team = config.teams.get(id);
    return team === undefined ? [] : [team];
  });
}

/** Several prompts played as one playback, so that a key press stops all of them at once. */
export function joinPrompts(prompts: RenderedPrompt[]): RenderedPrompt {
  return { media: prompts.flatMap((p) => p.media), text: prompts.map((p) => p.text).join(' ') };
}
