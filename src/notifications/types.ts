/** What every notification channel (phone, email, webhook) implements for the dispatcher. */
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
