/**
 * What the caller hears while responders are rung: ringback, music on hold or a sound, broken
 * every N seconds by "we are still trying to reach the on-call responder".
 */
import type { Route } from '../../config/model';
import { routingsOf } from '../routePlan';
import type { FlowContext } from '../context';
import { declared, promptRequest, render, type PromptDeclaration } from '../prompts';
import { ChannelGone, type CallSession } from '../session';
import { sleep, whenAborted } from '../verbs/abort';
import { play } from '../verbs/play';

const stillTrying = (route: Route) =>
  promptRequest('stillTrying', route.direct.stillTryingPrompt, { route: route.name }, route);

/** The reminder breaks ringback and music on hold, not a hold sound (which loops on its own). */
const reminds = (route: Route): boolean =>
  route.direct.stillTryingEverySeconds > 0 && route.direct.hold.kind !== 'sound';

export const holdPrompts: PromptDeclaration = (config) =>
  config.routes
    .filter((route) => route.active && routingsOf(route).has('direct') && reminds(route))
    .map((route) => declared(`route ${route.id}`, stillTrying(route)));

/**
 * Plays the hold audio until `signal` aborts. The stop is issued inside the abort (the ringing or
 * music stop, or the playing sound's or reminder's stop), and nothing more is asked of Asterisk
 * after it: whoever aborts may issue the bridge join or the next prompt at once, and it reaches
 * Asterisk behind the stop (the port keeps each channel's requests in order). Settles when done.
 * Never rejects: hold audio that fails leaves the caller in silence while responders are rung,
 * which is no reason to end the call.
 */
export async function holdAudio(
  ctx: FlowContext,
  caller: CallSession,
  route: Route,
  signal: AbortSignal,
): Promise<void> {
  const hold = route.direct.hold;
  const ari = caller.ari;
  const stopped = (): boolean => signal.aborted || caller.gone;
  if (hold.kind === 'sound') {
    const sound = { media: [`sound:${hold.sound}`], text: `[hold sound ${hold.sound}]` };
    try {
      // A sound Asterisk cannot play is not retried in a loop.
      while (!stopped() && (await play(caller, sound, { signal })) !== 'failed');
    } catch (error) {
      if (!(error instanceof ChannelGone))
        ctx.logger.warn('hold audio failed', { error: (error as Error).message });
    }
    return;
  }
  let toneOn = false;
  const begin = (): void => {
    toneOn = true;
    const started =
      hold.kind === 'ringback'
        ? ari.startRinging(caller.channelId)
        : ari.startMoh(caller.channelId, hold.mohClass);
    started.catch((error: Error) => ctx.logger.warn('hold audio did not start', { error: error.message }));
  };
  const end = (): Promise<void> => {
    toneOn = false;
    const ended =
      hold.kind === 'ringback' ? ari.stopRinging(caller.channelId) : ari.stopMoh(caller.channelId);
    return ended.catch(() => undefined);
  };
  const stopNow = whenAborted(signal, () => {
    if (toneOn && !caller.gone) void end();
  });
  try {
    if (stopped()) return;
    begin();
    for (;;) {
      const remind = reminds(route)
        ? await sleep(route.direct.stillTryingEverySeconds * 1000, signal)
        : await stopNow.aborted.then(() => false);
      if (!remind || stopped()) return;
      await end();
      await play(caller, render(ctx.prompts, stillTrying(route)), { signal });
      if (stopped()) return;
      begin();
    }
  } catch (error) {
    if (!(error instanceof ChannelGone))
      ctx.logger.warn('hold audio failed', { error: (error as Error).message });
  } finally {
    stopNow.off();
  }
}
