import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { concatSamples } from '../src/audio/concat-samples.js';
import { parseWavPcm16 } from '../src/speech/wav-pcm16.js';

/** The spoken-sentence fixtures (test/fixtures/speech): 16 kHz mono PCM16 and their transcripts. */
export interface SpeechFixture {
  readonly file: string;
  readonly voice: string;
  readonly text: string;
  readonly samples: Int16Array;
  readonly sampleRate: number;
}

/** Finds the repository root from here, whether run from source (vitest) or from dist/. */
function fixtureDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    const candidate = join(dir, 'test', 'fixtures', 'speech');
    try {
      readFileSync(join(candidate, 'transcripts.json'));
      return candidate;
    } catch {
      dir = resolve(dir, '..');
    }
  }
  throw new Error('test/fixtures/speech not found above ' + fileURLToPath(import.meta.url));
}

export function loadSpeechFixtures(): SpeechFixture[] {
  const dir = fixtureDir();
  const list = JSON.parse(readFileSync(join(dir, 'transcripts.json'), 'utf8')) as Array<{ file: string; voice: string; text: string }>;
  return list.map((entry) => {
    const audio = parseWavPcm16(readFileSync(join(dir, entry.file)));
    if (audio.channels !== 1) throw new Error(`${entry.file}: expected mono, got ${audio.channels} channels`);
    return { ...entry, samples: audio.samples, sampleRate: audio.sampleRate };
  });
}

const resampled = new Map<string, Int16Array>();

/**
 * The fixture at another rate, converted by sox's very-high-quality resampler (`rate -v`, no dither):
 * a neutral reference, so what is measured is the gateway's own conversion back, not ours twice.
 */
export function fixtureAt(fixture: SpeechFixture, rate: number): Int16Array {
  if (rate === fixture.sampleRate) return fixture.samples;
  const key = `${fixture.file}@${rate}`;
  let out = resampled.get(key);
  if (!out) {
    const raw = execFileSync(
      'sox',
      ['-D', '-t', 'raw', '-e', 'signed-integer', '-b', '16', '-L', '-c', '1', '-r', String(fixture.sampleRate), '-', '-t', 'raw', '-e', 'signed-integer', '-b', '16', '-L', '-', 'rate', '-v', String(rate)],
      { input: new Uint8Array(fixture.samples.buffer, fixture.samples.byteOffset, fixture.samples.byteLength), maxBuffer: 64 * 1024 * 1024 },
    );
    out = new Int16Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + (raw.byteLength & ~1)));
    resampled.set(key, out);
  }
  return out;
}

/** `ms` of digital silence at `rate`. */
export function silence(ms: number, rate: number): Int16Array {
  return new Int16Array(Math.round((rate * ms) / 1000));
}

export function concatPcm(...parts: Int16Array[]): Int16Array {
  return concatSamples(parts);
}
