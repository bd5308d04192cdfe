/**
 * The demo's page story: the voicemail's page escalates from level 1 (nobody answers) to level 2,
 * whose first responder hears the message and presses 1. Escalation delays are shortened so the
 * story takes seconds, not the configured minutes; the demo says so.
 */
import type { Config, Policy } from '../config/model';
import type { Daemon } from '../daemon';
import { resolveOnCall } from '../oncall/escalation';
import type { AsteriskSimulator } from '../simulator';

export const DEMO_ESCALATE_AFTER_SECONDS = 5;

export function withDemoEscalation(config: Config): Config {
  const policies = new Map<string, Policy>(
    [...config.policies].map(([id, policy]) => [
      id,
      {
        ...policy,
        levels: policy.levels.map((level) => ({
          ...level,
          escalateAfterSeconds: DEMO_ESCALATE_AFTER_SECONDS,
        })),
      },
    ]),
  );
  return { ...config, policies };
}

/** Level 1 does not answer; the first responder of level 2 answers, listens, and presses 1. */
export function scriptPagePhones(config: Config, sim: AsteriskSimulator, teamId: string): void {
  resolveOnCall(config, teamId, Date.now()).levels.forEach((level, index) =>
    level.responders.forEach((entry, position) => {
      for (const phone of entry.responder.phones) {
        sim.phone(
          phone.dialString,
          index === 1 && position === 0
            ? {
                kind: 'answer',
                ringMs: 2000,
                then: [{ waitFor: 'playback', media: '/media/voicemail/' }, { wait: 9000 }, { press: '1' }],
              }
            : { kind: 'no-answer' },
        );
      }
    }),
  );
}

interface LogLine {
  message: string;
  [key: string]: unknown;
}

export async function narratePage(
  daemon: Daemon,
  config: Config,
  pageId: number,
  logs: LogLine[],
  print: (line: string) => void,
): Promise<void> {
  const deadline = Date.now() + 60_000;
  while ((await daemon.pages.get(pageId))?.status === 'triggered' && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 100));
  // Let the last notifications record how they ended.
  for (
    let i = 0;
    i < 50 && (await daemon.notifications.ofPage(pageId)).some((n) => n.status === 'sending');
    i++
  )
    await new Promise((resolve) => setTimeout(resolve, 100));
  const name = (id: string): string => config.responders.get(id)?.name ?? id;
  const page = (await daemon.pages.get(pageId))!;
  const start = page.created_at;
  const story: Array<{ at: number; text: string }> = [];
  for (const event of await daemon.pages.events(pageId)) {
    const detail = event.detail === null ? {} : (JSON.parse(event.detail) as Record<string, unknown>);
    const who = Array.isArray(detail['responders'])
      ? (detail['responders'] as string[]).map(name).join(', ')
      : '';
    const text =
      event.type === 'assigned'
        ? `page assigned to level 1: ${who || 'nobody on call'}`
        : event.type === 'escalated'
          ? `nobody acknowledged within ${DEMO_ESCALATE_AFTER_SECONDS} s (escalate_after, shortened for the demo): escalated to level ${Number(detail['level']) + 1}: ${who}`
          : event.type === 'acknowledged'
            ? `page acknowledged by ${name(event.actor)} (${event.via})`
            : `page ${event.type}`;
    story.push({ at: event.at, text });
  }
  for (const notification of await daemon.notifications.ofPage(pageId)) {
    for (const attempt of await daemon.notifications.attempts(notification.id)) {
      const target = notification.responder_id ? name(notification.responder_id) : notification.webhook_id;
      story.push({
        at: attempt.ended_at,
        text: `${notification.channel} notification to ${target}: ${attempt.detail}`,
      });
    }
  }
  for (const line of logs.filter((l) => l['pageId'] === pageId && l.message === 'playing')) {
    story.push({
      at: Date.parse(String(line['timestamp'])),
      text: `${name(String(line['responder']))} hears: "${String(line['prompt'])}"`,
    });
  }
  story.sort((a, b) => a.at - b.at);
  for (const item of story) print(`   +${((item.at - start) / 1000).toFixed(1).padStart(5)} s  ${item.text}`);
}
