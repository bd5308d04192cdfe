/**
 * `lcr demo`: the real daemon against the built-in simulated Asterisk, with the operator's
 * configuration (routes.example.yaml by default), and a few scripted calls whose story is told:
 * what each caller heard and did, and what the daemon stored.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import type { Config, MenuOption, Route } from '../config/model';
import { Daemon } from '../daemon';
import { createLogger } from '../log/logger';
import { AsteriskSimulator, type PhoneBehaviour, type Step } from '../simulator';
import { resolveOnCall } from '../oncall/escalation';
import type { CallRow } from '../store/calls';
import { narratePage, scriptPagePhones, withDemoEscalation } from './pageStory';
import { outageRoute, tellOutage } from './outageStory';
import { mergeHolidays } from '../util/supportHours';
import { DAY_MS, toLocalMs } from '../util/wallClock';

export interface DemoCall {
  kind: 'voicemail' | 'menu' | 'other';
  title: string;
  to: string;
  from: string;
  steps: Step[];
}

/**
 * The scripted calls, chosen to exist in any configuration shaped like routes.example.yaml.
 * `menuMedia` names the audio of a menu option, so the caller presses its key while hearing it.
 */
export function demoCalls(
  config: Config,
  menuMedia: (route: Route, option: MenuOption) => string,
): DemoCall[] {
  const calls: DemoCall[] = [];
  const voicemailRoute = config.routes.find((r) => r.active && r.routing === 'voicemail');
  const menuRoute = config.routes.find((r) => r.active && r.options.length > 1);
  const inactive = config.routes.find((r) => !r.active);
  if (voicemailRoute) {
    calls.push({
      kind: 'voicemail',
      title: `A vendor calls ${voicemailRoute.name} and leaves a message`,
      to: voicemailRoute.numbers[0]!,
      from: '+15559876543',
      // Then hangs up while the callback offer (where the route makes one) plays.
      steps: [
        { waitFor: 'recording' },
        { speak: 6000 },
        { wait: 400 },
        { press: '#' },
        { wait: 2500 },
        { hangup: true },
      ],
    });
  }
  if (menuRoute) {
    const option = menuRoute.options[0]!;
    calls.push({
      kind: 'menu',
      title: `A customer calls ${menuRoute.name} and presses ${option.key} for ${option.label} (${menuRoute.routing} routing)`,
      to: menuRoute.numbers[0]!,
      from: '+15552223333',
      steps: [
        { waitFor: 'playback', media: menuMedia(menuRoute, option) },
        { press: option.key },
        { waitFor: 'bridged', timeout: 120_000 },
        { wait: 5000 },
        { hangup: true },
      ],
    });
  }
  const withHours = config.routes.find((r) => r.active && r.hours !== undefined);
  if (withHours) {
    calls.push({
      kind: 'other',
      title: `Someone calls ${withHours.name} while it is closed (the demo closes it for today), and leaves a message`,
      to: withHours.numbers[0]!,
      from: '+15553334444',
      steps: [
        ...(withHours.options.length > 1
          ? [{ waitFor: 'playback' as const, media: 'digits' }, { press: withHours.options[0]!.key }]
          : []),
        { waitFor: 'recording' },
        { speak: 4000 },
        { press: '#' },
      ],
    });
  }
  const blocked = config.routes.find((r) => r.active && r.screening.block.length > 0);
  if (blocked) {
    calls.push({
      kind: 'other',
      title: `A robocaller from a blocked number calls ${blocked.name}`,
      to: blocked.numbers[0]!,
      from: `+${blocked.screening.block[0]!.replace(/\*/g, '5550199').replace(/\?/g, '0')}`,
      steps: [],
    });
  }
  if (inactive)
    calls.push({
      kind: 'other',
      title: `Someone dials the retired number of ${inactive.name}`,
      to: inactive.numbers[0]!,
      from: '+15554445555',
      steps: [],
    });
  calls.push({
    kind: 'other',
    title: 'A wrong number reaches the trunk',
    to: '5550000',
    from: '+15556667777',
    steps: [],
  });
  return calls;
}

/**
 * How the demo's responders behave, by escalation level of the first menu option's team right
 * now: level 1 does not answer, level 2 declines (presses 2), level 3 accepts (presses 1).
 */
function scriptPhones(config: Config, sim: AsteriskSimulator): void {
  const route = config.routes.find((r) => r.active && r.options.length > 1) ?? config.routes[0]!;
  const answer = resolveOnCall(config, route.options[0]!.teamId, Date.now());
  answer.levels.forEach((level, index) => {
    for (const entry of level.responders) {
      if (entry.firstPhone === undefined) continue;
      const behaviour: PhoneBehaviour =
        index === 0
          ? { kind: 'no-answer' }
          : index === 1
            ? {
                kind: 'answer',
                ringMs: 2000,
                then: [{ waitFor: 'playback' }, { wait: 1500 }, { press: '2' }],
              }
            : {
                kind: 'answer',
                ringMs: 3000,
                then: [{ waitFor: 'playback' }, { wait: 2000 }, { press: '1' }],
              };
      sim.phone(entry.firstPhone.dialString, behaviour);
    }
  });
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

/**
 * Synthesized prompts are kept between demos (in the user's cache directory; the content hash in
 * each file name makes sharing safe), and are always served to the simulator over HTTP.
 */
function demoPromptCache(): string {
  const base = process.env['XDG_CACHE_HOME'] || path.join(os.homedir(), '.cache');
  return path.join(base, 'lcr', 'prompts');
}

/**
 * `keep`: once the calls are told, the daemon and the simulator stay up with the web console on
 * (an operator signs in with a token made for this run) until `keep` resolves; the demo's data
 * is kept.
 */
export async function runDemo(
  baseConfig: Config,
  print: (line: string) => void,
  keep?: Promise<unknown>,
): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lcr-demo-'));
  const consoleToken = randomBytes(12).toString('base64url');
  const config: Config = {
    ...withDemoClosure(withDemoEscalation(baseConfig), Date.now()),
    settings: {
      ...baseConfig.settings,
      storageDir: dir,
      database: path.join(dir, 'lcr.db'),
      logLevel: 'debug',
      ...(keep === undefined
        ? {}
        : {
            apiToken: { kind: 'plain', value: consoleToken },
            console: { ...baseConfig.settings.console, enabled: true },
          }),
    },
    prompts: { ...baseConfig.prompts, delivery: 'http', cacheDir: demoPromptCache() },
  };
  delete config.prompts.soundPath;
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
    httpListen: '127.0.0.1:0',
  });
  print(
    `Simulated Asterisk 22 at ${sim.url}; the daemon connects to it as application "${config.asterisk.app}".`,
  );
  print(
    `Preparing prompts with ${daemon.promptLibrary?.engineName ?? 'stock sounds'} (cached in ${config.prompts.cacheDir})...`,
  );
  await daemon.start();
  const prepared = logs.find((l) => l.message === 'prompts ready');
  if (prepared)
    print(
      `Prompts ready: ${String(prepared['prompts'])} audio files, ${String(prepared['synthesized'])} synthesized now, in ${String(prepared['ms'])} ms.`,
    );
  while (sim.connectedWebSockets === 0) await new Promise((resolve) => setTimeout(resolve, 20));
  const menuMedia = (route: Route, option: MenuOption): string => {
    const vars = { key: option.key, label: option.label, route: route.name };
    return daemon.prompts.render('menuOption', option.prompt ?? route.menu.prompt, vars, route).media[0]!;
  };
  try {
    for (const demo of demoCalls(config, menuMedia)) {
      print('');
      print(`== ${demo.title}`);
      print(`   ${demo.from} dials ${demo.to}`);
      const voicemailTeam = config.routes.find((r) => r.numbers.includes(demo.to))?.options[0]?.teamId;
      if (demo.kind === 'voicemail' && voicemailTeam !== undefined)
        scriptPagePhones(config, sim, voicemailTeam);
      else scriptPhones(config, sim);
      const call = sim.call({ to: demo.to, from: demo.from, steps: demo.steps });
      await call.ended;
      let row: CallRow | undefined;
      while (
        (row = await daemon.calls.callOfChannel(call.channelId))?.ended_at === null ||
        row === undefined
      ) {
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
        if (entry.kind === 'ringing')
          story.push({ at: entry.wallAt, text: 'caller hears ringback while responders are rung' });
        if (entry.kind === 'moh')
          story.push({ at: entry.wallAt, text: 'caller hears music on hold while responders are rung' });
        if (entry.kind === 'bridged')
          story.push({ at: entry.wallAt, text: `caller is connected (${entry.detail})` });
      }
      for (const line of logs.filter((l) => l.callId === row!.id && l.message === 'playing')) {
        const listener =
          typeof line['responder'] === 'string'
            ? (config.responders.get(line['responder'])?.name ?? line['responder'])
            : 'caller';
        story.push({
          at: Date.parse(String(line['timestamp'])),
          text: `${listener} hears: "${line.prompt}"`,
        });
      }
      story.sort((a, b) => a.at - b.at);
      for (const item of story) print(`   ${item.text}`);
      print(
        `   -> call ${row!.id}: route ${row!.route_id ?? '-'}, option ${row!.option_key ?? '-'}, outcome ${row!.outcome}${row!.outcome_detail ? ` (${row!.outcome_detail})` : ''}${row!.outside_hours === 1 ? ', outside support hours' : ''}${row!.screened === null ? '' : `, screened: ${row!.screened}`}`,
      );
      for (const leg of await daemon.calls.legsOfCall(row!.id)) {
        const who = config.responders.get(leg.responder_id)?.name ?? leg.responder_id;
        print(
          `   -> level ${leg.level + 1}: rang ${who} on ${leg.phone ?? '(no phone)'}: ${leg.result}${leg.reason ? ` (${leg.reason})` : ''}`,
        );
      }
      if (row!.connected_responder_id)
        print(
          `   -> caller connected to ${config.responders.get(row!.connected_responder_id)?.name ?? row!.connected_responder_id}`,
        );
      for (const vm of await daemon.calls.voicemailsOfCall(row!.id)) {
        print(
          `   -> voicemail ${vm.duration_seconds}s stored at ${vm.file_path ? path.join(dir, 'voicemail', vm.file_path) : `(not copied: ${vm.fetch_error})`}`,
        );
      }
      for (const page of (await daemon.pages.list(100)).filter((p) => p.call_id === row!.id)) {
        const assigned = (await daemon.pages.assignments(page.id)).map(
          (a) => config.responders.get(a.responder_id)?.name ?? a.responder_id,
        );
        print(
          `   -> page #${page.id} for ${page.team_id} (${page.urgency} urgency${page.urgency === 'low' && page.next_escalation_at !== null ? `: no phone call, escalates ${new Date(page.next_escalation_at).toISOString()} once open` : ''}), assigned to ${assigned.join(', ') || 'nobody'}: ${page.summary}`,
        );
        if (demo.kind === 'voicemail') {
          print(`   The page, from the moment it was created:`);
          await narratePage(daemon, config, page.id, logs, print);
        }
      }
    }
    const outage = outageRoute(config);
    if (outage !== undefined) await tellOutage(daemon, config, sim, outage, print);
    const misses = daemon.promptLibrary?.misses ?? 0;
    print('');
    print(
      misses === 0
        ? 'Every prompt played was made ahead of time: no caller waited for speech synthesis.'
        : `${misses} prompts were played before their audio was ready (stock sounds instead): see the log.`,
    );
    if (keep !== undefined) {
      print('');
      print(`Web console: ${daemon.httpUrl}/console/ (leave the responder id empty; token ${consoleToken})`);
      print('The daemon and the simulated Asterisk keep running; press Ctrl-C to stop them.');
      await keep;
    }
  } finally {
    await daemon.stop();
    await sim.stop();
    print('');
    if (keep !== undefined) print(`Demo data kept in ${dir} (database ${path.join(dir, 'lcr.db')}).`);
    else fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The first route with support hours is closed for the day of the demo (a holiday named so), so
 * that its outside-hours call shows whatever the time the demo runs; the operator's file is not
 * touched.
 */
function withDemoClosure(config: Config, now: number): Config {
  const index = config.routes.findIndex((r) => r.active && r.hours !== undefined);
  if (index < 0) return config;
  const route = config.routes[index]!;
  const hours = route.hours!;
  const today = Math.floor(toLocalMs(hours.timezone, now) / DAY_MS);
  const closed = { firstDay: today - 1, lastDay: today + 1, name: 'the lcr demo' };
  const routes = [...config.routes];
  routes[index] = { ...route, hours: { ...hours, holidays: mergeHolidays([...hours.holidays, closed]) } };
  return { ...config, routes };
}
