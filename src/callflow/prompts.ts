/**
 * What the caller and responders hear, slot by slot. The call flow asks for a slot (with the
 * operator's override, if any) and gets the media URIs to play plus the text they stand for,
 * which the logs and `lcr demo` show.
 *
 * Until text-to-speech lands, text prompts are played with the closest stock Asterisk sounds
 * (the "core sounds" every Asterisk installs): a documented fallback, so the flow is already the
 * one it will be. `sound:` prompts are played as written.
 */
import type { Prompt } from '../config/model';

export type PromptSlot =
  | 'greeting'
  | 'menuOption'
  | 'menuInvalid'
  | 'menuNoInput'
  | 'notInService'
  | 'inactive'
  | 'voicemailPrompt'
  | 'voicemailThanks'
  | 'voicemailTooShort'
  | 'error'
  | 'noAnswer'
  | 'stillTrying'
  | 'confirm'
  | 'alreadyAnswered'
  | 'callerHungUp'
  | 'pageAnnounce'
  | 'pageMenu'
  | 'pageAcknowledged'
  | 'pageEscalated'
  | 'pageAlreadyHandled'
  | 'pageMessageMissing';

export const DEFAULT_TEXTS: Record<PromptSlot, string> = {
  greeting: 'Thank you for calling {route}.',
  menuOption: 'For {label}, press {key}.',
  menuInvalid: 'Sorry, that is not a valid choice.',
  menuNoInput: 'Sorry, I did not hear a choice.',
  notInService: 'The number you have dialed is not in service.',
  inactive: 'This number is not in service at the moment. Please try again later.',
  voicemailPrompt:
    'Please leave your message after the tone. When you are done, hang up or press the pound key.',
  voicemailThanks: 'Thank you. Your message has been passed to the on-call team. Goodbye.',
  voicemailTooShort: 'Your message was very short. It has been passed on anyway. Goodbye.',
  error: 'Sorry, something went wrong. Please call again.',
  noAnswer: 'Nobody is available to take your call right now.',
  stillTrying: 'Please hold while we try to reach the on-call responder.',
  confirm: 'Call from {route} for {team}. Press 1 to accept, 2 to decline.',
  alreadyAnswered: 'This call was already answered by someone else. Goodbye.',
  callerHungUp: 'The caller hung up. Goodbye.',
  pageAnnounce: 'New page for {team} from {route}. Caller {caller}.',
  pageMenu: 'Press 1 to acknowledge, 2 to hear the message again, 3 to escalate now.',
  pageAcknowledged: 'The page is acknowledged. Thank you. Goodbye.',
  pageEscalated: 'The page is escalated to the next level. Goodbye.',
  pageAlreadyHandled: 'This page was already {status}. Goodbye.',
  pageMessageMissing: 'The message could not be retrieved.',
};

/** Stock Asterisk sounds that carry each slot's meaning until text-to-speech is available. */
const STOCK_FALLBACK: Record<PromptSlot, (vars: Record<string, string>) => string[]> = {
  greeting: () => ['sound:welcome'],
  menuOption: (vars) => ['sound:press', `sound:digits/${vars['key'] ?? '1'}`],
  menuInvalid: () => ['sound:option-is-invalid'],
  menuNoInput: () => ['sound:option-is-invalid'],
  notInService: () => ['sound:ss-noservice'],
  inactive: () => ['sound:ss-noservice', 'sound:pls-try-call-later'],
  voicemailPrompt: () => ['sound:vm-intro'],
  voicemailThanks: () => ['sound:vm-msgsaved', 'sound:vm-goodbye'],
  voicemailTooShort: () => ['sound:vm-msgsaved', 'sound:vm-goodbye'],
  error: () => ['sound:pls-try-call-later'],
  noAnswer: () => ['sound:vm-nobodyavail'],
  stillTrying: () => ['sound:pls-hold-while-try'],
  confirm: () => ['sound:to-accept-press', 'sound:digits/1', 'sound:to-reject-press', 'sound:digits/2'],
  alreadyAnswered: () => ['sound:vm-goodbye'],
  callerHungUp: () => ['sound:conf-hasleft', 'sound:vm-goodbye'],
  pageAnnounce: (vars) => [
    'sound:vm-youhave',
    'sound:vm-message',
    ...(/^\d+$/.test(vars['callerDigits'] ?? '')
      ? ['sound:vm-from-phonenumber', `digits:${vars['callerDigits']}`]
      : []),
  ],
  pageMenu: () => ['sound:press', 'sound:digits/1', 'sound:vm-repeat', 'sound:digits/2'],
  pageAcknowledged: () => ['sound:auth-thankyou', 'sound:vm-goodbye'],
  pageEscalated: () => ['sound:auth-thankyou', 'sound:vm-goodbye'],
  pageAlreadyHandled: () => ['sound:vm-goodbye'],
  pageMessageMissing: () => ['sound:pls-try-call-later'],
};

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
    language?: string,
  ): RenderedPrompt;
}

export function fillTemplate(text: string, vars: Record<string, string>): string {
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => vars[name] ?? whole);
}

export class StockSoundRenderer implements PromptRenderer {
  render(slot: PromptSlot, override: Prompt | undefined, vars: Record<string, string> = {}): RenderedPrompt {
    if (override?.kind === 'sound')
      return { media: [`sound:${override.sound}`], text: `[sound ${override.sound}]` };
    const text = fillTemplate(override?.kind === 'text' ? override.text : DEFAULT_TEXTS[slot], vars);
    return { media: STOCK_FALLBACK[slot](vars), text };
  }
}

/** Several prompts played as one playback, so that a key press stops all of them at once. */
export function joinPrompts(prompts: RenderedPrompt[]): RenderedPrompt {
  return { media: prompts.flatMap((p) => p.media), text: prompts.map((p) => p.text).join(' ') };
}
