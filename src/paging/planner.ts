/**
 * Which notifications a page event calls for. Pure over the configuration: the service writes
 * what this returns into the outbox in the same transaction as the event.
 */
import type { Config, PageEventType, Responder, Urgency } from '../config/model';
import type { NewNotification } from '../store/notifications';

type Planned = Omit<NewNotification, 'pageId' | 'eventId'>;

/**
 * Each newly reached responder, on each of their channels, in their order and with their delays.
 * A low-urgency page does not ring phones: email only (and the webhooks, planned apart).
 */
export function responderNotifications(
  config: Config,
  responders: readonly Responder[],
  level: number,
  at: number,
  urgency: Urgency = 'high',
): Planned[] {
  return responders.flatMap((responder) =>
    responder.notify
      .filter((rule) =>
        rule.channel === 'phone' ? urgency === 'high' : config.notifications.email !== undefined,
      )
      .map((rule) => ({
        channel: rule.channel,
        responderId: responder.id,
        level,
        dueAt: at + rule.afterSeconds * 1000,
      })),
  );
}

/**
 * An update about a page someone already works on or is being woken for (another caller joined
 * it): by email, at once, to each of `responderIds` who takes email. Phones do not ring again:
 * the page's own escalation still does that.
 */
export function updateNotifications(config: Config, responderIds: readonly string[], at: number): Planned[] {
  if (config.notifications.email === undefined) return [];
  return responderIds.flatMap((id) => {
    const responder = config.responders.get(id);
    return responder?.notify.some((rule) => rule.channel === 'email') === true
      ? [{ channel: 'email' as const, responderId: id, dueAt: at }]
      : [];
  });
}

/** An update notification already in the outbox for a page, by where it goes. */
export interface EarlierUpdate {
  channel: string;
  responder_id: string | null;
  webhook_id: string | null;
  due_at: number;
  status: string;
}

/**
 * A storm must not become a storm of emails: an update goes to a target only when none is still
 * waiting to go there (that one will tell the latest count when it goes), and at most once per
 * `everyMs`: one due sooner waits for its turn.
 */
export function coalesceUpdates(
  planned: readonly Planned[],
  earlier: readonly EarlierUpdate[],
  everyMs: number,
): Planned[] {
  const targetOf = (channel: string, responder?: string | null, webhook?: string | null): string =>
    `${channel} ${responder ?? ''} ${webhook ?? ''}`;
  const latest = new Map<string, EarlierUpdate>();
  for (const row of earlier) {
    const key = targetOf(row.channel, row.responder_id, row.webhook_id);
    const seen = latest.get(key);
    if (seen === undefined || row.due_at >= seen.due_at) latest.set(key, row);
  }
  return planned.flatMap((plan) => {
    const last = latest.get(targetOf(plan.channel, plan.responderId, plan.webhookId));
    if (last === undefined) return [plan];
    if (last.status === 'pending') return [];
    return [{ ...plan, dueAt: Math.max(plan.dueAt, last.due_at + everyMs) }];
  });
}

/** Every webhook that wants this kind of event for this team. */
export function webhookNotifications(
  config: Config,
  teamId: string,
  event: PageEventType,
  at: number,
): Planned[] {
  return config.notifications.webhooks
    .filter((w) => (w.teams === undefined || w.teams.includes(teamId)) && w.events.includes(event))
    .map((w) => ({ channel: 'webhook' as const, webhookId: w.id, dueAt: at }));
}
