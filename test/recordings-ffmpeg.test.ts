import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSessionRecorder } from '../src/recordings/recorder.js';
import { readWav } from '../src/wav/wav-file.js';
import { handWavHeader, pcmBytes, startRecordingsServer, tempDir, type RecordingsServer } from './recordings-helpers.js';

/**
 * Real clients nobody here wrote: Debian's ffprobe and ffmpeg read recordings over HTTP (they send
 * their own Range requests when seeking). `.ci/run` installs ffmpeg; a missing binary fails the test.
 */

let folder: Awaited<ReturnType<typeof tempDir>>;
let server: RecordingsServer;
let fixture: Awaited<ReturnType<typeof readWav>>;

/** Runs a program asynchronously (the server under test lives in this process); fails when it is missing or fails. */
function run(cmd: string, args: string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { encoding: 'buffer', maxBuffer: 64 << 20, timeout: 30_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${cmd} ${args.join(' ')} failed (.ci/run installs ffmpeg): ${error.message} ${stderr.toString()}`));
      else resolve(stdout);
    });
  });
}

async function probe(url: string): Promise<{ duration: string; durationTs: number; sampleRate: string; channels: number }> {
  const out = JSON.parse((await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration:stream=duration_ts,sample_rate,channels', '-of', 'json', url])).toString()) as {
    format: { duration: string };
    streams: Array<{ duration_ts: number; sample_rate: string; channels: number }>;
  };
  return { duration: out.format.duration, durationTs: out.streams[0]!.duration_ts, sampleRate: out.streams[0]!.sample_rate, channels: out.streams[0]!.channels };
}

async function decode(url: string, args: string[] = []): Promise<Int16Array> {
  const raw = await run('ffmpeg', ['-v', 'error', ...args, '-i', url, '-f', 's16le', '-acodec', 'pcm_s16le', '-']);
  return new Int16Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
}

const same = (a: Int16Array, b: Int16Array) => a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

beforeAll(async () => {
  folder = await tempDir('rec-ffmpeg');
  fixture = await readWav('test/fixtures/speech/s01-slt.wav'); // 46 400 samples at 16 kHz = 2.9 s
  const recorder = createSessionRecorder({ dir: folder.dir, id: 'speech-1', mode: 'input', sampleRate: 16_000 });
  for (let i = 0; i < fixture.samples.length; i += 320) {
    recorder.writeInput({ samples: fixture.samples.slice(i, i + 320), sampleRate: 16_000, channels: 1, timestamp: i / 16 });
  }
  await recorder.close();
  // What a SIGKILLed process leaves: placeholder sizes, audio to the end of the file.
  await writeFile(join(folder.dir, 'crashed-1.wav'), Buffer.concat([handWavHeader(16_000, 1, undefined), pcmBytes(fixture.samples.subarray(0, 16_000))]));
  server = await startRecordingsServer(folder.dir);
});

afterAll(async () => {
  await server?.close();
  await folder?.remove();
});

describe('ffprobe / ffmpeg over HTTP', () => {
  it('ffprobe reports the exact duration of a finished recording', async () => {
    const info = await probe(`http://127.0.0.1:${server.port}/recordings/speech-1.wav`);
    expect(info).toEqual({ duration: '2.900000', durationTs: 46_400, sampleRate: '16000', channels: 1 });
  });

  it('ffmpeg decodes the whole recording sample for sample', async () => {
    expect(same(await decode(`http://127.0.0.1:${server.port}/recordings/speech-1.wav`), fixture.samples)).toBe(true);
  });

  it('ffmpeg -ss seeks (its own Range request) and decodes from exactly that sample', async () => {
    server.requests.length = 0;
    const samples = await decode(`http://127.0.0.1:${server.port}/recordings/speech-1.wav`, ['-ss', '1.25']);
    expect(server.requests.map((r) => r.range)).toContain(`bytes=${44 + 20_000 * 2}-`);
    expect(samples.length).toBe(46_400 - 20_000);
    expect(same(samples, fixture.samples.subarray(20_000))).toBe(true);
  });

  it('?pos= answers a WAV that ffprobe times exactly and ffmpeg decodes from that frame', async () => {
    const url = `http://127.0.0.1:${server.port}/recordings/speech-1.wav?pos=1.5`;
    expect((await probe(url)).duration).toBe('1.400000');
    expect(same(await decode(url), fixture.samples.subarray(24_000))).toBe(true);
  });

  it('a recording left with placeholder sizes is still read to its end', async () => {
    const url = `http://127.0.0.1:${server.port}/recordings/crashed-1.wav`;
    expect(same(await decode(url), fixture.samples.subarray(0, 16_000))).toBe(true);
    expect((await readFile(join(folder.dir, 'crashed-1.wav'))).readUInt32LE(40)).toBe(0xffffffff);
  });
});
