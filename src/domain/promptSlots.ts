/**
 * The names of every prompt callers and responders hear. They are keys of the YAML
 * (`prompts.texts.<name>`, a route's `prompts.<name>`) as well as of the built-in texts
 * (src/prompts/slots.ts), so they live below both.
 */
export const PROMPT_SLOTS = [
  'greeting',
  'menuOption',
  'menuInvalid',
  'menuNoInput',
  'notInService',
  'inactive',
  'closed',
  'closedGoodbye',
  'blocked',
  'screenedVoicemail',
  'pressToContinue',
  'pinPrompt',
  'pinWrong',
  'voicemailPrompt',
  'voicemailThanks',
  'voicemailTooShort',
  'error',
  'callAgain',
  'callInterrupted',
  'noAnswer',
  'stillTrying',
  'confirm',
  'alreadyAnswered',
  'callerHungUp',
  'pageAnnounce',
  'pageMenu',
  'pageAcknowledged',
  'pageEscalated',
  'pageAlreadyHandled',
  'pageMessageMissing',
  'knownProblemWorking',
  'knownProblemAlerting',
  'knownProblemChoice',
  'knownProblemChoiceHold',
  'callbackOffer',
  'callbackEnter',
  'callbackReadBack',
  'callbackRefused',
  'callbackConfirmed',
  'pageCallbackOffer',
  'callbackConnecting',
  'callbackUnreached',
  'callbackTaken',
  'pageStatusOffer',
  'statusRecordInstructions',
  'statusRecorded',
  'statusNotRecorded',
] as const;

export type PromptSlot = (typeof PROMPT_SLOTS)[number];

/** The YAML spelling of a slot: `noAnswer` is `no_answer`. */
export function yamlSlotName(slot: PromptSlot): string {
  return slot.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
