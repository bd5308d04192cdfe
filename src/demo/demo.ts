/**
 * `lcr demo`: the real daemon against the built-in simulated Asterisk, with the operator's
 * configuration (routes.example.yaml by default), and a few scripted calls whose story is told:
 * what each caller heard and did, and what the daemon stored.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import type { Config } from '../config/model';
import { Daemon } from '../daemon';
import { createLogger } from '../log/logger';
import { AsteriskSimulator, type Step } from '../simulator';
import type { CallRow } from '../store/calls';

export interface DemoCall {
  title: string;
  to: string;
  from: string;
  steps: Step[];
}

/** The scripted calls, chosen to exist in any configuration shaped like routes.example.yaml. */
export function demoCalls(config: Config): DemoCall[] {
  const calls: DemoCall[] = [];
  const voicemailRoute = config.routes.find((r) => r.active && r.routing === 'voicemail');
  const menuRoute = config.routes.find((r) => r.active && r.options.length > 1);
  const inactive = config.routes.find((r) => !r.active);
  if (voicemailRoute) {
    calls.push({
      title: `A vendor calls ${voicemailRoute.name} and leaves a message`,
      to: voicemailRoute.numbers[0]!,
      from: '+15559876543',
      steps: [{ waitFor: 'recording' }, { speak: 6000 }, { wait: 400 }, { press: '#' }],
    });
  }
  if (menuRoute) {
    const option = menuRoute.options[1]!;
    calls.push({
      title: `A customer calls ${menuRoute.name} and presses ${option.key} for ${option.label}`,
      to: menuRoute.numbers[0]!,
      from: '+15552223333',
      steps: [
        { waitFor: 'playback', media: 'press' },
        { press: option.key },
        { waitFor: 'recording' },
        { speak: 4000 },
        { hangup: true },
      ],
    });
  }
  if (inactive)
    calls.push({
      title: `Someone dials the retired number of ${inactive.name}`,
      to: inactive.numbers[0]!,
      from: '+15554445555',
      steps: [],
    });
  calls.push({ title: 'A wrong number reaches the trunk', to: '5550000', from: '+15556667777', steps: [] });
  return calls;
}

function soundsNamedIn(config: Config): string[] {
  const prompts = config.routes.flatMap((r) => [
    r.greeting,
    r.inactiveMessage,
    r.menu.prompt,
    r.voicemail.prompt,
    r.voicemail.thanks,
    ...r.options.map((o) => o.prompt),
  ]);
  return prompts.flatMap((p) => (p?.kind === 'sound' ? [p.sound] : []));
}

interface LogLine {
  message: string;
  callId?: string;
  prompt?: string;
  [key: string]: unknown;
}

export async function runDemo(
  baseConfig: Config,
  print: (line: string) => void,
  keep: boolean,
): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lcr-demo-'));
  const config: Config = {
    ...baseConfig,
    settings: {
      ...baseConfig.settings,
      storageDir: dir,
      database: path.join(dir, 'lcr.db'),
      logLevel: 'debug',
    },
  };
  const sim = await AsteriskSimulator.start({
    username: config.asterisk.username,
    password: 'demo',
    timeScale: 0.3,
  });
  // The operator's Asterisk has the sounds their configuration names; so does the simulated one.
  for (const sound of soundsNamedIn(config)) sim.catalog.extraSounds.set(sound, 2500);
  const logs: LogLine[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean))
        logs.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  const daemon = new Daemon({
    config,
    logger: createLogger({ level: 'debug', format: 'json', stream }),
    ariUrl: sim.url,
    ariPassword: 'demo',
  });
  print(
    `Simulated Asterisk 22 at ${sim.url}; the daemon connects to it as application "${config.asterisk.app}".`,
  );
  daemon.start();
  while (sim.connectedWebSockets === 0) await new Promise((resolve) => setTimeout(resolve, 20));
  try {
    for (const demo of demoCalls(config)) {
      print('');
      print(`== ${demo.title}`);
      print(`   ${demo.from} dials ${demo.to}`);
      const call = sim.call({ to: demo.to, from: demo.from, steps: demo.steps });
      await call.ended;
      let row: CallRow | undefined;
      while ((row = daemon.calls.callOfChannel(call.channelId))?.ended_at === null || row === undefined) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      // The caller's side (from the simulator) and what the daemon played (from its log), in time order.
      const story: Array<{ at: number; text: string }> = [];
      for (const entry of call.transcript) {
        if (entry.kind === 'pressed')
          story.push({ at: entry.wallAt, text: `caller presses ${entry.detail}` });
        if (entry.kind === 'spoke')
          story.push({ at: entry.wallAt, text: `caller speaks for ${entry.detail}` });
        if (entry.kind === 'hangup') story.push({ at: entry.wallAt, text: 'caller hangs up' });
        if (entry.kind === 'recorded' && entry.detail === 'recording started')
          story.push({ at: entry.wallAt, text: '(beep: recording)' });
      }
      for (const line of logs.filter((l) => l.callId === row!.id && l.message === 'playing')) {
        story.push({ at: Date.parse(String(line['timestamp'])), text: `caller hears: "${line.prompt}"` });
      }
      story.sort((a, b) => a.at - b.at);
      for (const item of story) print(`   ${item.text}`);
      print(
        `   -> call ${row!.id}: route ${row!.route_id ?? '-'}, option ${row!.option_key ?? '-'}, outcome ${row!.outcome}${row!.outcome_detail ? ` (${row!.outcome_detail})` : ''}`,
      );
      for (const vm of daemon.calls.voicemailsOfCall(row!.id)) {
        print(
          `   -> voicemail ${vm.duration_seconds}s stored at ${vm.file_path ? path.join(dir, 'voicemail', vm.file_path) : `(not copied: ${vm.fetch_error})`}`,
        );
      }
      for (const page of daemon.pages.list(100).filter((p) => p.call_id === row!.id)) {
        const assigned = daemon.pages
          .assignments(page.id)
          .map((a) => config.responders.get(a.responder_id)?.name ?? a.responder_id);
        print(
          `   -> page #${page.id} for ${page.team_id}, assigned to ${assigned.join(', ') || 'nobody'}: ${page.summary}`,
        );
      }
    }
  } finally {
    await daemon.stop();
    await sim.stop();
    print('');
    if (keep) print(`Demo data kept in ${dir} (database ${path.join(dir, 'lcr.db')}).`);
    else fs.rmSync(dir, { recursive: true, force: true });
  }
}
