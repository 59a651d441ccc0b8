import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
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
