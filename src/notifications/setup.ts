/**
 * The notification channels a daemon runs with, built once at start: the SMTP transport is part
 * of the start-up configuration (config/startup.ts), while each send reads the live
 * configuration, so a reload's responders and webhooks apply to the next message.
 */
import type { Config, EmailSettings, Secret, WebhookSettings } from '../config/model';
import type { NotificationChannelName } from '../domain/enums';
import { EmailNotifier } from './email';
import { PhoneNotifier } from './phone';
import type { AckLinks, Notifier, PlacePageCall } from './types';
import { WebhookNotifier } from './webhook';

export interface NotifierSetup {
  config: () => Config;
  /** The start-up SMTP settings; undefined: no email channel. */
  email: EmailSettings | undefined;
  /** Resolves a secret now, failing the start when it is missing. */
  secret: (value: Secret, setting: string) => string | undefined;
  links: () => AckLinks;
  voicemailFile: (voicemailId: string) => Promise<string | undefined>;
  placePageCall: PlacePageCall;
}

export interface Notifiers {
  byChannel: Partial<Record<NotificationChannelName, Notifier>>;
  /** Kept apart to close its SMTP connections on stop. */
  email: EmailNotifier | undefined;
}

/** A webhook's secret, named in errors by its YAML key. */
export function webhookSecretOf(
  secret: NotifierSetup['secret'],
): (webhook: WebhookSettings) => string | undefined {
  return (webhook) => secret(webhook.secret, `notifications.webhooks[${webhook.id}].secret`);
}

export function createNotifiers(setup: NotifierSetup): Notifiers {
  const emailSettings = setup.email;
  const email =
    emailSettings === undefined
      ? undefined
      : new EmailNotifier({
          config: setup.config,
          settings: emailSettings,
          password: setup.secret(emailSettings.password, 'notifications.email.password'),
          links: setup.links,
          voicemailFile: setup.voicemailFile,
        });
  // Checked now so that a missing secret stops the start; read again at each send, so a webhook
  // added by a reload is signed too.
  const webhookSecret = webhookSecretOf(setup.secret);
  setup.config().notifications.webhooks.forEach(webhookSecret);
  return {
    email,
    byChannel: {
      phone: new PhoneNotifier(setup.config, setup.placePageCall),
      webhook: new WebhookNotifier({ config: setup.config, secretOf: webhookSecret, links: setup.links }),
      ...(email === undefined ? {} : { email }),
    },
  };
}
