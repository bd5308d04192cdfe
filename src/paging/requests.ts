/** What is asked of the paging service, and by whom: shared by the service and its steps. */
import type { EventVia, NewPage } from '../store/pages';

/** What the call flow knows when it asks for a page; the service adds when it escalates. */
export type PageRequest = Omit<NewPage, 'nextEscalationAt' | 'now'> & {
  at: number;
  /** Acknowledged at once, in the same transaction (a connected call's page, by who took it). */
  acknowledgedBy?: { actor: Actor; note?: string };
  /**
   * The route's de-duplication: while a matching page is open, this caller joins it (an update
   * to its assignees, no new escalation) instead of opening another.
   */
  dedupe?: DedupePolicy;
};

export interface DedupePolicy {
  scope: 'team' | 'option' | 'off';
  windowSeconds: number;
  /** At most one update per target this often (planner.ts coalesceUpdates). */
  updateEverySeconds: number;
}

export interface TriggeredPage {
  pageId: number;
  assignees: string[];
  /** The caller joined an open page instead of opening one. */
  joined: boolean;
}

/** Who acted, and how: a responder (by id) or someone else ("cli:root", "api"). */
export interface Actor {
  id: string;
  via: EventVia;
  /** Set when the actor is a configured responder. */
  responderId?: string;
}

export const SYSTEM: Actor = { id: 'system', via: 'automatic' };

/** A live call nobody took (service liveCallMissed): what becomes of its page. */
export interface MissedLiveCall {
  voicemailId: string | null;
  durationSeconds: number | null;
  callbackNumber?: string | null;
  summary: string;
  at: number;
}
