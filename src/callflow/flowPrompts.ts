/**
 * Every prompt the call flows can play, from each flow's own declaration (kept beside its render
 * calls and built from the same requests). The prompt library's prepare() reads these when a
 * configuration loads, so that no caller waits for synthesis; the integration harness fails any
 * test in which a flow rendered a prompt its declaration does not list.
 */
import type { PromptDeclaration } from './prompts';
import { directPrompts } from './direct/direct';
import { holdPrompts } from './direct/hold';
import { inboundPrompts } from './inbound';
import { knownProblemPrompts } from './knownProblem';
import { callbackOfferPrompts } from './callback/offer';
import { callBackPrompts } from './callback/callBack';
import { statusByPhonePrompts } from './statusByPhone';
import { pageCallPrompts } from './pageCall';
import { screeningPrompts } from './screening';
import { voicemailPrompts } from './voicemail';

export const FLOW_PROMPTS: readonly PromptDeclaration[] = [
  inboundPrompts,
  voicemailPrompts,
  directPrompts,
  holdPrompts,
  pageCallPrompts,
  screeningPrompts,
  knownProblemPrompts,
  callbackOfferPrompts,
  callBackPrompts,
  statusByPhonePrompts,
];
