/**
 * Webhook bodies: a generic JSON document of the page event, and the shapes Slack and Microsoft
 * Teams incoming webhooks accept. Pure.
 */
import type { PageEventRow, PageRow } from '../store/pages';
import type { PageFacts } from './message';

export function genericPayload(
  facts: PageFacts,
  page: PageRow,
  event: PageEventRow | undefined,
  deliveryId: number,
): Record<string, unknown> {
  return {
    event: event?.type === 'assigned' ? 'triggered' : (event?.type ?? 'triggered'),
    delivery_id: deliveryId,
    occurred_at: new Date(event?.at ?? page.created_at).toISOString(),
    headline: facts.headline,
    page: {
      id: page.id,
      status: page.status,
      summary: page.summary,
      team_id: page.team_id,
      team: facts.team,
      route_id: page.route_id,
      route: facts.route,
      caller_number: page.caller_number,
      call_id: page.call_id,
      voicemail_id: page.voicemail_id,
      callers: page.caller_count,
      escalation_level: page.escalation_level + 1,
      created_at: new Date(page.created_at).toISOString(),
      acknowledged_by: page.acknowledged_by,
      resolved_by: page.resolved_by,
      ...(facts.ackUrl === undefined ? {} : { ack_url: facts.ackUrl }),
    },
    ...(event === undefined
      ? {}
      : {
          timeline_event: {
            id: event.id,
            type: event.type,
            actor: event.actor,
            via: event.via,
            at: new Date(event.at).toISOString(),
            detail: event.detail === null ? null : (JSON.parse(event.detail) as unknown),
          },
        }),
  };
}

function factList(facts: PageFacts): Array<[string, string]> {
  return [
    ['Team', facts.team],
    ['Route', facts.route],
    ['Caller', facts.caller],
    ['Time', facts.createdAt],
    ['Status', `${facts.status} (level ${facts.level})`],
  ];
}

export function slackPayload(facts: PageFacts): Record<string, unknown> {
  const title = `Page #${facts.pageId} ${facts.headline}: ${facts.summary}`;
  return {
    text: title,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${title}*` } },
      {
        type: 'section',
        fields: factList(facts).map(([k, v]) => ({ type: 'mrkdwn', text: `*${k}*\n${v}` })),
      },
      ...(facts.ackUrl === undefined
        ? []
        : [
            {
              type: 'actions',
              elements: [
                {
                  type: 'button',
                  text: { type: 'plain_text', text: 'Acknowledge' },
                  url: facts.ackUrl,
                  style: 'danger',
                },
              ],
            },
          ]),
    ],
  };
}

export function teamsPayload(facts: PageFacts): Record<string, unknown> {
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body: [
            {
              type: 'TextBlock',
              text: `Page #${facts.pageId} ${facts.headline}`,
              weight: 'Bolder',
              size: 'Medium',
              wrap: true,
            },
            { type: 'TextBlock', text: facts.summary, wrap: true },
            { type: 'FactSet', facts: factList(facts).map(([title, value]) => ({ title, value })) },
          ],
          ...(facts.ackUrl === undefined
            ? {}
            : { actions: [{ type: 'Action.OpenUrl', title: 'Acknowledge', url: facts.ackUrl }] }),
        },
      },
    ],
  };
}
