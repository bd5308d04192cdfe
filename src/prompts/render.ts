/**
 * The prompt vocabulary shared by the call flows (which ask for prompts and declare the ones they
 * can play) and the prompt library (which makes them ahead and renders them). It lives here, the
 * lowest layer that owns prompts, so that the library never imports the call flow.
 */
import type { Config, Prompt, Route } from '../config/model';
import type { PromptSlot } from './slots';

/** What a route contributes to a prompt: its language and its own replacements. */
export type PromptScope = Pick<Route, 'language' | 'prompts'>;

export interface RenderedPrompt {
  media: string[];
  /** What the prompt says, for logs and the demo. */
  text: string;
}

/** One prompt as a flow asks for it. */
export interface PromptRequest {
  slot: PromptSlot;
  /** The operator's text, file or sound for this very place (a route's greeting), if any. */
  override: Prompt | undefined;
  /** Values of the placeholders; dynamic ones ({caller}) are spoken from cached pieces. */
  vars: Record<string, string>;
  /** The route the prompt is played for: its language and its own prompt replacements. */
  scope: PromptScope | undefined;
}

/** A prompt a flow can play under a configuration, so that prepare() makes it before any call. */
export interface PromptUse extends PromptRequest {
  /** For log lines when it cannot be made: "route hotline, greeting". */
  where: string;
}

/** A flow's declaration: every prompt it can play under `config`. */
export type PromptDeclaration = (config: Config) => PromptUse[];

export interface PromptRenderer {
  render(
    slot: PromptSlot,
    override: Prompt | undefined,
    vars?: Record<string, string>,
    scope?: PromptScope,
  ): RenderedPrompt;
}

export function fillTemplate(text: string, vars: Record<string, string>): string {
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => vars[name] ?? whole);
}
