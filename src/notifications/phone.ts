/** Phone notifications: the page call flow (callflow/pageCall.ts) behind the Notifier interface. */
import type { Config } from '../config/model';
import type { Delivery, Notifier, PlacePageCall, SendResult } from './types';

export class PhoneNotifier implements Notifier {
  constructor(
    private readonly config: () => Config,
    private readonly placeCall: PlacePageCall,
  ) {}

  async send(delivery: Delivery): Promise<SendResult> {
    const responder = this.config().responders.get(delivery.notification.responder_id ?? '');
    if (responder === undefined || responder.phones.length === 0)
      return { ok: false, retry: false, detail: 'the responder has no phone (any more)' };
    const result = await this.placeCall({
      notificationId: delivery.notification.id,
      page: delivery.page,
      responder,
      signal: delivery.signal,
    });
    // Nobody picking up is not retried: the escalation policy is what happens next.
    return result.reached
      ? { ok: true, detail: result.detail }
      : { ok: false, retry: false, detail: result.detail };
  }
}
