/** Scripted people: callers who dial in, and whoever answers a phone the daemon rings. */
import type { SimAsterisk } from './engine';
import { setSpeaking } from './media';
import type { SimChannel } from './model';
import type { Step } from './script';

export type WaitCondition = Extract<Step, { waitFor: string }>['waitFor'];

function satisfied(channel: SimChannel, condition: WaitCondition, media: string | undefined): boolean {
  switch (condition) {
    case 'answered':
      return channel.state === 'Up';
    case 'playback':
      return (
        channel.playback !== undefined &&
        (media === undefined || channel.playback.media.some((uri) => uri.includes(media)))
      );
    case 'playing':
      return (
        channel.playback?.audible === true &&
        (channel.playback.media[channel.playback.index] ?? '').includes(media ?? '')
      );
    case 'prompts-done':
      return channel.playback === undefined && !channel.running && channel.queue.length === 0;
    case 'recording':
      return channel.recording?.state === 'recording';
    case 'bridged':
      return channel.bridgeId !== undefined;
  }
}

/** Resolves when the condition holds, the channel is gone, or the timeout passes. */
export function waitFor(
  engine: SimAsterisk,
  channel: SimChannel,
  condition: WaitCondition,
  media?: string,
  timeoutMs?: number,
): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => {
      if (channel.gone || satisfied(channel, condition, media)) finish();
    };
    let timer: NodeJS.Timeout | undefined;
    const finish = (): void => {
      channel.waiters.delete(check);
      if (timer) clearTimeout(timer);
      resolve();
    };
    if (timeoutMs !== undefined) timer = engine.after(channel, timeoutMs, finish);
    channel.waiters.add(check);
    check();
  });
}

function pause(engine: SimAsterisk, channel: SimChannel, ms: number): Promise<void> {
  return new Promise((resolve) => {
    engine.after(channel, ms, resolve);
    void channel.ended.then(() => resolve());
  });
}

/** Sends one DTMF digit as Asterisk reports it; a recording that ends on this key stops. */
export function pressDigit(engine: SimAsterisk, channel: SimChannel, digit: string): void {
  if (channel.gone) return;
  engine.note(channel, 'pressed', digit);
  engine.channelEvent(channel, 'ChannelDtmfReceived', { digit, duration_ms: 100 });
  const recording = channel.recording;
  if (recording !== undefined && (recording.terminateOn === 'any' || recording.terminateOn.includes(digit))) {
    recording.finish?.('done', false);
  }
}

export async function runSteps(
  engine: SimAsterisk,
  channel: SimChannel,
  steps: readonly Step[],
): Promise<void> {
  for (const step of steps) {
    if (channel.gone) return;
    if ('wait' in step) await pause(engine, channel, step.wait);
    else if ('press' in step) {
      for (const [index, digit] of [...step.press].entries()) {
        if (index > 0) await pause(engine, channel, 250);
        pressDigit(engine, channel, digit);
      }
    } else if ('speak' in step) {
      engine.note(channel, 'spoke', `${step.speak / 1000}s`);
      setSpeaking(engine, channel, true);
      await pause(engine, channel, step.speak);
      if (!channel.gone) setSpeaking(engine, channel, false);
    } else if ('hangup' in step) {
      engine.note(channel, 'hangup', 'hangs up');
      engine.hangup(channel, 16, false);
    } else {
      await waitFor(engine, channel, step.waitFor, step.media, step.timeout);
    }
  }
}

export interface InboundCall {
  to: string;
  from: string;
  fromName?: string;
  /** Stasis application, and arguments the dialplan passes: Stasis(app,arg1,arg2). */
  app?: string;
  /**
   * A failover dialplan: Stasis() of each application in turn while STASISSTATUS is FAILED
   * (the daemons of one Asterisk, lcr-a then lcr-b). Replaces `app`.
   */
  apps?: string[];
  args?: string[];
  /** What the caller does once the call is answered. */
  steps?: Step[];
  /** Run the steps from the first ring instead of from the answer (to hang up before it). */
  beforeAnswer?: boolean;
}

let trunkSequence = 0x20;

/**
 * A call arriving from the trunk, handed to Stasis by the dialplan as `Stasis(app,args)`. If the
 * application is not active (never registered, or its WebSocket is gone), Stasis() fails at once
 * (app_stasis.c sets STASISSTATUS=FAILED, res_stasis.c:stasis_app_exec logs "not active" or the
 * app "doesn't exist"): no event reaches anyone and the dialplan goes on, which in the simulated
 * dialplan is a Hangup().
 */
export function placeInboundCall(engine: SimAsterisk, call: InboundCall): SimChannel {
  trunkSequence += 1;
  const args = call.args ?? [];
  const channel = engine.createChannel({
    id: engine.newChannelId(),
    name: `PJSIP/trunk-${trunkSequence.toString(16).padStart(8, '0')}`,
    state: 'Ring',
    caller: { name: call.fromName ?? '', number: call.from },
    connected: { name: '', number: '' },
    // The dialplan's first Stasis() is its priority 2 (enterNextStasis moves on to it).
    dialplan: { context: 'from-trunk', exten: call.to, priority: 1, app_name: 'Stasis', app_data: '' },
    script: call.steps ?? [],
  });
  channel.dialplanNext = { apps: [...(call.apps ?? [call.app ?? 'lcr'])], args };
  if (!engine.enterNextStasis(channel)) {
    engine.after(channel, 50, () => engine.hangup(channel, 16, false));
    return channel;
  }
  const steps: Step[] = call.beforeAnswer
    ? (call.steps ?? [])
    : [{ waitFor: 'answered' }, ...(call.steps ?? [])];
  void runSteps(engine, channel, steps);
  return channel;
}

/** Stasis() could not hand the channel to `app`: the dialplan continues to its Hangup(). */
export function failStasis(engine: SimAsterisk, channel: SimChannel, app: string): void {
  const why = engine.apps.isRegistered(app) ? 'not active' : 'not registered';
  channel.variables.set('STASISSTATUS', 'FAILED');
  engine.note(channel, 'continued', `Stasis(${app}) failed: app ${why}, STASISSTATUS=FAILED`);
  engine.after(channel, 50, () => engine.hangup(channel, 16, false));
}
