import { describe, expect, it } from 'vitest';
import { CONDITIONS, measure } from '../bench/vad-accuracy.js';
import { loadSpeechFixtures } from '../bench/vad-speech-fixtures.js';
import { accuracyOf, labelSpeechFrames, makeNoise, padAndMix } from '../src/vad/vad-evaluation.js';
import { FrameSplitter } from '../src/audio/frame-splitter.js';
import { createWebRtcVad, DEFAULT_WEBRTC_VAD_OPTIONS, webRtcVad } from '../src/vad/webrtc-vad.js';

const fixtures = loadSpeechFixtures();

describe('WebRTC VAD (libfvad in WebAssembly)', () => {
  it('calls digital silence and low noise non-speech, and a spoken sentence speech', async () => {
    const vad = await createWebRtcVad(16_000);
    expect(vad.frameSamples).toBe(160);
    const silent = new Int16Array(160);
    let speechFrames = 0;
    for (let i = 0; i < 100; i++) if (vad.isSpeech(silent)) speechFrames++;
    expect(speechFrames).toBe(0);
    const fixture = fixtures[0]!;
    let detected = 0;
    for (let o = 0; o + 160 <= fixture.samples.length; o += 160) if (vad.isSpeech(fixture.samples.subarray(o, o + 160))) detected++;
    expect(detected * 160).toBeGreaterThan(fixture.samples.length * 0.4);
    vad.close();
  });

  it('frame accuracy on the fixtures padded with silence and with noise stays high (bench: ≥ 90 %)', async () => {
    const subset = fixtures.filter((_, i) => i % 4 === 0);
    for (const name of ['silence', 'white 20 dB SNR']) {
      const condition = CONDITIONS.find((c) => c.name === name)!;
      const accuracy = (await measure(subset, condition, 'webrtc')).accuracy;
      expect(accuracy, name).toBeGreaterThan(0.85);
    }
  });

  it('is a real model, not an energy threshold: louder hum and hiss are not speech, quieter speech is', async () => {
    const vad = await createWebRtcVad(16_000);
    const fixture = fixtures[2]!;
    const labels = labelSpeechFrames(fixture.samples, 160);
    const quiet = Int16Array.from(fixture.samples, (v) => Math.round(v / 10)); // the sentence 20 dB down
    const quietRms = Math.sqrt(quiet.reduce((e, v) => e + v * v, 0) / quiet.length);
    const hum = Int16Array.from({ length: 48_000 }, (_, i) => Math.round(5000 * Math.sin((2 * Math.PI * 100 * i) / 16_000)));
    const hiss = Int16Array.from(makeNoise('white', 48_000, 1000, 7), Math.round);
    const speechShare = (signal: Int16Array) => {
      vad.reset();
      let said = 0;
      let frames = 0;
      for (let o = 16_000; o + 160 <= signal.length; o += 160, frames++) if (vad.isSpeech(signal.subarray(o, o + 160))) said++;
      return said / frames;
    };
    expect(quietRms).toBeLessThan(1000); // both noises carry more energy than the quiet speech
    expect(speechShare(hum)).toBeLessThan(0.1);
    expect(speechShare(hiss)).toBeLessThan(0.1);
    vad.reset();
    let hits = 0;
    let speechLabels = 0;
    labels.forEach((speech, f) => {
      const said = vad.isSpeech(quiet.subarray(f * 160, (f + 1) * 160));
      if (speech) {
        speechLabels++;
        if (said) hits++;
      }
    });
    expect(hits / speechLabels).toBeGreaterThan(0.8);
    vad.close();
  });

  it('supports 8, 16, 32 and 48 kHz and 10/20/30 ms frames; rejects the rest naming the value', async () => {
    for (const rate of [8000, 16_000, 32_000, 48_000]) {
      const vad = await createWebRtcVad(rate, { frameMs: 20 });
      expect(vad.frameSamples).toBe(rate / 50);
      expect(vad.isSpeech(new Int16Array(rate / 50))).toBe(false);
      vad.close();
    }
    await expect(createWebRtcVad(44_100)).rejects.toThrow(/sampleRate.*44100/);
    await expect(createWebRtcVad(16_000, { mode: 4 as 3 })).rejects.toThrow(/mode.*4/);
    expect(() => webRtcVad({ frameMs: 25 as 30 })).toThrow(/frameMs.*25/); // at configuration, not at the first session
    const vad = await createWebRtcVad(16_000);
    expect(() => vad.isSpeech(new Int16Array(100))).toThrow(/160 samples.*100/);
    vad.close();
    expect(() => vad.isSpeech(new Int16Array(160))).toThrow(/closed/);
  });

  it('many detectors share one module without interfering', async () => {
    const a = await createWebRtcVad(16_000);
    const b = await createWebRtcVad(16_000);
    const speech = fixtures[1]!.samples;
    const { mixed } = padAndMix(new Int16Array(0), 8000, makeNoise('none', 16_000, 0));
    const sayA: boolean[] = [];
    const sayB: boolean[] = [];
    for (let o = 0; o + 160 <= speech.length; o += 160) {
      sayA.push(a.isSpeech(speech.subarray(o, o + 160)));
      b.isSpeech(mixed.subarray(0, 160)); // b hears silence in between
    }
    const alone = await createWebRtcVad(16_000);
    const sayAlone: boolean[] = [];
    for (let o = 0; o + 160 <= speech.length; o += 160) sayAlone.push(alone.isSpeech(speech.subarray(o, o + 160)));
    expect(sayA).toEqual(sayAlone);
    expect(sayB).toEqual([]);
    for (const v of [a, b, alone]) v.close();
  });
});

describe('FrameSplitter (re-cuts audio into VAD frames)', () => {
  it('re-cuts chunks of any length into exact frames and keeps the remainder', () => {
    const framer = new FrameSplitter(4);
    expect(framer.push(Int16Array.from([1, 2, 3]))).toEqual([]);
    expect(framer.buffered).toBe(3);
    expect(framer.push(Int16Array.from([4, 5, 6, 7, 8, 9, 10]))).toEqual([Int16Array.from([1, 2, 3, 4]), Int16Array.from([5, 6, 7, 8])]);
    expect(framer.buffered).toBe(2);
    framer.reset();
    expect(framer.push(Int16Array.from([11, 12, 13, 14]))).toEqual([Int16Array.from([11, 12, 13, 14])]);
    expect(() => new FrameSplitter(0)).toThrow(/positive integer/);
  });
});
