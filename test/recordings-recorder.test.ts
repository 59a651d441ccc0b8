import { execFileSync } from 'node:child_process';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AudioFrame } from '../src/audio/audio-frame.js';
import { createSessionRecorder } from '../src/recordings/recorder.js';
import { RecordingStore } from '../src/recordings/recording-store.js';
import { parseWavLayout } from '../src/recordings/wav-layout.js';
import { readWav } from '../src/wav/wav-file.js';
import { fileErrorCause } from '../src/wav/file-error-cause.js';
import { GrowingWavWriter } from '../src/wav/growing-wav-writer.js';
import { WavegateError } from '../src/errors/wavegate-error.js';
import { tempDir } from './recordings-helpers.js';

let folder: Awaited<ReturnType<typeof tempDir>>;
beforeEach(async () => {
  folder = await tempDir('rec-recorder');
});
afterEach(async () => {
  await folder.remove();
});

function frames(samples: Int16Array, rate: number, frameMs: number, startMs = 0): AudioFrame[] {
  const n = (rate * frameMs) / 1000;
  const out: AudioFrame[] = [];
  for (let i = 0; i * n < samples.length; i++) {
    out.push({ samples: samples.slice(i * n, (i + 1) * n), sampleRate: rate, channels: 1, timestamp: startMs + i * frameMs });
  }
  return out;
}

function tone(rate: number, seconds: number, hz: number, amplitude = 8000): Int16Array {
  const out = new Int16Array(Math.round(rate * seconds));
  for (let i = 0; i < out.length; i++) out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * hz * i) / rate));
  return out;
}

async function readRecording(path: string) {
  const bytes = await readFile(path);
  const layout = parseWavLayout(bytes, bytes.length);
  const data = bytes.subarray(layout.dataOffset, layout.dataOffset + layout.dataBytes);
  const samples = new Int16Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  return { bytes, layout, samples };
}

function channel(samples: Int16Array, c: number): Int16Array {
  const out = new Int16Array(samples.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = samples[i * 2 + c]!;
  return out;
}

const rms = (s: Int16Array, from = 0, to = s.length) => {
  let sum = 0;
  for (let i = from; i < to; i++) sum += s[i]! ** 2;
  return Math.sqrt(sum / Math.max(1, to - from));
};

describe('session recorder', () => {
  it('input mode is sample-exact: every received sample is on disk, in order, and the header tells the truth', async () => {
    const fixture = await readWav('test/fixtures/speech/s01-slt.wav');
    const recorder = createSessionRecorder({ dir: folder.dir, id: 'exact-1', mode: 'input', sampleRate: fixture.sampleRate });
    for (const frame of frames(fixture.samples, fixture.sampleRate, 20)) recorder.writeInput(frame);
    recorder.writeOutput({ samples: new Int16Array(320), sampleRate: 16_000, channels: 1, timestamp: 0 }); // not recorded in input mode
    const stats = await recorder.close();
    const { layout, samples } = await readRecording(recorder.path);
    expect(layout.declaredDataBytes).toBe(fixture.samples.length * 2);
    expect(samples.length).toBe(fixture.samples.length);
    expect(Buffer.from(samples.buffer).equals(Buffer.from(fixture.samples.buffer, fixture.samples.byteOffset, fixture.samples.byteLength))).toBe(true);
    expect(stats).toMatchObject({ state: 'closed', frames: fixture.samples.length, droppedFrames: 0, writeErrors: 0 });
    expect(stats.input).toMatchObject({ receivedSamples: fixture.samples.length, paddedSamples: 0, lateSamples: 0 });
  });

  it('both: stereo, left = caller exactly, right = gateway resampled and placed at its timestamps', async () => {
    const caller = tone(16_000, 3, 440);
    const gateway = tone(24_000, 1, 1000);
    const recorder = createSessionRecorder({ dir: folder.dir, id: 'both-1', mode: 'both', sampleRate: 16_000 });
    const input = frames(caller, 16_000, 20);
    const output = frames(gateway, 24_000, 20, 1000); // the gateway speaks from 1.0 s to 2.0 s
    for (let t = 0; t < 3000; t += 20) {
      const i = input[t / 20];
      if (i) recorder.writeInput(i);
      const o = output[(t - 1000) / 20];
      if (o) recorder.writeOutput(o);
    }
    const stats = await recorder.close();
    const { layout, samples } = await readRecording(recorder.path);
    expect(layout.format).toMatchObject({ channels: 2, sampleRate: 16_000 });
    const left = channel(samples, 0);
    const right = channel(samples, 1);
    expect(left.length).toBe(caller.length);
    expect(Buffer.from(left.buffer).equals(Buffer.from(caller.buffer))).toBe(true);
    // right: silence before 1.0 s, the tone from 1.0 s to 2.0 s, silence after
    expect(rms(right, 0, 15_900)).toBeLessThan(5);
    expect(rms(right, 16_200, 31_800)).toBeGreaterThan(5000);
    expect(rms(right, 32_200, right.length)).toBeLessThan(5);
    expect(stats.output.paddedSamples).toBeGreaterThan(0);
  });

  it('both: a silent gateway does not hold the file back (padded after maxLagMs), and the file grows while open', async () => {
    const store = new RecordingStore(folder.dir);
    await store.open();
    const recorder = createSessionRecorder({ dir: store.realDir, id: 'silent-gw', mode: 'both', sampleRate: 16_000, maxLagMs: 500, flushIntervalMs: 50, store });
    await recorder.ready;
    for (const frame of frames(tone(16_000, 3, 300), 16_000, 20)) recorder.writeInput(frame);
    const signal = store.liveSignal('silent-gw');
    expect(signal).toBeDefined();
    // 3 s of caller audio and no gateway audio: at least 3 s − maxLag reach the disk while the session is open
    const expected = 44 + 2.5 * 16_000 * 4;
    while (signal!.size < expected) expect(await signal!.waitBeyond(signal!.size, 10_000)).toBe('grown');
    const live = await stat(recorder.path);
    expect(live.size).toBe(signal!.size);
    expect((await store.describe('silent-gw'))?.live).toBe(true);
    await recorder.close();
    expect(store.liveSignal('silent-gw')).toBeUndefined();
    expect(signal!.finished).toBe(true);
    const { samples } = await readRecording(recorder.path);
    expect(samples.length / 2).toBe(3 * 16_000);
  });

  it('output mode pads pauses by timestamp', async () => {
    const recorder = createSessionRecorder({ dir: folder.dir, id: 'out-1', mode: 'output', sampleRate: 24_000 });
    const burst = tone(24_000, 0.2, 500);
    for (const f of frames(burst, 24_000, 20, 0)) recorder.writeOutput(f);
    for (const f of frames(burst, 24_000, 20, 1000)) recorder.writeOutput(f);
    const stats = await recorder.close();
    expect(stats.frames).toBe(24_000 * 1.2);
    expect(stats.output).toMatchObject({ receivedSamples: 2 * 4800, paddedSamples: 24_000 * 0.8 });
  });

  it('an earlier recording of the id (its session ended) is moved aside to {id}@{time}.wav; the new one gets {id}.wav', async () => {
    await writeFile(join(folder.dir, 'taken.wav'), 'an earlier session');
    const errors: string[] = [];
    const moved: string[] = [];
    const recorder = createSessionRecorder({ dir: folder.dir, id: 'taken', mode: 'input', sampleRate: 16_000, onError: (e) => errors.push(e.message), onPreviousMoved: (n) => moved.push(n) });
    for (const frame of frames(tone(16_000, 1, 300), 16_000, 20)) recorder.writeInput(frame);
    const stats = await recorder.close();
    expect(errors).toEqual([]);
    expect(stats).toMatchObject({ state: 'closed', writeErrors: 0, droppedFrames: 0, frames: 16_000 });
    expect(moved).toEqual([expect.stringMatching(/^taken@\d{8}T\d{9}Z\.wav$/)]);
    expect(recorder.previousMovedTo).toBe(moved[0]);
    expect(await readFile(join(folder.dir, moved[0]!), 'utf8')).toBe('an earlier session');
    expect((await readRecording(join(folder.dir, 'taken.wav'))).samples.length).toBe(16_000);
    expect((await readdir(folder.dir)).sort()).toEqual([moved[0], 'taken.wav'].sort());
  });

  it('the earlier recorder of the id still closing: the new one waits for it, then moves its complete file aside', async () => {
    const a = createSessionRecorder({ dir: folder.dir, id: 'quick', mode: 'input', sampleRate: 16_000, flushIntervalMs: 500 });
    await a.ready;
    for (const frame of frames(tone(16_000, 0.5, 300), 16_000, 20)) a.writeInput(frame);
    const closingA = a.close(); // not awaited: the id is used again at once
    const b = createSessionRecorder({ dir: folder.dir, id: 'quick', mode: 'input', sampleRate: 16_000, previous: a.finished });
    for (const frame of frames(tone(16_000, 1, 500), 16_000, 20)) b.writeInput(frame);
    const [statsA, statsB] = await Promise.all([closingA, b.close()]);
    expect(statsA).toMatchObject({ state: 'closed', frames: 8000 });
    expect(statsB).toMatchObject({ state: 'closed', frames: 16_000, writeErrors: 0 });
    const earlier = await readRecording(join(folder.dir, b.previousMovedTo!));
    expect(earlier.layout.declaredDataBytes).toBe(16_000); // A's sizes were patched before the move
    expect((await readRecording(join(folder.dir, 'quick.wav'))).layout.declaredDataBytes).toBe(32_000);
  });

  it('a file another live gateway process of this host is writing is left alone: EEXIST, said as such (not "disk full")', async () => {
    await writeFile(join(folder.dir, 'held.wav'), 'written by another process');
    await writeFile(join(folder.dir, 'held.wav.owner'), JSON.stringify({ pid: process.ppid, host: hostname() }));
    const errors: string[] = [];
    const recorder = createSessionRecorder({ dir: folder.dir, id: 'held', mode: 'input', sampleRate: 16_000, onError: (e) => errors.push(`${e.code} ${e.message}`) });
    for (const frame of frames(tone(16_000, 1, 300), 16_000, 20)) recorder.writeInput(frame);
    const stats = await recorder.close();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^WG_ERR_RECORDING_WRITE_FAILED .*held\.wav: EEXIST: the file already exists and another gateway process on this host is writing it/);
    expect(errors[0]).not.toMatch(/disk full|I\/O/);
    expect(stats).toMatchObject({ state: 'failed', writeErrors: 1, droppedFrames: 16_000 });
    expect(await readFile(join(folder.dir, 'held.wav'), 'utf8')).toBe('written by another process');
    expect((await readdir(folder.dir)).sort()).toEqual(['held.wav', 'held.wav.owner']);
  });

  it('a symbolic link or folder in the place of {id}.wav is not touched: EEXIST, not a regular file', async () => {
    await mkdir(join(folder.dir, 'odd.wav'));
    const errors: string[] = [];
    const recorder = createSessionRecorder({ dir: folder.dir, id: 'odd', mode: 'input', sampleRate: 16_000, onError: (e) => errors.push(e.message) });
    await recorder.close();
    expect(errors).toEqual([expect.stringContaining('odd.wav: EEXIST: the file already exists and is not a regular file')]);
  });

  it('each errno class is diagnosed as itself: ENOSPC from a full device, and the others by name', async () => {
    await expect(GrowingWavWriter.open('/dev/full', { sampleRate: 8000, overwrite: true })).rejects.toThrow(/\/dev\/full: ENOSPC: no space left on the device \(disk full\)/);
    const cause = (code: string) => fileErrorCause(Object.assign(new Error(`${code}: raw`), { code }));
    expect(cause('EEXIST')).toBe('EEXIST: the file already exists');
    expect(cause('ENOSPC')).toBe('ENOSPC: no space left on the device (disk full)');
    expect(cause('EACCES')).toMatch(/^EACCES: permission denied/);
    expect(cause('EROFS')).toBe('EROFS: read-only file system');
    expect(cause('EFBIG')).toMatch(/^EFBIG: file too large/);
    expect(cause('EIO')).toBe('EIO: I/O error on the device');
    expect(cause('EWHATEVER')).toBe('EWHATEVER: EWHATEVER: raw'); // unknown codes keep the system's message
    expect(fileErrorCause(new Error('write made no progress'))).toBe('write made no progress');
    // The registry's message no longer presumes a cause: the detail carries it.
    expect(new WavegateError('WG_ERR_RECORDING_WRITE_FAILED', 'x.wav: EEXIST: the file already exists').message).not.toMatch(/disk full/);
  });

  it('a write error (file size limit, EFBIG) ends the recording cleanly: counted, valid WAV of what was written, process fine', async () => {
    const store = new RecordingStore(folder.dir);
    await store.open();
    const errors: string[] = [];
    const recorder = createSessionRecorder({ dir: store.realDir, id: 'full-1', mode: 'input', sampleRate: 16_000, flushIntervalMs: 20, store, onError: (e) => errors.push(e.message) });
    const chunks = frames(tone(16_000, 4, 300), 16_000, 20);
    await recorder.ready;
    for (const f of chunks.slice(0, 25)) recorder.writeInput(f); // 0.5 s
    const signal = store.liveSignal('full-1')!;
    while (signal.size < 44 + 16_000) await signal.waitBeyond(signal.size, 10_000);
    const pid = String(process.pid);
    const softBefore = execFileSync('prlimit', ['--pid', pid, '--fsize', '--output', 'SOFT', '--noheadings']).toString().trim();
    execFileSync('prlimit', ['--pid', pid, '--fsize=40000:']);
    try {
      for (const f of chunks.slice(25)) recorder.writeInput(f);
      const deadline = Date.now() + 10_000;
      while (recorder.stats.state !== 'failed' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    } finally {
      execFileSync('prlimit', ['--pid', pid, `--fsize=${softBefore}:`]);
    }
    const stats = await recorder.close();
    expect(errors.length).toBe(1);
    expect(errors[0]).toMatch(/EFBIG|too large/i);
    expect(stats.state).toBe('failed');
    expect(stats.writeErrors).toBe(1);
    expect(stats.frames + stats.droppedFrames).toBe(chunks.length * 320);
    expect(store.liveSignal('full-1')).toBeUndefined();
    const { layout, bytes } = await readRecording(recorder.path);
    expect(layout.declaredDataBytes).toBe(stats.frames * 2);
    expect(bytes.length).toBe(44 + stats.frames * 2);
    expect(bytes.length).toBeLessThanOrEqual(40_000);
  });

  it('a frame it cannot use (a rate the resampler refuses) ends the recording without throwing at the session', async () => {
    const errors: string[] = [];
    const recorder = createSessionRecorder({ dir: folder.dir, id: 'odd-rate', mode: 'both', sampleRate: 16_000, onError: (e) => errors.push(e.code) });
    await recorder.ready;
    for (const f of frames(tone(16_000, 0.5, 300), 16_000, 20)) recorder.writeInput(f);
    expect(() => recorder.writeOutput({ samples: new Int16Array(20), sampleRate: 1000, channels: 1, timestamp: 0 })).not.toThrow();
    expect(() => recorder.writeInput(frames(tone(16_000, 0.02, 300), 16_000, 20)[0]!)).not.toThrow();
    const stats = await recorder.close();
    expect(errors).toEqual(['WG_ERR_UNSUPPORTED_FORMAT']);
    expect(stats).toMatchObject({ state: 'failed', writeErrors: 1, droppedFrames: 20 + 320 });
    const { layout } = await readRecording(recorder.path);
    expect(layout.declaredDataBytes).toBe(stats.frames * 4); // still a valid, patched stereo WAV
  });
});
