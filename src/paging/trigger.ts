/**
 * Creating a page: assigned to everyone on call at the first level of the team's escalation
 * policy at that moment, with the first escalation due when that level's `escalate_after` runs
 * out. The escalation itself advances from the database (see the paging engine), so the page
 * survives a crash between now and then.
 */
import type { Config } from '../config/model';
import type { Logger } from '../log/logger';
import { resolveOnCall } from '../oncall/escalation';
import type { PageStore } from '../store/pages';

export interface PageRequest {
  teamId: string;
  routeId: string | null;
  callId: string | null;
  voicemailId: string | null;
  callerNumber: string | null;
  summary: string;
  at: number;
}

export interface TriggeredPage {
  pageId: number;
  assignees: string[];
}

export function triggerPage(
  config: Config,
  pages: PageStore,
  logger: Logger,
  request: PageRequest,
): TriggeredPage {
  const onCall = resolveOnCall(config, request.teamId, request.at);
  const first = onCall.levels[0]!;
  const assignees = first.responders.map((r) => r.responder.id);
  const pageId = pages.create({
    teamId: request.teamId,
    routeId: request.routeId,
    callId: request.callId,
    voicemailId: request.voicemailId,
    callerNumber: request.callerNumber,
    summary: request.summary,
    assignees: assignees.map((responderId) => ({ responderId, level: 0 })),
    nextEscalationAt: request.at + first.level.escalateAfterSeconds * 1000,
    now: request.at,
  });
  if (assignees.length === 0)
    logger.warn('page created but nobody is on call at level 1', { pageId, team: request.teamId });
  logger.info('page triggered', { pageId, team: request.teamId, assignees });
  return { pageId, assignees };
}
