/**
 * Tells the operators, once per incident, that the database takes no writes (a full disk, a
 * broken file): the call log is being lost while callers are still served. The alert cannot go
 * through the notification outbox, which lives in that database, so it is posted straight to
 * every configured webhook (the generic format signed like page events; Slack and Teams as
 * text). The next failure after the store took writes again is a new incident.
 */
import * as os from 'node:os';
import type { Config, WebhookSettings } from '../config/model';
import type { Logger } from '../log/logger';
import { postToWebhook, signatureOf } from './webhook';

export interface StoreIncidentDependencies {
  config: () => Config;
  secretOf: (webhook: WebhookSettings) => string | undefined;
  logger: Logger;
}

export class StoreIncidentAlert {
  private inIncident = false;

  constructor(private readonly deps: StoreIncidentDependencies) {}

  /** A write was lost: the first one of an incident alerts the operators. */
  failed(error: Error): void {
    if (this.inIncident) return;
    this.inIncident = true;
    void this.alert(error.message);
  }

  /** The store took a write again: the incident is over. */
  recovered(): void {
    if (!this.inIncident) return;
    this.inIncident = false;
    this.deps.logger.info('the database takes writes again');
  }

  private async alert(error: string): Promise<void> {
    const config = this.deps.config();
    const text = `lcr on ${os.hostname()}: the database takes no writes (${error}). Callers are still served, but calls, messages and pages are not all recorded until it does.`;
    this.deps.logger.error('the database takes no writes; alerting the operators', {
      error,
      webhooks: config.notifications.webhooks.map((w) => w.id),
    });
    await Promise.all(
      config.notifications.webhooks.map(async (webhook) => {
        const body = JSON.stringify(
          webhook.format === 'generic'
            ? { event: 'store_failing', at: new Date().toISOString(), host: os.hostname(), error, text }
            : { text },
        );
        const headers: Record<string, string> = {
          'Content-Type': 'application/json',
          'User-Agent': 'lcr-webhook/1',
          'X-Lcr-Event': 'store_failing',
        };
        const secret = this.deps.secretOf(webhook);
        if (secret !== undefined) headers['X-Lcr-Signature'] = signatureOf(secret, body);
        try {
          const response = await postToWebhook(webhook, headers, body);
          if (!response.ok) throw new Error(`HTTP ${response.status}`);
        } catch (failure) {
          this.deps.logger.error('could not tell a webhook that the database takes no writes', {
            webhook: webhook.id,
            error: (failure as Error).message,
          });
        }
      }),
    );
  }
}
