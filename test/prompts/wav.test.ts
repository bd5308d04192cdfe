import fc from 'fast-check';
import {
  encodeWav,
  NotAudioError,
  parseWav,
  resample,
  toTelephoneWav,
  type Pcm,
} from '../../src/prompts/wav';

function tone(sampleRate: number, hz: number, seconds: number, amplitude = 8000): Pcm {
  const samples = new Int16Array(Math.round(sampleRate * seconds));
  for (let i = 0; i < samples.length; i++)
    samples[i] = Math.round(amplitude * Math.sin((2 * Math.PI * hz * i) / sampleRate));
  return { sampleRate, samples };
}

/** Energy at one frequency (a single DFT bin), per sample. */
function energyAt(pcm: Pcm, hz: number): number {
  let re = 0;
  let im = 0;
  pcm.samples.forEach((value, i) => {
    re += value * Math.cos((2 * Math.PI * hz * i) / pcm.sampleRate);
    im += value * Math.sin((2 * Math.PI * hz * i) / pcm.sampleRate);
  });
  return Math.hypot(re, im) / pcm.samples.length;
}

function wavHeader(
  format: { tag: number; channels: number; rate: number; bits: number },
  data: Buffer,
  sizes = true,
): Buffer {
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(sizes ? 36 + data.length : 0xffffffff, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(format.tag, 20);
  header.writeUInt16LE(format.channels, 22);
  header.writeUInt32LE(format.rate, 24);
  header.writeUInt32LE((format.rate * format.channels * format.bits) / 8, 28);
  header.writeUInt16LE((format.channels * format.bits) / 8, 32);
  header.writeUInt16LE(format.bits, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(sizes ? data.length : 0xffffffff, 40);
  return Buffer.concat([header, data]);
}

test('speech at 22,050 Hz becomes 8 kHz mono 16-bit: same length, the tone kept, nothing above 4 kHz folded back', () => {
  const input = tone(22050, 440, 1);
  // 6 kHz cannot exist at 8 kHz: without the low-pass it would alias to 2 kHz.
  const high = tone(22050, 6000, 1);
  for (let i = 0; i < input.samples.length; i++) input.samples[i]! += high.samples[i]!;
  const output = parseWav(toTelephoneWav(encodeWav(input), 8000));
  expect(output.sampleRate).toBe(8000);
  expect(output.samples.length).toBe(8000);
  expect(energyAt(output, 440)).toBeGreaterThan(3500);
  expect(energyAt(output, 2000)).toBeLessThan(100);
});

test('16 kHz output for wav16, and the file header says so', () => {
  const wav = toTelephoneWav(encodeWav(tone(48000, 1000, 0.5)), 16000);
  expect(wav.readUInt32LE(24)).toBe(16000);
  expect(wav.readUInt16LE(22)).toBe(1);
  expect(wav.readUInt16LE(34)).toBe(16);
  expect(wav.length).toBe(44 + 8000 * 2);
});

test('stereo, 8-bit, 24-bit and float files are mixed to mono 16-bit; streaming headers with no sizes are read to the end', () => {
  const stereo = Buffer.alloc(8);
  stereo.writeInt16LE(1000, 0);
  stereo.writeInt16LE(3000, 2);
  stereo.writeInt16LE(-1000, 4);
  stereo.writeInt16LE(-3000, 6);
  expect([...parseWav(wavHeader({ tag: 1, channels: 2, rate: 8000, bits: 16 }, stereo)).samples]).toEqual([
    2000, -2000,
  ]);
  expect([
    ...parseWav(wavHeader({ tag: 1, channels: 1, rate: 8000, bits: 8 }, Buffer.from([128, 255, 0]))).samples,
  ]).toEqual([0, 32512, -32768]);
  const floats = Buffer.alloc(8);
  floats.writeFloatLE(0.5, 0);
  floats.writeFloatLE(-1, 4);
  expect([...parseWav(wavHeader({ tag: 3, channels: 1, rate: 8000, bits: 32 }, floats)).samples]).toEqual([
    16384, -32767,
  ]);
  const streamed = wavHeader({ tag: 1, channels: 1, rate: 8000, bits: 16 }, Buffer.alloc(200), false);
  expect(parseWav(streamed).samples.length).toBe(100);
});

test('what is not a WAV file is refused with a reason', () => {
  expect(() => parseWav(Buffer.from('ID3\u0004 this is an mp3'))).toThrow(NotAudioError);
  expect(() => parseWav(Buffer.from('<html>not found</html>'))).toThrow(/not a WAV file/);
  expect(() => parseWav(wavHeader({ tag: 85, channels: 1, rate: 8000, bits: 16 }, Buffer.alloc(10)))).toThrow(
    /unsupported WAV encoding \(format 85/,
  );
  expect(() =>
    toTelephoneWav(wavHeader({ tag: 1, channels: 1, rate: 8000, bits: 16 }, Buffer.alloc(0)), 8000),
  ).toThrow(/empty/);
});

test('property: resampling keeps the duration and never overflows, whatever the input', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(8000, 11025, 16000, 22050, 44100, 48000),
      fc.constantFrom(8000, 16000),
      fc.array(fc.integer({ min: -32768, max: 32767 }), { minLength: 1, maxLength: 400 }),
      (from, to, values) => {
        const out = resample({ sampleRate: from, samples: Int16Array.from(values) }, to);
        expect(out.samples.length).toBe(Math.floor((values.length * to) / from));
        for (const sample of out.samples) expect(Math.abs(sample)).toBeLessThanOrEqual(32768);
      },
    ),
    { numRuns: 200 },
  );
});
