import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WavegateError } from '../src/errors/wavegate-error.js';
import { GrowingWavWriter, repairWavHeader } from '../src/wav/growing-wav-writer.js';
import { readWav } from '../src/wav/wav-file.js';

const dir = mkdtempSync(join(tmpdir(), 'wg-growing-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;
const nextPath = () => join(dir, `rec-${++fileNo}.wav`);

function ffprobe(path: string): { duration: number; channels: number; sampleRate: number; warnings: string } {
  const run = spawnSync('ffprobe', ['-v', 'warning', '-show_entries', 'format=duration:stream=channels,sample_rate', '-of', 'json', path]);
  expect(run.error, 'ffprobe must be installed').toBeUndefined();
  expect(run.status, run.stderr.toString()).toBe(0);
  const json = JSON.parse(run.stdout.toString()) as { format: { duration: string }; streams: Array<{ channels: number; sample_rate: string }> };
  return { duration: Number(json.format.duration), channels: json.streams[0]!.channels, sampleRate: Number(json.streams[0]!.sample_rate), warnings: run.stderr.toString() };
}
function u32(path: string, offset: number): number {
  return readFileSync(path).readUInt32LE(offset);
}
function tone(frames: number, channels: number, start = 0): Int16Array {
  const out = new Int16Array(frames * channels);
  for (let i = 0; i < frames; i++) for (let c = 0; c < channels; c++) out[i * channels + c] = Math.round(9000 * Math.sin(((start + i) * (c + 1)) / 7));
  return out;
}
const waitFor = (w: GrowingWavWriter, event: 'grow'): Promise<number> => new Promise((resolve) => w.once(event, resolve));

describe('GrowingWavWriter', () => {
  it('writes a header with placeholder sizes, grows within the flush interval, patches exact sizes on close', async () => {
    const path = nextPath();
    const w = await GrowingWavWriter.open(path, { sampleRate: 16000, flushIntervalMs: 50 });
    expect(statSync(path).size).toBe(44);
    expect(u32(path, 4)).toBe(0xffffffff);
    expect(u32(path, 40)).toBe(0xffffffff);

    const grows: number[] = [];
    w.on('grow', (n) => grows.push(n));
    const appended: Int16Array[] = [];
    for (let k = 0; k < 150; k++) {
      const frame = tone(320, 1, k * 320);
      appended.push(frame);
      expect(w.append(frame)).toBe(true);
      if (k === 0) {
        const t0 = Date.now();
        const len = await waitFor(w, 'grow');
        expect(Date.now() - t0).toBeLessThan(2000); // flushIntervalMs 50; generous for a loaded machine
        expect(len).toBe(44 + 640);
        expect(statSync(path).size).toBe(len);
        // A live reader (ffprobe) reads the growing file to its end despite the placeholder sizes.
        expect(ffprobe(path).duration).toBeCloseTo(0.02, 3);
      }
    }
    const stats = await w.close();
    expect(stats).toMatchObject({ state: 'closed', dataBytes: 150 * 640, frames: 48000, durationMs: 3000, droppedFrames: 0, writeErrors: 0 });
    expect(grows.length).toBeGreaterThan(1);
    for (let i = 1; i < grows.length; i++) expect(grows[i]!).toBeGreaterThan(grows[i - 1]!);
    expect(grows.at(-1)).toBe(44 + 150 * 640);
    expect(u32(path, 4)).toBe(36 + 150 * 640);
    expect(u32(path, 40)).toBe(150 * 640);

    const probe = ffprobe(path);
    expect(probe.duration).toBe(3);
    expect(probe.warnings).not.toMatch(/Estimating duration|Ignoring maximum/);
    const { samples, sampleRate, channels } = await readWav(path);
    expect([sampleRate, channels]).toEqual([16000, 1]);
    const expected = new Int16Array(48000);
    appended.forEach((f, k) => expected.set(f, k * 320));
    expect(Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength).equals(Buffer.from(expected.buffer))).toBe(true);
    expect(await w.close()).toBe(stats); // idempotent
    expect(w.append(tone(10, 1))).toBe(false);
  });

  it('records interleaved stereo', async () => {
    const path = nextPath();
    const w = await GrowingWavWriter.open(path, { sampleRate: 48000, channels: 2 });
    const audio = tone(48000 * 1.5, 2);
    for (let i = 0; i < audio.length; i += 1920) w.append(audio.subarray(i, i + 1920));
    expect(() => w.append(new Int16Array(3))).toThrow(/whole 2-channel frames/);
    const stats = await w.close();
    expect(stats.frames).toBe(72000);
    const probe = ffprobe(path);
    expect(probe).toMatchObject({ duration: 1.5, channels: 2, sampleRate: 48000 });
    const back = await readWav(path);
    expect(back.channels).toBe(2);
    expect([...back.samples.subarray(0, 6)]).toEqual([...audio.subarray(0, 6)]);
    expect(back.samples.length).toBe(audio.length);
  });

  it('flushes at once when flushBytes are pending', async () => {
    const w = await GrowingWavWriter.open(nextPath(), { sampleRate: 8000, flushIntervalMs: 60000, flushBytes: 1600 });
    const grown = waitFor(w, 'grow');
    w.append(tone(800, 1));
    expect(await grown).toBe(44 + 1600);
    await w.close();
  });

  it('bounds the pending queue: audio beyond maxPendingBytes is dropped and counted', async () => {
    const w = await GrowingWavWriter.open(nextPath(), { sampleRate: 8000, flushIntervalMs: 60000, flushBytes: 64000, maxPendingBytes: 64000 });
    let accepted = 0;
    for (let i = 0; i < 300; i++) if (w.append(tone(160, 1))) accepted++; // no await: the disk cannot keep up
    expect(accepted).toBe(200);
    const stats = await w.close();
    expect(stats.droppedFrames).toBe(100 * 160);
    expect(stats.frames).toBe(200 * 160);
  });

  it('ends the recording at the size limit with a counted error and keeps what was accepted', async () => {
    const path = nextPath();
    const w = await GrowingWavWriter.open(path, { sampleRate: 8000, maxDataBytes: 3200 });
    const failures: WavegateError[] = [];
    w.on('failed', (e) => failures.push(e));
    for (let i = 0; i < 8; i++) w.append(tone(320, 1));
    const stats = await w.close();
    expect(failures.map((e) => e.code)).toEqual(['WG_ERR_RECORDING_WRITE_FAILED']);
    expect(stats).toMatchObject({ dataBytes: 3200, writeErrors: 1, droppedFrames: 3 * 320 });
    expect(stats.lastError?.message).toMatch(/size limit of 3200/);
    expect(ffprobe(path).duration).toBe(0.2);
  });

  it('a write error mid-recording (file size limit → EFBIG) ends it with a counted error, never a throw', async () => {
    const path = nextPath();
    const w = await GrowingWavWriter.open(path, { sampleRate: 8000, flushIntervalMs: 10 });
    const failures: WavegateError[] = [];
    w.on('failed', (e) => failures.push(e));
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    w.append(tone(1600, 1));
    await w.flush();
    expect(w.stats.dataBytes).toBe(3200);
    // Let this process write at most 4000 bytes per file from now on: the next flush fails part-way.
    // Only the soft limit changes (no privilege needed); it is put back right after.
    const pid = String(process.pid);
    const softBefore = execFileSync('prlimit', ['--pid', pid, '--fsize', '--output', 'SOFT', '--noheadings']).toString().trim();
    execFileSync('prlimit', ['--pid', pid, '--fsize=4000:']);
    try {
      w.append(tone(1600, 1));
      await w.flush();
      expect(w.append(tone(160, 1))).toBe(false);
    } finally {
      execFileSync('prlimit', ['--pid', pid, `--fsize=${softBefore}:`]);
    }
    const stats = await w.close();
    process.off('unhandledRejection', onUnhandled);
    expect(unhandled).toEqual([]);
    expect(failures).toHaveLength(1);
    expect(failures[0]!.code).toBe('WG_ERR_RECORDING_WRITE_FAILED');
    expect(failures[0]!.message).toMatch(/EFBIG|too large/i);
    expect(stats).toMatchObject({ dataBytes: 3200, writeErrors: 1, droppedFrames: 1600 + 160 });
    // The file holds what was written before the failure, with the right sizes.
    expect(statSync(path).size).toBe(44 + 3200);
    expect(ffprobe(path).duration).toBe(0.2);
  });

  it('refuses to open where the header cannot be written, and never overwrites unless told', async () => {
    await expect(GrowingWavWriter.open('/dev/full', { sampleRate: 8000, overwrite: true })).rejects.toMatchObject({ code: 'WG_ERR_RECORDING_WRITE_FAILED' });
    const path = nextPath();
    writeFileSync(path, 'keep me');
    await expect(GrowingWavWriter.open(path, { sampleRate: 8000 })).rejects.toMatchObject({ code: 'WG_ERR_RECORDING_WRITE_FAILED' });
    expect(readFileSync(path, 'utf8')).toBe('keep me');
    await (await GrowingWavWriter.open(path, { sampleRate: 8000, overwrite: true })).close();
    expect(statSync(path).size).toBe(44);
  });

  it('validates its options, naming the offending value', async () => {
    await expect(GrowingWavWriter.open(nextPath(), { sampleRate: 0 })).rejects.toThrow(/sampleRate.*0/);
    await expect(GrowingWavWriter.open(nextPath(), { sampleRate: 8000, channels: 3 as never })).rejects.toThrow(/channels.*3/);
    await expect(GrowingWavWriter.open(nextPath(), { sampleRate: 8000, flushIntervalMs: -5 })).rejects.toThrow(/flushIntervalMs.*-5/);
    await expect(GrowingWavWriter.open(nextPath(), { sampleRate: 8000, flushBytes: 1000, maxPendingBytes: 10 })).rejects.toThrow(/maxPendingBytes.*10/);
  });
});

describe('repairWavHeader', () => {
  it('fixes the sizes of a file whose writer died before close(), cutting a partial frame', async () => {
    const path = nextPath();
    const w = await GrowingWavWriter.open(path, { sampleRate: 16000, channels: 2 });
    w.append(tone(16000, 2));
    await w.flush();
    // Simulate the crash: the writer never closes; a torn last write leaves 3 stray bytes.
    writeFileSync(path, Buffer.from([1, 2, 3]), { flag: 'a' });
    expect(u32(path, 40)).toBe(0xffffffff);
    const repair = await repairWavHeader(path);
    expect(repair).toEqual({ changed: true, dataBytes: 64000, truncatedBytes: 3 });
    expect(u32(path, 4)).toBe(36 + 64000);
    expect(u32(path, 40)).toBe(64000);
    expect(ffprobe(path)).toMatchObject({ duration: 1, channels: 2 });
    expect(await repairWavHeader(path)).toEqual({ changed: false, dataBytes: 64000, truncatedBytes: 0 });
  });

  it('fixes a header whose data size runs past the end, and refuses a file that is not a WAV', async () => {
    const path = nextPath();
    const w = await GrowingWavWriter.open(path, { sampleRate: 8000 });
    w.append(tone(800, 1));
    await w.close();
    const bytes = readFileSync(path);
    bytes.writeUInt32LE(999999, 40);
    writeFileSync(path, bytes);
    expect(await repairWavHeader(path)).toEqual({ changed: true, dataBytes: 1600, truncatedBytes: 0 });
    const notWav = nextPath();
    writeFileSync(notWav, 'RIFX....hello');
    await expect(repairWavHeader(notWav)).rejects.toMatchObject({ code: 'WG_ERR_BAD_WAV' });
  });
});
