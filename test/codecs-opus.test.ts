import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import opus from '@discordjs/opus';
import { afterAll, describe, expect, it } from 'vitest';
import { concatSamples } from '../src/audio/concat-samples.js';
import { OPUS_DECODER_WASM_BASE64, OPUS_DECODER_WASM_SHA256 } from '../src/codecs/opus-wasm/opus-decoder-wasm.js';
import { OPUS_SAMPLE_RATES, OpusStreamDecoder, OpusStreamEncoder } from '../src/codecs/opus.js';
import { WavegateError } from '../src/errors/wavegate-error.js';
import { readWav } from '../src/wav/wav-file.js';
import { oggOpusFile, oggPackets, opusPreSkip } from './codecs-ogg-reader.js';

const FIXTURES = new URL('./fixtures/speech/', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'wg-opus-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function rms(a: Int16Array): number {
  let e = 0;
  for (const v of a) e += v * v;
  return Math.sqrt(e / Math.max(1, a.length));
}
function snrDb(ref: Int16Array, test: Int16Array): number {
  let e = 0;
  let d = 0;
  for (let i = 0; i < Math.min(ref.length, test.length); i++) {
    e += ref[i]! * ref[i]!;
    d += (ref[i]! - test[i]!) ** 2;
  }
  return d === 0 ? Infinity : 10 * Math.log10(e / d);
}
function maxStep(a: Int16Array): number {
  let m = 0;
  for (let i = 1; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - a[i - 1]!));
  return m;
}
function ffmpeg(args: string[]): void {
  const run = spawnSync('ffmpeg', ['-v', 'error', '-y', ...args]);
  expect(run.error, 'ffmpeg must be installed').toBeUndefined();
  expect(run.status, run.stderr?.toString()).toBe(0);
}
function readS16(path: string): Int16Array {
  const b = readFileSync(path);
  return new Int16Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}
/** A voiced-speech-like test signal: harmonics of a gliding 120–180 Hz pitch, below 0.4·rate. */
function voiced(sampleRate: number, seconds: number): Int16Array {
  const out = new Int16Array(Math.round(sampleRate * seconds));
  let phase = 0;
  for (let i = 0; i < out.length; i++) {
    const f0 = 150 + 30 * Math.sin((2 * Math.PI * i) / sampleRate);
    phase += (2 * Math.PI * f0) / sampleRate;
    let v = 0;
    for (let h = 1; h * 180 < 0.4 * sampleRate && h <= 20; h++) v += Math.sin(h * phase) / h;
    out[i] = Math.round(6000 * v);
  }
  return out;
}
function encodeAll(enc: OpusStreamEncoder, pcm: Int16Array): Uint8Array[] {
  const packets: Uint8Array[] = [];
  for (let i = 0; i + enc.frameSamples <= pcm.length; i += enc.frameSamples) packets.push(enc.encode(pcm.subarray(i, i + enc.frameSamples)));
  return packets;
}

describe('Opus against an independent implementation (ffmpeg)', () => {
  it('decodes packets made by ffmpeg/libopus to the same samples as ffmpeg’s libopus decoder', () => {
    const ogg = join(dir, 'ff.opus');
    ffmpeg(['-i', join(FIXTURES, 's01-slt.wav'), '-c:a', 'libopus', '-b:a', '24k', '-frame_duration', '20', '-application', 'voip', ogg]);
    ffmpeg(['-c:a', 'libopus', '-i', ogg, '-f', 's16le', '-ar', '48000', '-ac', '1', join(dir, 'ff.raw')]);
    const packets = oggPackets(readFileSync(ogg));
    const preSkip = opusPreSkip(packets[0]!);
    const dec = new OpusStreamDecoder(48000);
    const ours = concatSamples(packets.slice(2).map((p) => dec.decode(p))).subarray(preSkip);
    const ref = readS16(join(dir, 'ff.raw'));
    expect(ref.length).toBeGreaterThan(48000);
    expect(ours.length).toBeGreaterThanOrEqual(ref.length);
    const snr = snrDb(ref, ours);
    console.log(`ffmpeg libopus decode vs ours: SNR ${snr} dB over ${ref.length} samples`);
    expect(snr).toBeGreaterThan(60); // bit-exact when both use libopus 1.3.1, as on Debian 12
  });

  it('our encoder’s stream is read by ffmpeg’s own (non-libopus) Opus decoder', async () => {
    // SILK speech at 16 kHz: ffmpeg's native decoder resamples SILK to 48 kHz its own way, so compare
    // loosely; CELT at 48 kHz has no resampling in either decoder, so compare tightly.
    const { samples } = await readWav(join(FIXTURES, 's02-rms.wav'));
    const cases = [
      { rate: 16000, pcm: samples, options: { bitrate: 24000 }, minSnr: 10 },
      { rate: 48000, pcm: voiced(48000, 2), options: { bitrate: 96000, application: 'audio' as const }, minSnr: 30 },
    ];
    for (const { rate, pcm, options, minSnr } of cases) {
      const ogg = join(dir, `ours-${rate}.opus`);
      const packets = encodeAll(new OpusStreamEncoder(rate, 1, options), pcm);
      const preSkip = 312; // libopus lookahead: 6.5 ms at 48 kHz for voip/audio
      writeFileSync(ogg, oggOpusFile(packets, 960, rate, preSkip));
      ffmpeg(['-c:a', 'opus', '-i', ogg, '-f', 's16le', '-ar', '48000', '-ac', '1', join(dir, `ours-${rate}.raw`)]);
      const theirs = readS16(join(dir, `ours-${rate}.raw`));
      const dec = new OpusStreamDecoder(48000);
      const ours = concatSamples(packets.map((p) => dec.decode(p))).subarray(preSkip);
      const snr = snrDb(ours, theirs);
      console.log(`our ${rate} Hz packets: ffmpeg native decoder vs libopus decoder, SNR ${snr.toFixed(1)} dB`);
      expect(theirs.length).toBeGreaterThan(0.9 * ours.length);
      expect(snr).toBeGreaterThan(minSnr);
    }
  });
});

describe('Opus decoder build (libopus 1.3.1 as WebAssembly)', () => {
  it('is the committed module, and decodes bit-exactly like the native decoder of @discordjs/opus', async () => {
    const wasm = Buffer.from(OPUS_DECODER_WASM_BASE64, 'base64');
    expect(createHash('sha256').update(wasm).digest('hex')).toBe(OPUS_DECODER_WASM_SHA256);
    expect(WebAssembly.Module.imports(new WebAssembly.Module(wasm))).toEqual([]);
    let compared = 0;
    for (const [name, rate, options] of [
      ['s04-slt.wav', 16000, { bitrate: 20000, fec: true }],
      ['s06-rms.wav', 16000, { bitrate: 64000, application: 'audio' as const }],
    ] as const) {
      const { samples } = await readWav(join(FIXTURES, name));
      const packets = encodeAll(new OpusStreamEncoder(rate, 1, options), samples);
      for (const outRate of [rate, 48000, 8000]) {
        const native = new opus.OpusEncoder(outRate, 1);
        const ours = new OpusStreamDecoder(outRate);
        for (const p of packets) {
          const a = native.decode(Buffer.from(p));
          const b = ours.decode(p);
          expect(Buffer.from(b.buffer, b.byteOffset, b.byteLength).equals(a), `${name} at ${outRate} Hz`).toBe(true);
          compared += b.length;
        }
      }
    }
    expect(compared).toBeGreaterThan(400000);
  });
});

describe('Opus in-band FEC', () => {
  it('rebuilds a lost speech packet from the FEC data in the next one, far closer than PLC', async () => {
    const rows: string[] = [];
    let fecSum = 0;
    let plcSum = 0;
    let count = 0;
    for (const name of ['s03-rms.wav', 's07-slt.wav', 's10-rms.wav']) {
      const { samples } = await readWav(join(FIXTURES, name));
      const packets = encodeAll(new OpusStreamEncoder(16000, 1, { bitrate: 24000, fec: true, packetLossPercent: 20 }), samples);
      const reference = new OpusStreamDecoder(16000);
      const clean = packets.map((p) => reference.decode(p));
      const loud = clean.map((f, i) => [rms(f), i] as const).filter(([r, i]) => r > 1500 && i > 5 && i < clean.length - 5);
      for (const [, drop] of loud.filter((_, k) => k % Math.max(1, Math.floor(loud.length / 4)) === 0).slice(0, 4)) {
        const withFec = new OpusStreamDecoder(16000);
        const withPlc = new OpusStreamDecoder(16000);
        let fecFrame: Int16Array = new Int16Array(0);
        let plcFrame: Int16Array = new Int16Array(0);
        packets.forEach((p, i) => {
          if (i === drop) {
            fecFrame = withFec.conceal(320, packets[i + 1]);
            plcFrame = withPlc.conceal(320);
          } else {
            withFec.decode(p);
            withPlc.decode(p);
          }
        });
        const fecSnr = snrDb(clean[drop]!, fecFrame);
        const plcSnr = snrDb(clean[drop]!, plcFrame);
        rows.push(`${name} packet ${drop}: FEC ${fecSnr.toFixed(1)} dB, PLC ${plcSnr.toFixed(1)} dB`);
        expect(fecFrame.length).toBe(320);
        expect(fecSnr, `${name} packet ${drop}`).toBeGreaterThan(8);
        fecSum += fecSnr;
        plcSum += plcSnr;
        count++;
      }
    }
    console.log(`FEC vs PLC on a lost packet (SNR against the packet decoded normally):\n${rows.join('\n')}`);
    expect(count).toBeGreaterThanOrEqual(9);
    expect(fecSum / count - plcSum / count).toBeGreaterThan(6);
  });

  it.each(OPUS_SAMPLE_RATES.map((r) => [r]))('%i Hz: FEC decode gives the lost frame length and beats PLC on speech', (rate) => {
    // The speech fixture at this rate, resampled by ffmpeg.
    const raw = join(dir, `speech-${rate}.raw`);
    ffmpeg(['-i', join(FIXTURES, 's09-slt.wav'), '-ar', String(rate), '-f', 's16le', '-ac', '1', raw]);
    const speech = readS16(raw);
    const frame = rate / 50;
    const packets = encodeAll(new OpusStreamEncoder(rate, 1, { bitrate: 24000, fec: true, packetLossPercent: 25 }), speech);
    const reference = new OpusStreamDecoder(rate);
    const clean = packets.map((p) => reference.decode(p));
    const loud = clean.map((f, i) => [rms(f), i] as const).filter(([r, i]) => r > 1500 && i > 5 && i < clean.length - 5);
    const drops = loud.filter((_, k) => k % Math.max(1, Math.floor(loud.length / 6)) === 0).slice(0, 6).map(([, i]) => i);
    expect(drops.length).toBe(6);
    let fecSum = 0;
    let plcSum = 0;
    for (const drop of drops) {
      const a = new OpusStreamDecoder(rate);
      const b = new OpusStreamDecoder(rate);
      for (let i = 0; i < drop; i++) {
        a.decode(packets[i]!);
        b.decode(packets[i]!);
      }
      const fec = a.conceal(frame, packets[drop + 1]);
      const plc = b.conceal(frame);
      expect(fec.length).toBe(frame);
      fecSum += snrDb(clean[drop]!, fec);
      plcSum += snrDb(clean[drop]!, plc);
    }
    console.log(`${rate} Hz: mean SNR of a lost packet, FEC ${(fecSum / 6).toFixed(1)} dB, PLC ${(plcSum / 6).toFixed(1)} dB`);
    expect(fecSum / 6, `FEC at ${rate} Hz`).toBeGreaterThan(plcSum / 6 + 3);
  });

  it('without FEC in the stream, conceal(n, next) is exactly PLC', () => {
    const packets = encodeAll(new OpusStreamEncoder(16000, 1, { fec: false }), voiced(16000, 0.5));
    const a = new OpusStreamDecoder(16000);
    const b = new OpusStreamDecoder(16000);
    for (let i = 0; i < 10; i++) {
      a.decode(packets[i]!);
      b.decode(packets[i]!);
    }
    expect([...a.conceal(320, packets[11])]).toEqual([...b.conceal(320)]);
    // A corrupt "next packet" falls back to PLC instead of failing.
    expect(a.conceal(320, Uint8Array.of(0x03, 0x00)).length).toBe(320);
  });
});

describe('Opus loss concealment', () => {
  it('conceals a packet dropped from speech with libopus PLC: right length, energy, no click at the seams', async () => {
    for (const name of ['s01-slt.wav', 's03-rms.wav', 's05-slt.wav', 's08-rms.wav']) {
      const { samples } = await readWav(join(FIXTURES, name));
      const packets = encodeAll(new OpusStreamEncoder(16000, 1, { bitrate: 24000 }), samples);
      const reference = new OpusStreamDecoder(16000);
      const clean = packets.map((p) => reference.decode(p));
      // Drop voiced packets: loud ones in the middle of speech, three per file.
      const loud = clean.map((f, i) => [rms(f), i] as const).filter(([r, i]) => r > 2000 && i > 5 && i < clean.length - 5);
      for (const [, drop] of loud.filter((_, k) => k % Math.max(1, Math.floor(loud.length / 3)) === 0).slice(0, 3)) {
        const dec = new OpusStreamDecoder(16000);
        const out = packets.map((p, i) => (i === drop ? dec.conceal(320) : dec.decode(p)));
        const hidden = out[drop]!;
        const before = out[drop - 1]!;
        const after = out[drop + 1]!;
        const neighbourhood = Math.max(maxStep(before), maxStep(after), maxStep(clean[drop]!));
        const label = `${name} packet ${drop}`;
        expect(hidden.length, label).toBe(320);
        console.log(`${label}: concealed rms ${rms(hidden).toFixed(0)} vs lost ${rms(clean[drop]!).toFixed(0)}; seams ${Math.abs(hidden[0]! - before[319]!)}, ${Math.abs(after[0]! - hidden[319]!)}; neighbourhood max step ${neighbourhood}`);
        // Energy present (libopus PLC fades over lost packets; an onset lost is concealed from the quieter past).
        expect(rms(hidden), label).toBeGreaterThan(Math.max(200, 0.05 * rms(clean[drop]!)));
        expect(Math.abs(hidden[0]! - before[319]!), `${label} seam in`).toBeLessThanOrEqual(1.5 * neighbourhood);
        expect(Math.abs(after[0]! - hidden[319]!), `${label} seam out`).toBeLessThanOrEqual(1.5 * neighbourhood);
        expect(maxStep(hidden), label).toBeLessThanOrEqual(1.5 * neighbourhood);
      }
    }
  });

  it('conceals any length (2.5 ms steps, a remainder rounded up and cut), zeros before the first packet', () => {
    const dec = new OpusStreamDecoder(8000);
    expect([...dec.conceal(160)].every((v) => v === 0)).toBe(true);
    const enc = new OpusStreamEncoder(8000, 1);
    for (const p of encodeAll(enc, voiced(8000, 0.2))) dec.decode(p);
    for (const n of [160, 80, 40, 20, 480, 170, 7]) {
      const pcm = dec.conceal(n);
      expect(pcm.length).toBe(n);
    }
    for (const n of [5760 * 3, 48000]) expect(new OpusStreamDecoder(48000).conceal(n).length).toBe(n);
    expect(() => dec.conceal(0)).toThrow(RangeError);
    expect(() => dec.conceal(2.5)).toThrow(/2.5/);
  });
});

describe('Opus at every rate and frame size', () => {
  it.each(OPUS_SAMPLE_RATES.map((r) => [r]))('%i Hz: 20 ms frames round-trip with the signal intact and PLC of the right length', (rate) => {
    const signal = voiced(rate, 1);
    const enc = new OpusStreamEncoder(rate, 1, { bitrate: 32000 });
    expect(enc.frameSamples).toBe(rate / 50);
    const packets = encodeAll(enc, signal);
    expect(packets.length).toBe(50);
    const dec = new OpusStreamDecoder(rate);
    const frames = packets.map((p) => dec.decode(p));
    for (const f of frames) expect(f.length).toBe(rate / 50);
    // Opus delays by its lookahead (6.5 ms at 'voip'); compare after aligning on it.
    const delay = Math.round(rate * 0.0065);
    const decoded = concatSamples(frames);
    const aligned = decoded.subarray(delay);
    // Opus keeps the spectrum rather than the waveform; ask for a clearly correlated waveform at the right level.
    const a = signal.subarray(rate / 10, rate - delay);
    const b = aligned.subarray(rate / 10, rate - delay);
    let ab = 0;
    for (let i = 0; i < a.length; i++) ab += a[i]! * b[i]!;
    const correlation = ab / (rms(a) * rms(b) * a.length);
    expect(correlation, `correlation at ${rate} Hz`).toBeGreaterThan(0.7);
    expect(rms(b) / rms(a)).toBeGreaterThan(0.7);
    expect(rms(b) / rms(a)).toBeLessThan(1.3);
    const concealed = dec.conceal(rate / 50);
    expect(concealed.length).toBe(rate / 50);
    expect(rms(concealed)).toBeGreaterThan(0.1 * rms(frames.at(-1)!));
  });

  it.each([[10], [40], [60]] as const)('%i ms frames encode and decode to the frame length', (frameMs) => {
    for (const rate of [8000, 48000]) {
      const enc = new OpusStreamEncoder(rate, 1, { frameMs });
      const n = (rate * frameMs) / 1000;
      expect(enc.frameSamples).toBe(n);
      const dec = new OpusStreamDecoder(rate);
      for (const p of encodeAll(enc, voiced(rate, 0.24))) expect(dec.decode(p).length).toBe(n);
      expect(dec.conceal(n).length).toBe(n);
    }
  });
});

describe('Opus options, errors and close', () => {
  it('applies DTX: long silence becomes tiny packets', () => {
    const enc = new OpusStreamEncoder(16000, 1, { dtx: true });
    const plain = new OpusStreamEncoder(16000, 1, { dtx: false });
    const silence = new Int16Array(16000 * 2);
    const withDtx = encodeAll(enc, silence);
    const without = encodeAll(plain, silence);
    expect(withDtx.slice(25).filter((p) => p.length <= 2).length).toBeGreaterThan(20);
    expect(without.slice(25).filter((p) => p.length <= 2).length).toBe(0);
  });

  it('spends more bits on a higher bitrate', () => {
    const signal = voiced(16000, 1);
    const size = (bitrate: number) => encodeAll(new OpusStreamEncoder(16000, 1, { bitrate }), signal).reduce((n, p) => n + p.length, 0);
    expect(size(64000)).toBeGreaterThan(1.8 * size(16000));
  });

  it('validates every option, naming the offending value', () => {
    expect(() => new OpusStreamEncoder(16000, 1, { bitrate: 100 })).toThrow(/bitrate.*100/);
    expect(() => new OpusStreamEncoder(16000, 1, { complexity: 11 })).toThrow(/complexity.*11/);
    expect(() => new OpusStreamEncoder(16000, 1, { frameMs: 30 as never })).toThrow(/frameMs.*30/);
    expect(() => new OpusStreamEncoder(16000, 1, { packetLossPercent: 101 })).toThrow(/packetLossPercent.*101/);
    expect(() => new OpusStreamEncoder(16000, 1, { fec: 'yes' as never })).toThrow(/fec.*yes/);
    expect(() => new OpusStreamEncoder(16000, 1, { application: 'game' as never })).toThrow(/application.*game/);
    expect(new OpusStreamEncoder(16000, 1, { fec: true }).options.packetLossPercent).toBe(10);
  });

  it('refuses unsupported rates and channel counts with WG_ERR_UNSUPPORTED_FORMAT', () => {
    for (const make of [() => new OpusStreamEncoder(44100), () => new OpusStreamDecoder(22050), () => new OpusStreamEncoder(48000, 2), () => new OpusStreamDecoder(48000, 2)]) {
      expect(make).toThrow(WavegateError);
      expect(make).toThrow(/44100|22050|channels 2/);
    }
  });

  it('refuses a frame of the wrong length and a corrupt packet', () => {
    const enc = new OpusStreamEncoder(16000);
    expect(() => enc.encode(new Int16Array(321))).toThrow(/exactly 320 samples.*321/);
    const dec = new OpusStreamDecoder(16000);
    for (const bad of [Uint8Array.of(0x03, 0x00), Uint8Array.of(0x03), new Uint8Array(0)]) {
      let caught: unknown;
      try {
        dec.decode(bad);
      } catch (err) {
        caught = err;
      }
      expect((caught as WavegateError).code).toBe('WG_ERR_BAD_PAYLOAD');
    }
    // The decoder is still usable after a bad packet.
    expect(dec.decode(enc.encode(voiced(16000, 0.02))).length).toBe(320);
  });

  it('throws from every method after close()', () => {
    const enc = new OpusStreamEncoder(16000);
    const dec = new OpusStreamDecoder(16000);
    enc.close();
    dec.close();
    enc.close();
    expect(enc.closed && dec.closed).toBe(true);
    expect(() => enc.encode(new Int16Array(320))).toThrow(/after close/);
    expect(() => dec.decode(Uint8Array.of(0xf8))).toThrow(/after close/);
    expect(() => dec.conceal(320)).toThrow(/after close/);
  });
});
