/**
 * Every prompt the caller and responders can hear, with its built-in English text. Operators
 * override any of them in YAML (`prompts.texts.<name>` for every route, `prompts.<name>` on a
 * route); {placeholders} are filled from the call.
 */

import type { PromptSlot } from '../domain/promptSlots';

export { PROMPT_SLOTS, yamlSlotName, type PromptSlot } from '../domain/promptSlots';

export const DEFAULT_TEXTS: Record<PromptSlot, string> = {
  greeting: 'Thank you for calling {route}.',
  menuOption: 'For {label}, press {key}.',
  menuInvalid: 'Sorry, that is not a valid choice.',
  menuNoInput: 'Sorry, I did not hear a choice.',
  notInService: 'The number you have dialed is not in service.',
  inactive: 'This number is not in service at the moment. Please try again later.',
  closed: 'Thank you for calling {route}. We are closed at the moment.',
  closedGoodbye: 'Please call again during our opening hours. Goodbye.',
  blocked: 'Sorry, this line cannot take your call. Goodbye.',
  screenedVoicemail:
    'Nobody can take your call live right now. Please leave a message, and the on-call team will get back to you.',
  pressToContinue: 'To reach the on-call team, press {key}.',
  pinPrompt: 'Please enter your PIN, then press the pound key.',
  pinWrong: 'Sorry, that PIN is not valid.',
  voicemailPrompt:
    'Please leave your message after the tone. When you are done, hang up or press the pound key.',
  voicemailThanks: 'Thank you. Your message has been passed to the on-call team. Goodbye.',
  voicemailTooShort: 'Your message was very short. It has been passed on anyway. Goodbye.',
  error: 'Sorry, something went wrong. Please call again.',
  callAgain: 'Sorry, we cannot take your call right now. Please call again in a few minutes. Goodbye.',
  callInterrupted: 'Sorry, your call was interrupted for a moment. Please stay on the line.',
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
  knownProblemWorking:
    'We are aware of an ongoing problem, reported {minutes} minutes ago. An engineer is working on it.',
  knownProblemAlerting:
    'We are aware of an ongoing problem, reported {minutes} minutes ago. We are alerting the on-call engineer now.',
  knownProblemChoice: 'To leave a message anyway, press 1. Otherwise, you may hang up.',
  knownProblemChoiceHold:
    'To leave a message, press 1. To hold for an engineer, press 2. Otherwise, you may hang up.',
  callbackOffer:
    'To be called back at the number you are calling from, press 1. To be called back at another number, press 2. Otherwise, you may hang up.',
  callbackEnter: 'Please enter the number to call you back at, then press the pound key.',
  callbackReadBack: 'You entered {number}. To confirm, press 1. To enter it again, press 2.',
  callbackRefused: 'Sorry, we cannot call that number back.',
  callbackConfirmed: 'Thank you. The on-call engineer will call you back. Goodbye.',
  pageCallbackOffer: 'The caller asked to be called back at {number}. To call them back now, press 1.',
  callbackConnecting: 'Calling them now. Please hold.',
  callbackUnreached: 'The caller could not be reached. Goodbye.',
  callbackTaken: 'Someone else is already calling the caller back. Goodbye.',
  pageStatusOffer: 'To acknowledge and record a message that callers of {team} will hear, press 4.',
  statusRecordInstructions: 'After the tone, say the message for callers, then press the pound key.',
  statusRecorded: 'Thank you. Callers of {team} now hear your message. Goodbye.',
  statusNotRecorded: 'Nothing was recorded. Goodbye.',
};

/** Placeholders whose values are only known during a call: spoken from cached pieces. */
export const DYNAMIC_PLACEHOLDERS = new Set(['caller', 'number']);

/**
 * Placeholders that are a number known only during a call ({minutes}): Asterisk says them itself
 * (`number:12`, in the channel's language), so nothing is made ahead for them.
 */
export const NUMBER_PLACEHOLDERS = new Set(['minutes', 'count']);
