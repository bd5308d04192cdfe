/**
 * What the caller hears while responders are rung: ringback, music on hold or a sound, broken
 * every N seconds by "we are still trying to reach the on-call responder".
 */
import type { Route } from '../../config/model';
import type { FlowContext } from '../context';
import { declared, promptRequest, render, type PromptDeclaration } from '../prompts';
import type { CallSession } from '../session';
import { play } from '../verbs/play';

const stillTrying = (route: Route) =>
  promptRequest('stillTrying', route.direct.stillTryingPrompt, { route: route.name }, route);

/** The reminder breaks ringback and music on hold, not a hold sound (which loops on its own). */
const reminds = (route: Route): boolean =>
  route.direct.stillTryingEverySeconds > 0 && route.direct.hold.kind !== 'sound';

export const holdPrompts: PromptDeclaration = (config) =>
  config.routes
    .filter((route) => route.active && route.routing === 'direct' && reminds(route))
    .map((route) => declared(`route ${route.id}`, stillTrying(route)));

export class HoldAudio {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private soundPlayback: string | undefined;

  constructor(
    private readonly ctx: FlowContext,
    private readonly caller: CallSession,
    private readonly route: Route,
  ) {}

  private async begin(): Promise<void> {
    const hold = this.route.direct.hold;
    const ari = this.caller.ari;
    if (hold.kind === 'ringback') await ari.startRinging(this.caller.channelId);
    else if (hold.kind === 'moh') await ari.startMoh(this.caller.channelId, hold.mohClass);
    else {
      const sound = { media: [`sound:${hold.sound}`], text: `[hold sound ${hold.sound}]` };
      void (async () => {
        while (this.running && !this.caller.gone) {
          await play(this.caller, sound, { onRequested: (id) => (this.soundPlayback = id) });
        }
      })().catch(() => undefined);
    }
  }

  private async end(): Promise<void> {
    const hold = this.route.direct.hold;
    const ari = this.caller.ari;
    if (hold.kind === 'ringback') await ari.stopRinging(this.caller.channelId);
    else if (hold.kind === 'moh') await ari.stopMoh(this.caller.channelId);
    else if (this.soundPlayback !== undefined) await ari.stopPlayback(this.soundPlayback);
  }

  async start(): Promise<void> {
    this.running = true;
    await this.begin().catch((error: Error) =>
      this.ctx.logger.warn('hold audio did not start', { error: error.message }),
    );
    this.schedule();
  }

  private schedule(): void {
    if (!reminds(this.route)) return;
    this.timer = setTimeout(() => void this.remind(), this.route.direct.stillTryingEverySeconds * 1000);
  }

  private async remind(): Promise<void> {
    if (!this.running || this.caller.gone) return;
    await this.end().catch(() => undefined);
    await play(this.caller, render(this.ctx.prompts, stillTrying(this.route))).catch(() => undefined);
    if (!this.running || this.caller.gone) return;
    await this.begin().catch(() => undefined);
    this.schedule();
  }

  /** Stops the hold audio (before bridging, or before telling the caller nobody answered). */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    if (this.caller.gone) return;
    await this.end().catch(() => undefined);
  }
}
