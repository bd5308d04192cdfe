/**
 * WAV in, WAV out: every prompt ends up as mono 16-bit PCM at 8 kHz (Asterisk's `wav`) or 16 kHz
 * (`wav16`), the formats Asterisk plays without transcoding. Engines and operators hand us
 * whatever rate and width they produce; the conversion is pure so it can be tested sample by sample.
 */

export interface Pcm {
  sampleRate: number;
  /** Mono samples in [-32768, 32767]. */
  samples: Int16Array;
}

export class NotAudioError extends Error {}

/**
 * Reads a RIFF/WAVE file: PCM 8/16/24/32-bit or 32-bit float, any channel count (mixed down to
 * mono), including WAVE_FORMAT_EXTENSIBLE. Streaming writers (eSpeak, Piper on a pipe) leave the
 * size fields at 0 or 0xFFFFFFFF, so the data chunk runs to the end of the file when they lie.
 */
export function parseWav(data: Buffer): Pcm {
  if (data.length < 12 || data.toString('ascii', 0, 4) !== 'RIFF' || data.toString('ascii', 8, 12) !== 'WAVE')
    throw new NotAudioError('not a WAV file (no RIFF/WAVE header)');
  let offset = 12;
  let format: { tag: number; channels: number; rate: number; bits: number } | undefined;
  while (offset + 8 <= data.length) {
    const id = data.toString('ascii', offset, offset + 4);
    const size = data.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ') {
      if (body + 16 > data.length) break;
      let tag = data.readUInt16LE(body);
      if (tag === 0xfffe && size >= 26 && body + 26 <= data.length) tag = data.readUInt16LE(body + 24);
      format = {
        tag,
        channels: data.readUInt16LE(body + 2),
        rate: data.readUInt32LE(body + 4),
        bits: data.readUInt16LE(body + 14),
      };
    } else if (id === 'data') {
      if (format === undefined) throw new NotAudioError('WAV file has no format chunk before its data');
      const end = size === 0 || body + size > data.length ? data.length : body + size;
      return decode(data.subarray(body, end), format);
    }
    offset = body + size + (size % 2);
  }
  throw new NotAudioError('WAV file has no audio data');
}

function decode(bytes: Buffer, format: { tag: number; channels: number; rate: number; bits: number }): Pcm {
  const { tag, channels, rate, bits } = format;
  const pcm = tag === 1 && [8, 16, 24, 32].includes(bits);
  const float = tag === 3 && bits === 32;
  if ((!pcm && !float) || channels < 1 || channels > 16 || rate < 1000 || rate > 384_000)
    throw new NotAudioError(
      `unsupported WAV encoding (format ${tag}, ${bits}-bit, ${channels} channels, ${rate} Hz): use PCM`,
    );
  const width = bits / 8;
  const frames = Math.floor(bytes.length / (width * channels));
  const samples = new Int16Array(frames);
  for (let frame = 0; frame < frames; frame++) {
    let sum = 0;
    for (let channel = 0; channel < channels; channel++) {
      const at = (frame * channels + channel) * width;
      sum += float ? bytes.readFloatLE(at) * 32767 : readInteger(bytes, at, bits);
    }
    samples[frame] = clamp(Math.round(sum / channels));
  }
  return { sampleRate: rate, samples };
}

/** An integer sample scaled to 16 bits. */
function readInteger(bytes: Buffer, at: number, bits: number): number {
  switch (bits) {
    case 8:
      return (bytes[at]! - 128) << 8;
    case 16:
      return bytes.readInt16LE(at);
    case 24:
      return bytes.readIntLE(at, 3) >> 8;
    default:
      return bytes.readInt32LE(at) >> 16;
  }
}

function clamp(value: number): number {
  return value > 32767 ? 32767 : value < -32768 ? -32768 : value;
}

const HALF_WIDTH = 16;
const TABLE_STEPS = 64;

/**
 * Band-limited resampling (a Hann-windowed sinc, cut off below the lower Nyquist frequency), so
 * that 22 kHz speech taken down to 8 kHz does not alias into a hiss on the phone line. The kernel
 * is tabulated (and interpolated) once per conversion rather than computed for every tap.
 */
export function resample(input: Pcm, sampleRate: number): Pcm {
  if (input.sampleRate === sampleRate) return { sampleRate, samples: input.samples.slice() };
  const ratio = sampleRate / input.sampleRate;
  const cutoff = Math.min(1, ratio) * 0.95;
  const reach = Math.ceil(HALF_WIDTH / cutoff);
  const table = new Float64Array((reach + 1) * TABLE_STEPS + 2);
  for (let i = 0; i < table.length; i++) {
    const distance = i / TABLE_STEPS;
    const x = Math.PI * distance * cutoff;
    const window = distance > reach + 1 ? 0 : 0.5 + 0.5 * Math.cos((Math.PI * distance) / (reach + 1));
    table[i] = (x === 0 ? 1 : Math.sin(x) / x) * window;
  }
  const length = Math.floor(input.samples.length * ratio);
  const output = new Int16Array(length);
  const source = input.samples;
  for (let n = 0; n < length; n++) {
    const center = n / ratio;
    const first = Math.max(0, Math.ceil(center - reach));
    const last = Math.min(source.length - 1, Math.floor(center + reach));
    let sum = 0;
    let weights = 0;
    for (let k = first; k <= last; k++) {
      // Plain arithmetic rather than Math.abs/Math.floor: this loop runs ~100 times per sample.
      const offset = (k - center) * TABLE_STEPS;
      const position = offset < 0 ? -offset : offset;
      const index = position | 0;
      const fraction = position - index;
      const weight = table[index]! + (table[index + 1]! - table[index]!) * fraction;
      sum += source[k]! * weight;
      weights += weight;
    }
    output[n] = clamp(Math.round(weights === 0 ? 0 : sum / weights));
  }
  return { sampleRate, samples: output };
}

export function encodeWav(pcm: Pcm): Buffer {
  const bytes = pcm.samples.length * 2;
  const buffer = Buffer.alloc(44 + bytes);
  buffer.write('RIFF', 0, 'ascii');
  buffer.writeUInt32LE(36 + bytes, 4);
  buffer.write('WAVE', 8, 'ascii');
  buffer.write('fmt ', 12, 'ascii');
  buffer.writeUInt32LE(16, 16);
  buffer.writeUInt16LE(1, 20);
  buffer.writeUInt16LE(1, 22);
  buffer.writeUInt32LE(pcm.sampleRate, 24);
  buffer.writeUInt32LE(pcm.sampleRate * 2, 28);
  buffer.writeUInt16LE(2, 32);
  buffer.writeUInt16LE(16, 34);
  buffer.write('data', 36, 'ascii');
  buffer.writeUInt32LE(bytes, 40);
  for (let i = 0; i < pcm.samples.length; i++) buffer.writeInt16LE(pcm.samples[i]!, 44 + i * 2);
  return buffer;
}

/** Any WAV the engines or the operator give us, as the mono 16-bit file Asterisk plays natively. */
export function toTelephoneWav(data: Buffer, sampleRate: 8000 | 16000): Buffer {
  const pcm = parseWav(data);
  if (pcm.samples.length === 0) throw new NotAudioError('the audio is empty');
  return encodeWav(resample(pcm, sampleRate));
}

export function durationMs(pcm: Pcm): number {
  return Math.round((pcm.samples.length / pcm.sampleRate) * 1000);
}
