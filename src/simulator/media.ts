/**
 * Playbacks and recordings on a simulated channel. Both run on the channel's control queue, so a
 * second prompt waits for the first, and a bridge join waits behind a prompt still playing.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RestError, type SimAsterisk } from './engine';
import { wavDurationMs, wavFile, type LiveRecordingJson, type PlaybackJson } from './json';
import type { SimChannel, SimPlayback, SimRecording } from './model';

/** Durations (ms) of the stock Asterisk sounds the daemon and the recorded traces use. */
export const STOCK_SOUNDS: Record<string, number> = {
  beep: 420,
  'vm-intro': 4400,
  'hello-world': 1200,
  'vm-goodbye': 900,
  'auth-thankyou': 800,
  'ss-noservice': 3200,
  'pls-try-call-later': 1900,
  'option-is-invalid': 1300,
  'please-hold': 900,
  'pls-hold-while-try': 2300,
  'vm-nobodyavail': 2400,
  'vm-msgsaved': 1400,
  press: 500,
  for: 400,
  'to-accept-press': 1100,
  'to-reject-press': 1100,
  'queue-callswaiting': 1600,
  'conf-hasleft': 1100,
  'silence/1': 1000,
  welcome: 700,
  'tt-monkeys': 6000,
  'vm-youhave': 700,
  'vm-message': 500,
  'vm-from-phonenumber': 1200,
  'vm-repeat': 1500,
  'agent-pass': 2600,
  'auth-incorrect': 1200,
  'tt-somethingwrong': 1700,
  'vm-enter-num-to-call': 2100,
  'vm-rec-temp': 3900,
};
for (let digit = 0; digit <= 9; digit++) STOCK_SOUNDS[`digits/${digit}`] = 450;

/** Below this length a `sound:http...` URL fails to play (Asterisk issue #444). */
export const SHORTEST_PLAYABLE_URL = 30;

export interface MediaCatalog {
  /** Duration in ms of a media URI, or undefined when Asterisk could not play it. */
  durationOf(mediaUri: string, language: string): Promise<number | undefined>;
}

/** Knows the stock sounds, recordings Asterisk stores, generated say-media, and fetches `sound:http...`. */
export class DefaultCatalog implements MediaCatalog {
  readonly extraSounds = new Map<string, number>();
  /**
   * Asterisk's sounds directory (astdatadir/sounds): `sound:lcr/x` plays `<dir>/lcr/x.wav` (or
   * `.wav16`) when the file is there. Absolute `sound:/path/x` names are read as they are.
   */
  soundsDirectory: string | undefined;
  /** HTTP fetches Asterisk made for `sound:http://...` media, as res_http_media_cache would. */
  readonly httpFetches: Array<{ url: string; status: number; contentType: string | null }> = [];
  private readonly httpCache = new Map<string, { durationMs: number; freshUntil: number; etag?: string }>();

  constructor(private readonly engine: SimAsterisk) {}

  async durationOf(mediaUri: string): Promise<number | undefined> {
    const colon = mediaUri.indexOf(':');
    if (colon < 0) return undefined;
    const scheme = mediaUri.slice(0, colon);
    const rest = mediaUri.slice(colon + 1);
    switch (scheme) {
      case 'sound':
        if (/^https?:\/\//.test(rest)) return this.fetchHttp(rest);
        return this.extraSounds.get(rest) ?? STOCK_SOUNDS[rest] ?? this.soundFile(rest);
      case 'recording': {
        const stored = this.engine.storedRecordings.get(rest);
        return stored === undefined ? undefined : (wavDurationMs(stored.data) ?? 1000);
      }
      case 'digits':
      case 'characters':
        return rest.length * 450;
      case 'number':
        return Math.max(1, rest.length) * 500;
      case 'tone':
        return 3_600_000;
      default:
        return undefined;
    }
  }

  private soundFile(name: string): number | undefined {
    const base = name.startsWith('/') ? name : this.soundsDirectory && join(this.soundsDirectory, name);
    if (base === undefined || name.split('/').includes('..')) return undefined;
    for (const extension of ['wav', 'wav16']) {
      try {
        return wavDurationMs(readFileSync(`${base}.${extension}`));
      } catch {
        // Not in this format: Asterisk tries the next one.
      }
    }
    return undefined;
  }

  /**
   * res_http_media_cache: a response with Cache-Control max-age (or Expires) is reused until it
   * expires; one with an ETag is revalidated with If-None-Match; anything else is fetched again
   * on every playback, as the recorded Asterisk did.
   */
  private async fetchHttp(url: string): Promise<number | undefined> {
    // Asterisk issue #444: the cached copy's local path (/var/spool/asterisk/tmp/... plus the
    // extension) must fit in a buffer the size of the URL, so short URLs fail to play.
    if (url.length < SHORTEST_PLAYABLE_URL) {
      this.httpFetches.push({ url, status: 0, contentType: null });
      return undefined;
    }
    const cached = this.httpCache.get(url);
    if (cached !== undefined && cached.freshUntil > Date.now()) return cached.durationMs;
    try {
      const headers: Record<string, string> = { 'User-Agent': 'asterisk-libcurl-agent/1.0' };
      if (cached?.etag !== undefined) headers['If-None-Match'] = cached.etag;
      const response = await fetch(url, { headers });
      const body = Buffer.from(await response.arrayBuffer());
      this.httpFetches.push({
        url,
        status: response.status,
        contentType: response.headers.get('content-type'),
      });
      if (response.status === 304 && cached !== undefined) return cached.durationMs;
      if (!response.ok) return undefined;
      const durationMs = wavDurationMs(body);
      if (durationMs === undefined) return undefined;
      const maxAge = /max-age=(\d+)/.exec(response.headers.get('cache-control') ?? '');
      const expires = Date.parse(response.headers.get('expires') ?? '');
      const freshUntil = maxAge ? Date.now() + Number(maxAge[1]) * 1000 : Number.isNaN(expires) ? 0 : expires;
      const etag = response.headers.get('etag') ?? undefined;
      if (freshUntil > 0 || etag !== undefined)
        this.httpCache.set(url, { durationMs, freshUntil, ...(etag ? { etag } : {}) });
      return durationMs;
    } catch {
      this.httpFetches.push({ url, status: 0, contentType: null });
      return undefined;
    }
  }
}

export function playbackJson(playback: SimPlayback): PlaybackJson {
  const json: PlaybackJson = {
    id: playback.id,
    media_uri: playback.media[playback.index] ?? playback.media[playback.media.length - 1]!,
    target_uri: `channel:${playback.channelId}`,
    language: playback.language,
    state: playback.state,
  };
  const next = playback.media[playback.index + 1];
  if (next !== undefined) json.next_media_uri = next;
  return json;
}

export function play(
  engine: SimAsterisk,
  catalog: MediaCatalog,
  channel: SimChannel,
  media: string[],
  playbackId?: string,
): PlaybackJson {
  const id = playbackId ?? randomUUID();
  if (engine.playbacks.has(id))
    throw new RestError(409, { message: 'Playback with the given id already exists' });
  const playback: SimPlayback = {
    id,
    channelId: channel.id,
    media,
    index: 0,
    language: channel.language,
    state: 'queued',
  };
  engine.playbacks.set(id, playback);
  engine.enqueue(channel, {
    run: (done) => {
      if (playback.state !== 'queued') return done();
      playback.state = 'playing';
      channel.playback = playback;
      const app = channel.app;
      const publish = (type: 'PlaybackStarted' | 'PlaybackContinuing' | 'PlaybackFinished'): void =>
        engine.publish(app, type, { playback: playbackJson(playback) });
      publish('PlaybackStarted');
      engine.wake(channel);
      let timer: NodeJS.Timeout | undefined;
      playback.finish = (state) => {
        if (playback.state !== 'playing') return;
        if (timer) clearTimeout(timer);
        playback.state = state;
        channel.playback = undefined;
        engine.playbacks.delete(id);
        publish('PlaybackFinished');
        done();
      };
      const playItem = (): void => {
        const uri = playback.media[playback.index]!;
        if (!/^[a-z]+:/.test(uri)) {
          // Asterisk 22 starts a playback of media without a scheme and never reports its end
          // (errors.jsonl): the channel moves on, the playback is silently abandoned.
          engine.note(channel, 'heard-failed', uri);
          playback.state = 'done';
          channel.playback = undefined;
          engine.playbacks.delete(id);
          done();
          return;
        }
        void catalog.durationOf(uri, playback.language).then((duration) => {
          if (playback.state !== 'playing') return;
          if (duration === undefined) {
            engine.note(channel, 'heard-failed', uri);
            return playback.finish?.('failed');
          }
          engine.note(channel, 'played', uri);
          playback.audible = true;
          engine.wake(channel);
          timer = engine.after(channel, duration, () => {
            if (playback.index + 1 < playback.media.length) {
              playback.index += 1;
              playback.audible = false;
              publish('PlaybackContinuing');
              engine.wake(channel);
              playItem();
            } else {
              playback.finish?.('done');
            }
          });
        });
      };
      playItem();
    },
    cancel: () => engine.playbacks.delete(id),
  });
  return playbackJson(playback);
}

/** `DELETE /playbacks/{id}`: a playing prompt finishes as "done"; a queued one never starts. */
export function stopPlayback(engine: SimAsterisk, id: string): void {
  const playback = engine.playbacks.get(id);
  if (playback === undefined) throw new RestError(404, { message: 'Playback not found' });
  if (playback.state === 'playing') playback.finish?.('done');
  else {
    playback.state = 'done';
    engine.playbacks.delete(id);
  }
}

const RECORD_FORMATS = new Set(['wav', 'wav16', 'gsm', 'ulaw', 'alaw', 'sln', 'g722', 'g729', 'ogg']);

export interface RecordOptions {
  name?: string;
  format?: string;
  maxDurationSeconds?: number;
  maxSilenceSeconds?: number;
  ifExists?: string;
  beep?: boolean;
  terminateOn?: string;
}

export function recordingJson(recording: SimRecording, final = false): LiveRecordingJson {
  const json: LiveRecordingJson = {
    name: recording.name,
    format: recording.format,
    state: recording.state,
    target_uri: `channel:${recording.channelId}`,
  };
  if (final) {
    const talking = recording.segments.filter((s) => s.speech).reduce((sum, s) => sum + s.ms, 0);
    const total = recording.segments.reduce((sum, s) => sum + s.ms, 0);
    json.duration = Math.floor(total / 1000);
    json.talking_duration = Math.floor(talking / 1000);
    json.silence_duration = Math.floor((total - talking) / 1000);
  }
  return json;
}

/** Simulated failure injection: the next recordings on the named channels fail on Asterisk's side. */
export const failingRecordings = new WeakSet<SimChannel>();

export function record(engine: SimAsterisk, channel: SimChannel, options: RecordOptions): LiveRecordingJson {
  if (options.name === undefined || options.name === '')
    throw new RestError(500, { message: 'Error parsing request' });
  const format = options.format ?? '';
  if (!RECORD_FORMATS.has(format))
    throw new RestError(422, { message: 'specified format is unknown on this system' });
  const name = options.name;
  if (
    engine.liveRecordings.has(name) ||
    (engine.storedRecordings.has(name) && (options.ifExists ?? 'fail') === 'fail')
  ) {
    throw new RestError(409, { message: `Recording '${name}' already exists and can not be overwritten` });
  }
  const recording: SimRecording = {
    name,
    format,
    channelId: channel.id,
    state: 'queued',
    startedAt: 0,
    maxDurationMs: (options.maxDurationSeconds ?? 0) * 1000,
    maxSilenceMs: (options.maxSilenceSeconds ?? 0) * 1000,
    terminateOn: options.terminateOn ?? 'none',
    segments: [],
    segmentStart: 0,
  };
  engine.liveRecordings.set(name, recording);
  engine.enqueue(channel, {
    run: (done) => startRecording(engine, channel, recording, done),
    cancel: () => engine.liveRecordings.delete(name),
  });
  return recordingJson(recording);
}

function startRecording(
  engine: SimAsterisk,
  channel: SimChannel,
  recording: SimRecording,
  done: () => void,
): void {
  const app = channel.app;
  recording.state = 'recording';
  recording.startedAt = engine.elapsed(channel);
  recording.segmentStart = recording.startedAt;
  channel.recording = recording;
  engine.publish(app, 'RecordingStarted', { recording: recordingJson(recording) });
  engine.note(channel, 'recorded', 'recording started');
  engine.wake(channel);
  if (failingRecordings.has(channel)) {
    failingRecordings.delete(channel);
    engine.after(channel, 300, () => {
      recording.state = 'failed';
      channel.recording = undefined;
      engine.liveRecordings.delete(recording.name);
      engine.publish(app, 'RecordingFailed', {
        recording: { ...recordingJson(recording), cause: 'Recording failed' },
      });
      done();
    });
    return;
  }
  let silenceTimer: NodeJS.Timeout | undefined;
  const maxTimer =
    recording.maxDurationMs > 0
      ? engine.after(channel, recording.maxDurationMs, () => recording.finish?.('done', false))
      : undefined;
  const armSilence = (): void => {
    if (silenceTimer) clearTimeout(silenceTimer);
    if (recording.maxSilenceMs > 0 && !channel.speaking) {
      silenceTimer = engine.after(channel, recording.maxSilenceMs, () => recording.finish?.('done', true));
    }
  };
  armSilence();
  const onSpeech = (): void => {
    // The segment that just ended had the opposite of the caller's new state.
    closeSegment(engine, channel, recording, !channel.speaking);
    armSilence();
  };
  engine.on(`speech:${channel.id}`, onSpeech);
  recording.finish = (state, trimTrailingSilence) => {
    if (recording.state !== 'recording') return;
    if (silenceTimer) clearTimeout(silenceTimer);
    if (maxTimer) clearTimeout(maxTimer);
    engine.off(`speech:${channel.id}`, onSpeech);
    closeSegment(engine, channel, recording, channel.speaking);
    if (trimTrailingSilence) {
      // Asterisk trims the silence that ended the recording from what it keeps.
      while (recording.segments.length > 0 && !recording.segments[recording.segments.length - 1]!.speech)
        recording.segments.pop();
    }
    recording.state = state;
    channel.recording = undefined;
    engine.liveRecordings.delete(recording.name);
    engine.storedRecordings.set(recording.name, {
      name: recording.name,
      format: recording.format,
      data: wavFile(recording.segments),
    });
    engine.publish(app, 'RecordingFinished', { recording: recordingJson(recording, true) });
    engine.note(channel, 'recorded', `${recordingJson(recording, true).duration ?? 0}s kept`);
    done();
  };
}

/** Closes the current speech or silence segment at the present moment. */
function closeSegment(
  engine: SimAsterisk,
  channel: SimChannel,
  recording: SimRecording,
  speech: boolean,
): void {
  const now = engine.elapsed(channel);
  if (now > recording.segmentStart) recording.segments.push({ speech, ms: now - recording.segmentStart });
  recording.segmentStart = now;
}

/** Marks the caller talking or silent; recordings split their segments here. */
export function setSpeaking(engine: SimAsterisk, channel: SimChannel, speaking: boolean): void {
  if (channel.speaking === speaking) return;
  channel.speaking = speaking;
  engine.emit(`speech:${channel.id}`);
}
