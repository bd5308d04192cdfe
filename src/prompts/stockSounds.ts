/**
 * Stock Asterisk sounds (the core sounds every Asterisk installs) that carry each prompt's
 * meaning. Played when text-to-speech is off (`prompts.engine: none`) or failed for a prompt that
 * has no earlier audio, so a caller never hears silence.
 */
import type { PromptSlot } from './slots';

/** Asterisk names the sounds of * and # in digits/ "star" and "pound". */
const keySound = (key: string): string => (key === '*' ? 'star' : key === '#' ? 'pound' : key);

/** Stock Asterisk sounds that carry each slot's meaning until text-to-speech is available. */
export const STOCK_FALLBACK: Record<PromptSlot, (vars: Record<string, string>) => string[]> = {
  greeting: () => ['sound:welcome'],
  menuOption: (vars) => ['sound:press', `sound:digits/${vars['key'] ?? '1'}`],
  menuInvalid: () => ['sound:option-is-invalid'],
  menuNoInput: () => ['sound:option-is-invalid'],
  notInService: () => ['sound:ss-noservice'],
  inactive: () => ['sound:ss-noservice', 'sound:pls-try-call-later'],
  closed: () => ['sound:welcome'],
  closedGoodbye: () => ['sound:pls-try-call-later', 'sound:vm-goodbye'],
  blocked: () => ['sound:ss-noservice', 'sound:vm-goodbye'],
  screenedVoicemail: () => ['sound:vm-nobodyavail'],
  pinPrompt: () => ['sound:agent-pass'],
  pinWrong: () => ['sound:auth-incorrect'],
  pressToContinue: (vars) => ['sound:press', `sound:digits/${keySound(vars['key'] ?? '1')}`],
  voicemailPrompt: () => ['sound:vm-intro'],
  voicemailThanks: () => ['sound:vm-msgsaved', 'sound:vm-goodbye'],
  voicemailTooShort: () => ['sound:vm-msgsaved', 'sound:vm-goodbye'],
  error: () => ['sound:pls-try-call-later'],
  callAgain: () => ['sound:pls-try-call-later', 'sound:vm-goodbye'],
  callInterrupted: () => ['sound:please-hold'],
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
  knownProblemWorking: (vars) => ['sound:tt-somethingwrong', ...numberOf(vars['minutes'])],
  knownProblemAlerting: (vars) => [
    'sound:tt-somethingwrong',
    ...numberOf(vars['minutes']),
    'sound:pls-hold-while-try',
  ],
  knownProblemChoice: () => ['sound:press', 'sound:digits/1'],
  knownProblemChoiceHold: () => ['sound:press', 'sound:digits/1', 'sound:press', 'sound:digits/2'],
  callbackOffer: () => ['sound:press', 'sound:digits/1', 'sound:press', 'sound:digits/2'],
  callbackEnter: () => ['sound:vm-enter-num-to-call'],
  callbackReadBack: (vars) => [...digitsOf(vars['number']), 'sound:press', 'sound:digits/1'],
  callbackRefused: () => ['sound:ss-noservice'],
  callbackConfirmed: () => ['sound:auth-thankyou', 'sound:vm-goodbye'],
  pageCallbackOffer: (vars) => [
    'sound:vm-from-phonenumber',
    ...digitsOf(vars['number']),
    'sound:press',
    'sound:digits/1',
  ],
  callbackConnecting: () => ['sound:pls-hold-while-try'],
  callbackUnreached: () => ['sound:vm-nobodyavail', 'sound:vm-goodbye'],
  callbackTaken: () => ['sound:vm-goodbye'],
  pageStatusOffer: () => ['sound:press', 'sound:digits/4'],
  statusRecordInstructions: () => ['sound:vm-rec-temp'],
  statusRecorded: () => ['sound:vm-msgsaved', 'sound:vm-goodbye'],
  statusNotRecorded: () => ['sound:vm-goodbye'],
};

function digitsOf(value: string | undefined): string[] {
  const digits = (value ?? '').replace(/\D/g, '');
  return digits === '' ? [] : [`digits:${digits}`];
}

function numberOf(value: string | undefined): string[] {
  return value !== undefined && /^\d+$/.test(value) ? [`number:${value}`] : [];
}
