/**
 * How simulated people behave: callers who dial in, and phones the daemon rings. Scripts are plain
 * data, so a test reads like the scenario it checks:
 *   caller: [{ waitFor: 'playback' }, { press: '2' }, { waitFor: 'recording' }, { speak: 8000 }, { hangup: true }]
 *   phone:  { kind: 'answer', ringMs: 3000, then: [{ waitFor: 'playback' }, { press: '1' }] }
 */
export type Step =
  /** Do nothing for this many (simulated) milliseconds. */
  | { wait: number }
  /** Send these DTMF digits, one after another. */
  | { press: string }
  /** Talk for this many milliseconds (what a recording captures as speech). */
  | { speak: number }
  /** Hang up (cause 16, normal clearing). */
  | { hangup: true }
  /**
   * Wait until something happens on the channel: a prompt starts (optionally one whose media
   * contains `media`), the item the caller now hears is `media` ('playing': fetched and audible), all prompts have finished, a
   * recording has started, the channel is bridged.
   * `timeout` (ms) gives up and goes on.
   */
  | {
      waitFor: 'answered' | 'playback' | 'playing' | 'prompts-done' | 'recording' | 'bridged';
      media?: string;
      timeout?: number;
    };

export type PhoneBehaviour =
  | { kind: 'answer'; ringMs?: number; then?: Step[] }
  | { kind: 'busy'; ringMs?: number }
  | { kind: 'reject'; ringMs?: number }
  | { kind: 'congestion' }
  /** Rings until the originate timeout. */
  | { kind: 'no-answer' }
  /** The endpoint is not registered: Asterisk refuses the originate with 500 "Allocation failed". */
  | { kind: 'offline' };

/**
 * Behaviours spelled in the dial string, as the recorded Asterisk lab used them
 * (`PJSIP/answer-press1-after5@trunk`, `PJSIP/busy@trunk`, `Local/reject@sim-responders`).
 */
export function behaviourFromName(resource: string): PhoneBehaviour | undefined {
  const name = resource.split('@')[0]!.toLowerCase();
  if (name === 'busy') return { kind: 'busy' };
  if (name === 'reject') return { kind: 'reject' };
  if (name === 'congestion') return { kind: 'congestion' };
  if (name === 'noanswer' || name === 'no-answer') return { kind: 'no-answer' };
  const answer = /^(ring-)?answer(?:-(press(\d)|hangup|nopress))?(?:-after(\d+))?$/.exec(name);
  if (answer === null) return undefined;
  const ringMs = answer[1] ? 4000 : 0;
  const then: Step[] = [];
  if (answer[2] === 'hangup') then.push({ wait: 3500 }, { hangup: true });
  if (answer[3] !== undefined)
    then.push({ wait: answer[4] ? Number(answer[4]) * 1000 : 1200 }, { press: answer[3] });
  return { kind: 'answer', ringMs, then };
}
