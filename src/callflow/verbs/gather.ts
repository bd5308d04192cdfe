/** Collect one key: during the prompt (barge-in) or within `timeoutMs` after it. */
import type { RenderedPrompt } from '../prompts';
import type { CallSession } from '../session';
import { play } from './play';

export async function gatherDigit(
  session: CallSession,
  prompt: RenderedPrompt,
  timeoutMs: number,
): Promise<string | undefined> {
  await play(session, prompt, { bargeIn: true });
  const buffered = session.takeDigit();
  if (buffered !== undefined) return buffered;
  const event = await session.waitFor((e) => e.type === 'ChannelDtmfReceived', timeoutMs);
  return event === undefined ? undefined : session.takeDigit();
}
