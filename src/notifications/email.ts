/**
 * Email notifications over SMTP with nodemailer: subject and body with the page's facts, an
 * acknowledge link, and the voicemail attached. A refused or unreachable server is retried by
 * the dispatcher; a permanent refusal (5xx, such as an unknown mailbox) is not.
 */
import { createTransport } from 'nodemailer';
import type { Config, EmailSettings } from '../config/model';
import { escapeHtml } from '../util/html';
import { pageFacts, plainText } from './message';
import type { AckLinks, Delivery, Notifier, SendResult } from './types';

export interface EmailDependencies {
  config: () => Config;
  settings: EmailSettings;
  password: string | undefined;
  links: () => AckLinks;
  /** The voicemail's file on the daemon's disk, when it has one. */
  voicemailFile: (voicemailId: string) => Promise<string | undefined>;
}

/** The SMTP connection as configured (also used by `lcr doctor` to verify the server). */
export function smtpTransport(settings: EmailSettings, password: string | undefined, timeoutMs: number) {
  return createTransport({
    host: settings.host,
    port: settings.port,
    secure: settings.tls === 'implicit',
    requireTLS: settings.tls === 'starttls',
    ignoreTLS: settings.tls === 'none',
    ...(settings.username === undefined ? {} : { auth: { user: settings.username, pass: password ?? '' } }),
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  });
}

const DEADLINE_GRACE_MS = 1000;

/**
 * nodemailer's timeouts bound each phase (connect, greeting, a silent socket), but a server that
 * trickles a byte now and then could hold a slot of the email lane for ever: the whole send gets
 * the same bound (plus a grace), after which the attempt fails (to be retried) and the slot is free.
 */
async function withDeadline<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    // A second of grace, so that nodemailer's own, more precise error ("Greeting never received")
    // wins when one phase is what timed out.
    timer = setTimeout(
      () => reject(new Error(`the SMTP server took longer than ${timeoutMs / 1000}s to take the message`)),
      timeoutMs + DEADLINE_GRACE_MS,
    );
  });
  // The abandoned send still settles later (nodemailer's socket timeout closes it): ignore that.
  work.catch(() => undefined);
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

function eventVoicemail(detail: string | null): string | null {
  const id = detail === null ? undefined : (JSON.parse(detail) as { voicemail_id?: unknown }).voicemail_id;
  return typeof id === 'string' ? id : null;
}

export class EmailNotifier implements Notifier {
  private readonly transport;

  constructor(private readonly deps: EmailDependencies) {
    this.transport = smtpTransport(deps.settings, deps.password, deps.settings.timeoutSeconds * 1000);
  }

  async send(delivery: Delivery): Promise<SendResult> {
    const config = this.deps.config();
    const responder = config.responders.get(delivery.notification.responder_id ?? '');
    if (responder?.email === undefined)
      return { ok: false, retry: false, detail: 'the responder has no email address (any more)' };
    const { page } = delivery;
    const ackUrl = this.deps.links().ack(page.id, responder.id, Date.now());
    const facts = pageFacts(config, page, delivery.event, responder.timezone, ackUrl);
    // An update carries the message that caused it; a page's own email carries its first.
    const isUpdate = delivery.event?.type === 'updated';
    const voicemailId = isUpdate ? eventVoicemail(delivery.event!.detail) : page.voicemail_id;
    const file = voicemailId === null ? undefined : await this.deps.voicemailFile(voicemailId);
    const html = `<p>${escapeHtml(facts.summary)}</p><table>${[
      ['Team', facts.team],
      ['Route', facts.route],
      ['Caller', facts.caller],
      ['Time', facts.createdAt],
      ['Status', `${facts.status} (level ${facts.level})`],
      ...(facts.callers > 1 ? [['Callers', String(facts.callers)]] : []),
      ...(isUpdate ? [['Update', facts.headline]] : []),
    ]
      .map(([k, v]) => `<tr><th align="left">${k}</th><td>${escapeHtml(v!)}</td></tr>`)
      .join('')}</table>${
      facts.ackUrl === undefined
        ? ''
        : `<p><a href="${escapeHtml(facts.ackUrl)}">Acknowledge page #${page.id}</a></p>`
    }`;
    try {
      const sending = this.transport.sendMail({
        from: this.deps.settings.from,
        to: responder.email,
        subject: isUpdate
          ? `[lcr] Update on page #${page.id} for ${facts.team}: ${facts.headline}`
          : `[lcr] Page #${page.id} for ${facts.team}: ${facts.summary}`,
        text: plainText(facts),
        html,
        ...(file === undefined
          ? {}
          : {
              attachments: [
                {
                  filename: `voicemail-page-${page.id}${isUpdate ? `-${delivery.event!.id}` : ''}.wav`,
                  path: file,
                  contentType: 'audio/wav',
                },
              ],
            }),
      });
      const info = await withDeadline(sending, this.deps.settings.timeoutSeconds * 1000);
      return { ok: true, detail: `sent to ${responder.email}: ${info.response}` };
    } catch (error) {
      const code = (error as { responseCode?: number }).responseCode;
      return {
        ok: false,
        retry: code === undefined || code < 500,
        detail: `to ${responder.email}: ${(error as Error).message}`,
      };
    }
  }

  close(): void {
    this.transport.close();
  }
}
