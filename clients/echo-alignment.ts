/**
 * Round trip of an echoed stream measured on the content, not on sample counts: both directions
 * are reduced to 10 ms log-energy envelopes stamped with when each block was sent / received, the
 * reply envelope is matched to the sent one by dynamic time warping in a band around the diagonal
 * (so audio the server inserted or dropped — concealment, time-stretch — does not throw the pairing
 * off the way counting samples does), and every matched block in speech gives one RTT sample:
 * received time − sent time. Needs a handler whose output follows its input (echo, DSP); for
 * anything else `match` comes out low and the numbers are not meaningful. Pure.
 */
export class EnvelopeTrack {
  readonly blockSamples: number;
  /** Per 10 ms block: energy in dB (of PCM16 sample values) and the time stamp of the audio carrying it. */
  readonly levels: number[] = [];
  readonly times: number[] = [];
  #sum = 0;
  #count = 0;

  constructor(sampleRate: number, blockMs = 10) {
    this.blockSamples = Math.max(1, Math.round((sampleRate * blockMs) / 1000));
  }

  /** Mono PCM16 sent or received at time `at` (ms). */
  add(pcm: Int16Array, at: number): void {
    for (let i = 0; i < pcm.length; i++) {
      this.#sum += pcm[i]! * pcm[i]!;
      if (++this.#count === this.blockSamples) {
        this.levels.push(10 * Math.log10(this.#sum / this.blockSamples + 1));
        this.times.push(at);
        this.#sum = 0;
        this.#count = 0;
      }
    }
  }
}

export interface EchoAlignment {
  /** RTT samples, ms: one per matched reply block in speech. */
  readonly roundTrips: number[];
  /** Share of speech blocks whose matched reply block is within 6 dB of it, 0..1 (≥ 0.8: the reply is an echo). */
  readonly match: number;
}

/** Levels this close (dB) count as the same block echoed. */
const MATCH_DB = 6;
/** Cost of one warp step (dB): unmatched audio must be this much cheaper than matching it. */
const WARP_PENALTY_DB = 6;
/** Blocks of warp allowed each way (±500 ms of audio inserted or dropped in total). */
const BAND = 50;
/** Speech blocks: within this many dB of the loudest sent block. */
const SPEECH_RANGE_DB = 35;

export function alignEcho(sent: EnvelopeTrack, received: EnvelopeTrack): EchoAlignment {
  // Level-normalized (loudest block at 0 dB) so a handler's gain does not matter.
  const a = normalized(sent.levels);
  const b = normalized(received.levels);
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0) return { roundTrips: [], match: Number.NaN };
  // Banded DTW: cell (i, j) exists when |i − j| ≤ BAND; cost |a_i − b_j|, steps diagonal/up/left,
  // the last two (a block inserted or dropped) at a penalty so the path only warps where it must.
  const width = 2 * BAND + 1;
  const cost = new Float64Array(n * width).fill(Infinity);
  const step = new Uint8Array(n * width); // 0 diagonal, 1 from (i−1, j), 2 from (i, j−1)
  const at = (i: number, j: number) => i * width + (j - i + BAND);
  for (let i = 0; i < n; i++) {
    for (let j = Math.max(0, i - BAND); j <= Math.min(m - 1, i + BAND); j++) {
      const d = Math.abs(a[i]! - b[j]!);
      if (i === 0 && j === 0) {
        cost[at(0, 0)] = d;
        continue;
      }
      let best = Infinity;
      let from = 0;
      if (i > 0 && j > 0 && Math.abs(i - 1 - (j - 1)) <= BAND) best = cost[at(i - 1, j - 1)]!;
      if (i > 0 && Math.abs(i - 1 - j) <= BAND && cost[at(i - 1, j)]! + WARP_PENALTY_DB < best) {
        best = cost[at(i - 1, j)]! + WARP_PENALTY_DB;
        from = 1;
      }
      if (j > 0 && Math.abs(i - (j - 1)) <= BAND && cost[at(i, j - 1)]! + WARP_PENALTY_DB < best) {
        best = cost[at(i, j - 1)]! + WARP_PENALTY_DB;
        from = 2;
      }
      cost[at(i, j)] = best + d;
      step[at(i, j)] = from;
    }
  }
  // End where the shorter envelope ends (the other may run on: trailing audio), at the cheapest cell.
  let i = n - 1;
  let j = Math.min(m - 1, i + BAND);
  if (m < n) {
    j = m - 1;
    i = Math.min(n - 1, j + BAND);
    for (let k = Math.max(0, j - BAND); k <= Math.min(n - 1, j + BAND); k++) if (cost[at(k, j)]! < cost[at(i, j)]!) i = k;
  } else {
    for (let k = Math.max(0, i - BAND); k <= Math.min(m - 1, i + BAND); k++) if (cost[at(i, k)]! < cost[at(i, j)]!) j = k;
  }
  if (!Number.isFinite(cost[at(i, j)]!)) return { roundTrips: [], match: Number.NaN };

  const loudest = 0;
  const pairs: [number, number][] = [];
  while (i >= 0 && j >= 0) {
    pairs.push([i, j]);
    if (i === 0 && j === 0) break;
    const from = step[at(i, j)];
    if (from === 0) {
      i--;
      j--;
    } else if (from === 1) i--;
    else j--;
  }
  const speech = pairs.filter(([p]) => a[p]! >= loudest - SPEECH_RANGE_DB);
  const roundTrips = speech.map(([p, q]) => received.times[q]! - sent.times[p]!);
  const agreeing = speech.filter(([p, q]) => Math.abs(a[p]! - b[q]!) <= MATCH_DB).length;
  return { roundTrips, match: speech.length === 0 ? Number.NaN : agreeing / speech.length };
}

function normalized(levels: readonly number[]): number[] {
  let max = -Infinity;
  for (const v of levels) max = Math.max(max, v);
  return levels.map((v) => v - max);
}
