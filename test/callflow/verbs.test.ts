/**
 * The verbs' one lifecycle: each is stopped through an AbortSignal, asks Asterisk to stop what it
 * started, and settles only once Asterisk has done so (the next request on the channel follows
 * it, as a real Asterisk runs a channel's requests one at a time). Driven against a scripted port.
 */
import type { AriPort } from '../../src/ari/types';
import type { FlowContext } from '../../src/callflow/context';
import { holdAudio } from '../../src/callflow/direct/hold';
import { CallSession, type SessionEvent } from '../../src/callflow/session';
import { dial } from '../../src/callflow/verbs/dial';
import { gatherDigit } from '../../src/callflow/verbs/gather';
import { play } from '../../src/callflow/verbs/play';
import type { Route } from '../../src/config/model';
import { silentLogger } from '../../src/log/logger';
import { configFromText, EXAMPLE_YAML } from '../helpers/config';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A port that logs each request as it starts and ends; `hold` keeps one request open until released. */
function scriptedPort(session: () => CallSession) {
  const log: string[] = [];
  const held = new Map<string, () => void>();
  const request =
    (name: string, after?: (...args: never[]) => void) =>
    async (...args: never[]): Promise<never> => {
      log.push(`${name}…`);
      if (holding.has(name)) await new Promise<void>((resolve) => held.set(name, resolve));
      log.push(`${name} done`);
      after?.(...args);
      return undefined as never;
    };
  const holding = new Set<string>();
  const deliver = (event: unknown): void => session().deliver(event as SessionEvent);
  const port = {
    play: request('play'),
    stopPlayback: request('stopPlayback', (id: string) =>
      setImmediate(() => deliver({ type: 'PlaybackFinished', playback: { id, state: 'done' } })),
    ),
    getPlayback: request('getPlayback'),
    startRinging: request('startRinging'),
    stopRinging: request('stopRinging'),
    originate: request('originate'),
    hangup: request('hangup', () =>
      setImmediate(() =>
        deliver({ type: 'ChannelDestroyed', cause: 16, channel: { id: session().channelId } }),
      ),
    ),
  };
  return {
    port: port as unknown as AriPort,
    log,
    hold: (name: string) => holding.add(name),
    release: (name: string) => {
      holding.delete(name);
      held.get(name)?.();
    },
  };
}

function sessionWith(): { session: CallSession; ari: ReturnType<typeof scriptedPort> } {
  // The port delivers its events to the session built on it.
  const holder: { session?: CallSession } = {};
  const ari = scriptedPort(() => holder.session!);
  holder.session = new CallSession('caller-1', ari.port, silentLogger);
  return { session: holder.session, ari };
}

const prompt = { media: ['sound:hello'], text: 'hello' };

test('a prompt stopped while its play request is on its way is stopped at once, behind the play (the port keeps a channel in order), and play settles stopped', async () => {
  const { session, ari } = sessionWith();
  ari.hold('play');
  const stop = new AbortController();
  let result: string | undefined;
  const playing = play(session, prompt, { signal: stop.signal }).then((r) => (result = r));
  await tick();
  stop.abort();
  // Issued inside the abort, so that a request the stopper issues next (a bridge join) follows it.
  expect(ari.log.slice(0, 2)).toEqual(['play…', 'stopPlayback…']);
  ari.release('play');
  await playing;
  expect(result).toBe('stopped');
  // Once only, though play's own wait also ends on the stop.
  expect(ari.log.filter((line) => line === 'stopPlayback…')).toHaveLength(1);
});

test('a gather stopped through its signal returns no key, after the prompt is stopped', async () => {
  const { session, ari } = sessionWith();
  const stop = new AbortController();
  const gathering = gatherDigit(session, prompt, 60_000, { signal: stop.signal });
  await tick();
  stop.abort();
  expect(await gathering).toBeUndefined();
  expect(ari.log.at(-1)).toBe('stopPlayback done');
});

test('hold audio runs until its signal aborts, and settles once the ringback stop is issued, not answered', async () => {
  const { session, ari } = sessionWith();
  const config = configFromText(EXAMPLE_YAML, 'routes.example.yaml');
  const route = config.routes.find((r) => r.routing === 'direct')!;
  const quiet: Route = {
    ...route,
    direct: { ...route.direct, hold: { kind: 'ringback' }, stillTryingEverySeconds: 0 },
  };
  const ctx = { logger: silentLogger } as unknown as FlowContext;
  const stop = new AbortController();
  ari.hold('stopRinging');
  let settled = false;
  const holding = holdAudio(ctx, session, quiet, stop.signal).then(() => (settled = true));
  await tick();
  expect(ari.log).toEqual(['startRinging…', 'startRinging done']);
  stop.abort();
  await tick();
  // The port keeps the channel's requests in order: the bridge join may follow the stop at once.
  expect(settled).toBe(true);
  expect(ari.log.slice(2)).toEqual(['stopRinging…']);
  ari.release('stopRinging');
  await holding;
  await tick();
  expect(ari.log.slice(2)).toEqual(['stopRinging…', 'stopRinging done']);
});

test('a dial aborted while the phone rings hangs it up, and its result comes after the hangup', async () => {
  const { session, ari } = sessionWith();
  const stop = new AbortController();
  const dialing = dial(
    session,
    { endpoint: 'PJSIP/alice', app: 'lcr', appArgs: 'lcr-leg', callerId: 'x', timeout: 30 },
    { signal: stop.signal },
  );
  await tick();
  stop.abort();
  expect(await dialing.result).toEqual({ kind: 'unanswered', cause: 16 });
  expect(ari.log).toEqual(['originate…', 'originate done', 'hangup…', 'hangup done']);
});
