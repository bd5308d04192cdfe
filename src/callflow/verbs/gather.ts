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

/**
 * Collect a number of up to `maxDigits` keys ended by `#` (or by the last key): the first may
 * come during the prompt or within `firstTimeoutMs`, each next one within `interDigitMs`.
 * Returns what was entered ("" when nothing came); `#` is not part of it.
 */
export async function gatherDigits(
  session: CallSession,
  prompt: RenderedPrompt,
  limits: { maxDigits: number; firstTimeoutMs: number; interDigitMs: number },
  options: { signal?: AbortSignal } = {},
): Promise<string> {
  let digit = await gatherDigit(session, prompt, limits.firstTimeoutMs, options);
  let entered = '';
  while (digit !== undefined && digit !== '#') {
    entered += digit;
    if (entered.length >= limits.maxDigits) break;
    digit = session.takeDigit();
    if (digit !== undefined) continue;
    const event = await session.waitFor(
      (e) => e.type === 'ChannelDtmfReceived',
      limits.interDigitMs,
      options,
    );
    digit = event === undefined ? undefined : session.takeDigit();
  }
  return entered;
}
