/**
 * The scripted people the integration tests share: what a caller does at the menu and at the
 * beep, and how a responder's phone behaves. A test composes these, so a change in how the
 * daemon prompts (the menu's sound, the beep) is followed in one place.
 */
import type { PhoneBehaviour, Step } from '../../src/simulator/script';

/** Waits for the menu (its "press" prompt) and presses `key`. */
export function pickOption(key: string): Step[] {
  return [{ waitFor: 'playback', media: 'press' }, { press: key }];
}

/**
 * Waits for the beep, talks for `speakMs`, then ends the message the way a caller would: `#`
 * (the default), hanging up, or saying nothing more until the silence limit ends it.
 */
export function leaveMessage(speakMs = 3000, end: 'hash' | 'hangup' | 'silence' = 'hash'): Step[] {
  const steps: Step[] = [{ waitFor: 'recording' }, { speak: speakMs }];
  if (end === 'hash') steps.push({ press: '#' });
  if (end === 'hangup') steps.push({ hangup: true });
  return steps;
}

/** Picks `key` in the menu and leaves a message. */
export function messageFor(key: string, speakMs = 3000): Step[] {
  return [...pickOption(key), ...leaveMessage(speakMs)];
}

/**
 * A phone that rings `ringMs` (the simulator's default when undefined), hears the accept
 * prompt, waits `thinkMs` and presses 1; then does `after`.
 */
export function accepts(ringMs?: number, thinkMs = 0, after: Step[] = []): PhoneBehaviour {
  const think: Step[] = thinkMs > 0 ? [{ wait: thinkMs }] : [];
  return {
    kind: 'answer',
    ...(ringMs === undefined ? {} : { ringMs }),
    then: [{ waitFor: 'playback' }, ...think, { press: '1' }, ...after],
  };
}

/** Accepts, talks for `talkMs` once bridged, then hangs up first. */
export function acceptsAndHangsUp(talkMs: number, ringMs?: number): PhoneBehaviour {
  return accepts(ringMs, 0, [{ waitFor: 'bridged' }, { wait: talkMs }, { hangup: true }]);
}

/** Answers, hears the accept prompt, and presses 2 (declines). */
export function declines(ringMs?: number): PhoneBehaviour {
  return {
    kind: 'answer',
    ...(ringMs === undefined ? {} : { ringMs }),
    then: [{ waitFor: 'playback' }, { press: '2' }],
  };
}

/** Rings until the daemon gives up. */
export const neverAnswers: PhoneBehaviour = { kind: 'no-answer' };

/** A page call: waits until the voicemail plays, listens `listenMs`, presses 1 (acknowledge). */
export function acknowledgesPage(listenMs = 1000): PhoneBehaviour {
  return {
    kind: 'answer',
    then: [{ waitFor: 'playing', media: '/media/voicemail/' }, { wait: listenMs }, { press: '1' }],
  };
}
