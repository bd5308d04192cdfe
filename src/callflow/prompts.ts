/**
 * What the caller and responders hear, slot by slot. The call flow asks for a slot (with the
 * route's override, if any, and the route's language) and gets the media URIs to play plus the
 * text they stand for, which the logs and `lcr demo` show. Rendering never waits: the audio was
 * made when the configuration loaded (src/prompts/).
 */
import type { Prompt } from '../config/model';
import type { PromptSlot } from '../prompts/slots';
import type { PromptScope } from '../prompts/uses';

export type { PromptSlot } from '../prompts/slots';

export interface RenderedPrompt {
  media: string[];
  /** What the prompt says, for logs and the demo. */
  text: string;
}

export interface PromptRenderer {
  render(
    slot: PromptSlot,
    override: Prompt | undefined,
    vars?: Record<string, string>,
    /** The route the prompt is played for: its language and its own prompt replacements. */
    scope?: PromptScope,
  ): RenderedPrompt;
}

export function fillTemplate(text: string, vars: Record<string, string>): string {
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => vars[name] ?? whole);
}

/** Several prompts played as one playback, so that a key press stops all of them at once. */
export function joinPrompts(prompts: RenderedPrompt[]): RenderedPrompt {
  return { media: prompts.flatMap((p) => p.media), text: prompts.map((p) => p.text).join(' ') };
}
