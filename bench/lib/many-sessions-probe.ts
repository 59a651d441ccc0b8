/**
 * Scratch probe (not a bench:* script): CPU µs per frame of N in-memory sessions (session-harness.ts)
 * stepped in turn, one frame each per round, to see what a working set of N sessions costs beside one.
 *
 *   node dist/bench/lib/many-sessions-probe.js [sessions] [rounds] [mulaw|l16]
 */
import { readFileSync } from 'node:fs';
import { encodeMulaw } from '../../src/codecs/g711.js';
import { encodeL16 } from '../../src/codecs/l16.js';
import { readWav } from '../../src/wav/wav-file.js';
import { inMemorySession } from './session-harness.js';

const sessions = Number(process.argv[2] ?? 50);
const rounds = Number(process.argv[3] ?? 1500);
const kind = process.argv[4] ?? 'mulaw';
const wav = await readWav(readFileSync(new URL("../../../test/fixtures/speech/s01-slt.wav", import.meta.url)));
const pcm16k = wav.samples;
const pcm = new Int16Array(pcm16k.length * 3);
for (let i = 0; i < pcm.length; i++) pcm[i] = pcm16k[Math.floor(i / 3)]!;
const messages: Buffer[] = [];
for (let k = 0; k + 960 <= pcm.length && k < 960 * 150; k += 960) {
  const frame = pcm.subarray(k, k + 960);
  messages.push(
    kind === 'mulaw'
      ? Buffer.from(JSON.stringify({ event: 'media', media: { payload: Buffer.from(encodeMulaw(frame)).toString('base64') } }))
      : Buffer.from(encodeL16(frame)),
  );
}
const mulaw48 = { encoding: 'audio/x-mulaw', sampleRate: 48_000, channels: 1 } as const;
const mulaw24 = { encoding: 'audio/x-mulaw', sampleRate: 24_000, channels: 1 } as const;
const l16in = { encoding: 'audio/x-l16', sampleRate: 48_000, channels: 1 } as const;
const l16out = { encoding: 'audio/x-l16', sampleRate: 24_000, channels: 1 } as const;
const all = Array.from({ length: sessions }, () =>
  kind === 'mulaw' ? inMemorySession(mulaw48, mulaw24, messages, false) : inMemorySession(l16in, l16out, messages, true),
);
// Steps without the setImmediate: call the session's parts directly through step() would await; use step but time CPU only.
const run = async (n: number): Promise<number> => {
  const t0 = process.cpuUsage();
  for (let r = 0; r < n; r++) await Promise.all(all.map((s) => s.step()));
  const d = process.cpuUsage(t0);
  return (d.user + d.system) / (n * sessions);
};
await run(200);
const results: number[] = [];
for (let i = 0; i < 5; i++) results.push(await run(rounds / 5));
results.sort((a, b) => a - b);
process.stdout.write(`${kind} ${sessions} sessions: ${results.map((r) => r.toFixed(1)).join(' ')} µs/frame (median ${results[2]!.toFixed(1)})\n`);
process.stdout.write(`bytes out per frame ${(all[0]!.sentBytes() / (200 + rounds)).toFixed(0)}\n`);
for (const s of all) await s.close();
