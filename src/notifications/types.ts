/** What every notification channel (phone, email, webhook) implements for the dispatcher. */
import type { Responder } from '../config/model';
import type { NotificationRow } from '../store/notifications';
import type { PageEventRow, PageRow } from '../store/pages';

export interface Delivery {
  notification: NotificationRow;
  page: PageRow;
  /** The timeline event the notification is about. */
  event: PageEventRow | undefined;
  /** Aborted when the page is acknowledged or resolved while the attempt runs. */
  signal: AbortSignal;
}

export type SendResult = { ok: true; detail: string } | { ok: false; detail: string; retry: boolean };

export interface Notifier {
  send(delivery: Delivery): Promise<SendResult>;
}

/**
 * The acknowledge link a message carries. The paging layer's LinkFactory implements it; the
 * notifiers only need this much, so they do not depend on paging (which depends on them).
 */
export interface AckLinks {
  ack(pageId: number, responderId: string | undefined, now: number): string;
}

export interface PageCallRequest {
  notificationId: number;
  page: PageRow;
  responder: Responder;
  /** Aborted when the page is acknowledged or resolved elsewhere: a ringing phone stops ringing. */
  signal: AbortSignal;
}

export interface PageCallResult {
  /** The responder picked up. */
  reached: boolean;
  detail: string;
}

/**
 * Places the phone call about a page. The call flow implements it (callflow/pageCall.ts) and
 * the daemon hands it to the phone notifier, keeping notifications below the call flow.
 */
export type PlacePageCall = (request: PageCallRequest) => Promise<PageCallResult>;
