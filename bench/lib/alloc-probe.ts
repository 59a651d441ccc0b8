/**
 * Scratch probe (not a bench:* script): heap and ArrayBuffer bytes allocated per frame by one in-memory
 * FastRTC session (session-harness.ts), μ-law JSON and binary L16, 48 kHz in, 24 kHz out; the
 * setImmediate turn each step takes is measured alone and subtracted.
 *
 *   node --expose-gc dist/bench/lib/alloc-probe.js
 */
import { encodeMulaw } from '../../src/codecs/g711.js';
import { encodeL16 } from '../../src/codecs/l16.js';
import { readWav } from '../../src/wav/wav-file.js';
import { measureAllocation } from './alloc-meter.js';
import { inMemorySession } from './session-harness.js';

const { samples } = await readWav(new URL('../../../test/fixtures/speech/s01-slt.wav', import.meta.url).pathname);
const pcm = new Int16Array(samples.length * 3);
for (let i = 0; i < pcm.length; i++) pcm[i] = samples[Math.floor(i / 3)]!;
const frames = (kind: 'mulaw' | 'l16'): Buffer[] => {
  const out: Buffer[] = [];
  for (let k = 0; k + 960 <= pcm.length && out.length < 150; k += 960) {
    const frame = pcm.subarray(k, k + 960);
    out.push(kind === 'mulaw' ? Buffer.from(JSON.stringify({ event: 'media', media: { payload: Buffer.from(encodeMulaw(frame)).toString('base64') } })) : Buffer.from(encodeL16(frame)));
  }
  return out;
};
const turn = await measureAllocation(() => new Promise(setImmediate), 1, 3000);
for (const kind of ['mulaw', 'l16'] as const) {
  const messages = frames(kind);
  const session =
    kind === 'mulaw'
      ? inMemorySession({ encoding: 'audio/x-mulaw', sampleRate: 48_000, channels: 1 }, { encoding: 'audio/x-mulaw', sampleRate: 24_000, channels: 1 }, messages, false)
      : inMemorySession({ encoding: 'audio/x-l16', sampleRate: 48_000, channels: 1 }, { encoding: 'audio/x-l16', sampleRate: 24_000, channels: 1 }, messages, true);
  await session.run();
  const a = await measureAllocation(() => session.step(), 1, 3000);
  process.stdout.write(`${kind}: heap ${Math.round(a.heapBytes - turn.heapBytes)} B/frame (turn ${Math.round(turn.heapBytes)} B), ArrayBuffer ${Math.round(a.arrayBufferBytes)} B/frame\n`);
  await session.close();
}
