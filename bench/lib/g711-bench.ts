/**
 * G.711 throughput on 160-byte frames (20 ms at 8 kHz, what Twilio sends), beside plain copies of the
 * same frames: copying 160 bytes (the μ-law frame) and 320 bytes (the PCM16 frame a decode produces)
 * with TypedArray.set, the physical limit of any per-frame code path. One more row does only the two
 * copies a WebAssembly decoder makes on a caller's buffers (codes into its memory, samples out), with no
 * decoding: the floor of that design. MB/s counts μ-law bytes (decode: input, encode: output), 1 MB =
 * 10^6 bytes. Frames are separate subarray views made before timing, as they arrive from a transport;
 * the `Into` variants write into one reused buffer, the others allocate (from the sample pool). One row
 * decodes the whole signal in one call, to separate the per-sample cost from the per-frame one.
 *
 * The rows are measured in turns (every repetition runs each row once), and "× copy 160 B" is the
 * median of each repetition's ratio to the copy measured in the same turn (for the allocating rows,
 * measured in turns of their own, the ratio of medians).
 */
import { decodeAlaw, decodeAlawInto, decodeMulaw, decodeMulawInto, encodeAlaw, encodeAlawInto, encodeMulaw, encodeMulawInto } from '../../src/codecs/g711.js';
import { measureRatesInTurns, type RateStats, type TimingOptions } from './bench-timing.js';

export const FRAME_BYTES = 160;

export interface G711Row {
  readonly name: string;
  /** μ-law/A-law MB per CPU second (or copied MB for the copy rows). */
  readonly mbPerSecond: RateStats;
  /** Median over repetitions of this row's rate ÷ the 160-byte copy's rate in the same repetition. */
  readonly vsCopy160: number;
}

function frames<T extends Uint8Array | Int16Array>(all: T, size: number): T[] {
  const out: T[] = [];
  for (let at = 0; at + size <= all.length; at += size) out.push(all.subarray(at, at + size) as T);
  return out;
}

/** `speech` is PCM16 at 8 kHz (any content: the table lookups do not depend on it). */
export function benchG711(speech: Int16Array, timing: TimingOptions, bytesPerRepetition = 16e6): G711Row[] {
  const pcmFrames = frames(speech, FRAME_BYTES);
  const mulawFrames = pcmFrames.map((f) => encodeMulaw(f));
  const alawFrames = pcmFrames.map((f) => encodeAlaw(f));
  const passes = Math.max(1, Math.round(bytesPerRepetition / (pcmFrames.length * FRAME_BYTES)));
  const pcmOut = new Int16Array(FRAME_BYTES);
  const byteOut = new Uint8Array(FRAME_BYTES);
  const copyOut160 = new Uint8Array(FRAME_BYTES);
  const copyOut320 = new Int16Array(FRAME_BYTES);
  const wholeMulaw = encodeMulaw(speech.subarray(0, pcmFrames.length * FRAME_BYTES));
  const wholeOut = new Int16Array(wholeMulaw.length);
  const wasmMemory = new WebAssembly.Memory({ initial: 1 });
  const wasmCodes = new Uint8Array(wasmMemory.buffer, 0, FRAME_BYTES);
  const wasmSamples = new Int16Array(wasmMemory.buffer, 1024, FRAME_BYTES);
  let sink = 0; // keeps results observable so no work is optimised away

  const run = (body: () => void) => (): number => {
    for (let p = 0; p < passes; p++) body();
    return (passes * pcmFrames.length * FRAME_BYTES) / 1e6;
  };
  // Rows that allocate leave garbage whose collection runs on V8's helper threads and would land in
  // the CPU time of whichever row ran next, so they are measured in turns of their own, after the rest.
  const inPlace: Array<[string, () => number]> = [
    ['copy 160 B frames (TypedArray.set)', run(() => { for (const f of mulawFrames) copyOut160.set(f); sink += copyOut160[7]!; })], // prettier-ignore
    ['copy 320 B frames (PCM16 size)', run(() => { for (const f of pcmFrames) copyOut320.set(f); sink += copyOut320[7]!; })], // prettier-ignore
    ['copies in and out of WebAssembly memory, no decoding', run(() => { for (const f of mulawFrames) { wasmCodes.set(f); pcmOut.set(wasmSamples); } sink += pcmOut[7]!; })], // prettier-ignore
    ['μ-law decode, into buffer', run(() => { for (const f of mulawFrames) decodeMulawInto(f, pcmOut); sink += pcmOut[7]!; })], // prettier-ignore
    [`μ-law decode, one ${Math.round(wholeMulaw.length / 1000)} kB buffer (no framing)`, run(() => { decodeMulawInto(wholeMulaw, wholeOut); sink += wholeOut[7]!; })], // prettier-ignore
    ['μ-law encode, into buffer', run(() => { for (const f of pcmFrames) encodeMulawInto(f, byteOut); sink += byteOut[7]!; })], // prettier-ignore
    ['A-law decode, into buffer', run(() => { for (const f of alawFrames) decodeAlawInto(f, pcmOut); sink += pcmOut[7]!; })], // prettier-ignore
    ['A-law encode, into buffer', run(() => { for (const f of pcmFrames) encodeAlawInto(f, byteOut); sink += byteOut[7]!; })], // prettier-ignore
  ];
  const allocating: Array<[string, () => number]> = [
    ['μ-law decode, allocating', run(() => { for (const f of mulawFrames) sink += decodeMulaw(f)[7]!; })], // prettier-ignore
    ['μ-law encode, allocating', run(() => { for (const f of pcmFrames) sink += encodeMulaw(f)[7]!; })], // prettier-ignore
    ['A-law decode, allocating', run(() => { for (const f of alawFrames) sink += decodeAlaw(f)[7]!; })], // prettier-ignore
    ['A-law encode, allocating', run(() => { for (const f of pcmFrames) sink += encodeAlaw(f)[7]!; })], // prettier-ignore
  ];
  const first = measureRatesInTurns(
    inPlace.map(([, work]) => work),
    timing,
  );
  const second = measureRatesInTurns(
    allocating.map(([, work]) => work),
    timing,
  );
  if (sink === 0.5) console.log(sink); // never true; reading sink keeps it live
  const copy = first.rates[0]!.median;
  return [
    ...inPlace.map(([name], i) => ({ name, mbPerSecond: first.rates[i]!, vsCopy160: first.ratios[i]! })),
    ...allocating.map(([name], i) => ({ name, mbPerSecond: second.rates[i]!, vsCopy160: second.rates[i]!.median / copy })),
  ];
}
