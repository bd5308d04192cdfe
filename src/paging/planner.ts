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
