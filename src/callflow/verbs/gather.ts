/**
 * Collect one key: during the prompt (barge-in) or within `timeoutMs` after it. Aborting
 * `signal` stops the prompt or the wait, and the gather returns no key.
 */
import type { RenderedPrompt } from '../prompts';
import type { CallSession } from '../session';
import { play } from './play';

export async function gatherDigit(
  session: CallSession,
  prompt: RenderedPrompt,
  timeoutMs: number,
  options: { signal?: AbortSignal } = {},
): Promise<string | undefined> {
  const played = await play(session, prompt, { bargeIn: true, ...options });
  if (played === 'stopped') return undefined;
  const buffered = session.takeDigit();
  if (buffered !== undefined) return buffered;
  const event = await session.waitFor((e) => e.type === 'ChannelDtmfReceived', timeoutMs, options);
  return event === undefined ? undefined : session.takeDigit();
}
