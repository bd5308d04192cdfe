/** The JSON shapes Asterisk 22 puts on the wire, and the small formats around them. */
import type { AnyEvent, Bridge, CallerID, Channel, LiveRecording, Playback } from '../ari/model/types.gen';

/** Asterisk's event timestamp format: 2026-11-22T06:27:39.359+0000 */
export function asteriskTimestamp(ms: number = Date.now()): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

// The simulator writes ARI's JSON with the same generated types the daemon reads it with.
export type CallerIdJson = CallerID;
export type ChannelJson = Channel;
export type BridgeJson = Bridge;
export type PlaybackJson = Playback;
export type LiveRecordingJson = LiveRecording;

/** An event's own fields: what publish() is given (it adds type, timestamp, application, asterisk_id). */
export type EventFields<T extends AnyEvent['type']> = Omit<
  Extract<AnyEvent, { type: T }>,
  'type' | 'timestamp' | 'application' | 'asterisk_id'
>;

/** Events that are about one channel, in their `channel` field. */
export type ChannelEventType = {
  [K in AnyEvent['type']]: 'channel' extends keyof Extract<AnyEvent, { type: K }> ? K : never;
}[AnyEvent['type']];

/** Parses an originate callerId such as `"Hotline" <+15550105>` or `+15550105`. */
export function parseCallerId(text: string | undefined): CallerIdJson {
  if (text === undefined || text === '') return { name: '', number: '' };
  const match = /^\s*"?([^"<]*?)"?\s*<([^>]*)>\s*$/.exec(text);
  if (match) return { name: match[1]!.trim(), number: match[2]!.trim() };
  return { name: '', number: text.trim() };
}

/** Hangup causes as Asterisk names them in ChannelDestroyed.cause_txt. */
export const CAUSE_TEXT: Record<number, string> = {
  0: 'Unknown',
  1: 'Unallocated (unassigned) number',
  16: 'Normal Clearing',
  17: 'User busy',
  18: 'No user responding',
  19: 'User alerting, no answer',
  21: 'Call Rejected',
  27: 'Destination out of order',
  31: 'Normal, unspecified',
  34: 'Circuit/channel congestion',
  38: 'Network out of order',
};

/** `DELETE /channels/{id}?reason=` names and the causes they set. */
export const HANGUP_REASONS: Record<string, number> = {
  normal: 16,
  busy: 17,
  congestion: 34,
  no_answer: 19,
  timeout: 19,
  rejected: 21,
  unallocated: 1,
  normal_unspecified: 31,
  number_incomplete: 28,
  codec_mismatch: 58,
  interworking: 127,
  failure: 38,
  answered_elsewhere: 26,
};

/**
 * 8 kHz, 16-bit mono PCM WAV: what Asterisk writes for format "wav". Speech is a quiet 440 Hz
 * tone and silence is zeros, so a test can tell them apart in the file.
 */
export function wavFile(segments: ReadonlyArray<{ speech: boolean; ms: number }>, sampleRate = 8000): Buffer {
  const samples = segments.reduce((sum, s) => sum + Math.round((s.ms / 1000) * sampleRate), 0);
  const buffer = Buffer.alloc(44 + samples * 2);
  buffer.write('RIFF', 0, 'ascii');
  buffer.writeUInt32LE(36 + samples * 2, 4);
  buffer.write('WAVE', 8, 'ascii');
  buffer.write('fmt ', 12, 'ascii');
  buffer.writeUInt32LE(16, 16);
  buffer.writeUInt16LE(1, 20);
  buffer.writeUInt16LE(1, 22);
  buffer.writeUInt32LE(sampleRate, 24);
  buffer.writeUInt32LE(sampleRate * 2, 28);
  buffer.writeUInt16LE(2, 32);
  buffer.writeUInt16LE(16, 34);
  buffer.write('data', 36, 'ascii');
  buffer.writeUInt32LE(samples * 2, 40);
  let offset = 44;
  let index = 0;
  for (const segment of segments) {
    const count = Math.round((segment.ms / 1000) * sampleRate);
    for (let i = 0; i < count; i++, index++, offset += 2) {
      buffer.writeInt16LE(
        segment.speech ? Math.round(3000 * Math.sin((2 * Math.PI * 440 * index) / sampleRate)) : 0,
        offset,
      );
    }
  }
  return buffer;
}

/** Duration in milliseconds of a PCM WAV file, or undefined when it is not one. */
export function wavDurationMs(data: Buffer): number | undefined {
  if (data.length < 44 || data.toString('ascii', 0, 4) !== 'RIFF' || data.toString('ascii', 8, 12) !== 'WAVE')
    return undefined;
  let offset = 12;
  let byteRate = 0;
  while (offset + 8 <= data.length) {
    const id = data.toString('ascii', offset, offset + 4);
    const size = data.readUInt32LE(offset + 4);
    if (id === 'fmt ') byteRate = data.readUInt32LE(offset + 16);
    if (id === 'data')
      return byteRate > 0
        ? Math.round((Math.min(size, data.length - offset - 8) / byteRate) * 1000)
        : undefined;
    offset += 8 + size + (size % 2);
  }
  return undefined;
}
