/**
 * Webhook notifications: a JSON POST of every page event, signed with HMAC-SHA256 over the exact
 * body (`X-Lcr-Signature: sha256=<hex>`), so the receiver can check it came from us. Network
 * errors, timeouts, 408, 429 and 5xx are retried by the dispatcher (from the database, so the
 * retries survive a restart); other statuses mean the request itself is wrong and are not.
 */
import { createHmac } from 'node:crypto';
import type { Config, WebhookSettings } from '../config/model';
import { pageFacts } from './message';
import type { AckLinks, Delivery, Notifier, SendResult } from './types';
import { genericPayload, slackPayload, teamsPayload } from './webhookFormats';

export interface WebhookDependencies {
  config: () => Config;
  /** The webhook's secret, read from the environment or a file. */
  secretOf: (webhook: WebhookSettings) => string | undefined;
  links: () => AckLinks;
}

export function signatureOf(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * One POST to a webhook, bounded by its timeout as a whole; redirects are refused (a receiver
 * that moved must be reconfigured, not followed with a signed body).
 */
export async function postToWebhook(
  webhook: WebhookSettings,
  headers: Record<string, string>,
  body: string,
): Promise<Response> {
  const response = await fetch(webhook.url, {
    method: 'POST',
    headers,
    body,
    signal: AbortSignal.timeout(webhook.timeoutSeconds * 1000),
    redirect: 'error',
  });
  await response.arrayBuffer().catch(() => undefined);
  return response;
}

export class WebhookNotifier implements Notifier {
  constructor(private readonly deps: WebhookDependencies) {}

  async send(delivery: Delivery): Promise<SendResult> {
    const config = this.deps.config();
    const webhook = config.notifications.webhooks.find((w) => w.id === delivery.notification.webhook_id);
    if (webhook === undefined)
      return {
        ok: false,
        retry: false,
        detail: `webhook "${delivery.notification.webhook_id}" is no longer configured`,
      };
    const { page, event } = delivery;
    const ackUrl = this.deps.links().ack(page.id, undefined, Date.now());
    const facts = pageFacts(config, page, event, config.settings.timezone, ackUrl);
    const payload =
      webhook.format === 'slack'
        ? slackPayload(facts)
        : webhook.format === 'teams'
          ? teamsPayload(facts)
          : genericPayload(facts, page, event, delivery.notification.id);
    const body = JSON.stringify(payload);
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      'User-Agent': 'lcr-webhook/1',
      'X-Lcr-Event': event?.type ?? 'triggered',
      'X-Lcr-Delivery': String(delivery.notification.id),
    };
    const secret = this.deps.secretOf(webhook);
    if (secret !== undefined) headers['X-Lcr-Signature'] = signatureOf(secret, body);
    try {
      const response = await postToWebhook(webhook, headers, body);
      if (response.ok) return { ok: true, detail: `${webhook.id}: HTTP ${response.status}` };
      const retry = response.status >= 500 || response.status === 408 || response.status === 429;
      return { ok: false, retry, detail: `${webhook.id}: HTTP ${response.status}` };
    } catch (error) {
      const name = (error as Error).name;
      const reason =
        name === 'TimeoutError'
          ? `no answer within ${webhook.timeoutSeconds}s`
          : ((error as { cause?: Error }).cause?.message ?? (error as Error).message);
      return { ok: false, retry: true, detail: `${webhook.id}: ${reason}` };
    }
  }
}
