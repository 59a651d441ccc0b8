/**
 * The libopus 1.3.1 decoder as WebAssembly (opus-decoder-wasm.ts, built by build-opus-wasm.sh from the
 * sources @discordjs/opus bundles, so it decodes bit-exactly like that binding's native decoder).
 * It exists because no npm binding exposes `opus_decode(…, decode_fec = 1)` or PLC of a chosen length:
 * here conceal(n) runs `opus_decode(st, NULL, 0, pcm, n, 0)` and conceal(n, next) runs
 * `opus_decode(st, next, len, pcm, n, 1)`, as the libopus documentation prescribes.
 *
 * One module instance per process holds every decoder state (18 KB each at mono); close() frees the
 * state at once, and a FinalizationRegistry frees states of decoders dropped without close().
 */
import { WavegateError } from '../../errors/wavegate-error.js';
import { OPUS_DECODER_WASM_BASE64 } from './opus-decoder-wasm.js';

interface OpusWasmExports {
  readonly memory: WebAssembly.Memory;
  readonly __stack_pointer: WebAssembly.Global;
  malloc(bytes: number): number;
  free(ptr: number): void;
  opus_decode(st: number, data: number, len: number, pcm: number, frameSize: number, decodeFec: number): number;
  wg_decoder_size(): number;
  wg_decoder_init(st: number, sampleRate: number): number;
  wg_decoder_reset(st: number): number;
}

/** 120 ms at 48 kHz: the longest Opus packet, and the most one call decodes. */
const MAX_FRAME = 5760;
/** 48 frames of 1275 bytes would be larger, but no sane sender exceeds this; longer payloads are refused. */
const MAX_PACKET_BYTES = 16384;
const OPUS_ERRORS: Record<number, string> = {
  [-1]: 'bad argument',
  [-2]: 'buffer too small',
  [-3]: 'internal error',
  [-4]: 'corrupted packet',
  [-5]: 'unimplemented',
  [-6]: 'invalid state',
  [-7]: 'allocation failed',
};

interface Runtime {
  readonly x: OpusWasmExports;
  readonly inPtr: number;
  readonly outPtr: number;
  readonly stateBytes: number;
  readonly registry: FinalizationRegistry<number>;
}
let runtime: Runtime | undefined;

function getRuntime(): Runtime {
  if (runtime) return runtime;
  const module = new WebAssembly.Module(Buffer.from(OPUS_DECODER_WASM_BASE64, 'base64'));
  const x = new WebAssembly.Instance(module, {}).exports as unknown as OpusWasmExports;
  const inPtr = x.malloc(MAX_PACKET_BYTES);
  const outPtr = x.malloc(MAX_FRAME * 2);
  if (!inPtr || !outPtr) throw new Error('opus wasm: cannot allocate I/O buffers');
  runtime = { x, inPtr, outPtr, stateBytes: x.wg_decoder_size(), registry: new FinalizationRegistry((st) => x.free(st)) };
  return runtime;
}

export class OpusWasmDecoder {
  readonly sampleRate: number;
  #st: number;
  readonly #rt: Runtime;
  readonly #step: number;

  constructor(sampleRate: number) {
    this.#rt = getRuntime();
    const st = this.#rt.x.malloc(this.#rt.stateBytes);
    if (!st) throw new Error('opus wasm: cannot allocate a decoder state');
    const err = this.#rt.x.wg_decoder_init(st, sampleRate);
    if (err !== 0) {
      this.#rt.x.free(st);
      throw new WavegateError('WG_ERR_UNSUPPORTED_FORMAT', `Opus decoder at ${sampleRate} Hz: ${OPUS_ERRORS[err] ?? err}`);
    }
    this.sampleRate = sampleRate;
    this.#st = st;
    this.#step = sampleRate / 400;
    this.#rt.registry.register(this, st, this);
  }

  get closed(): boolean {
    return this.#st === 0;
  }

  /** One packet → its PCM. Corrupt packets → WG_ERR_BAD_PAYLOAD; the decoder stays usable. */
  decode(payload: Uint8Array): Int16Array {
    this.#open('decode');
    if (payload.length === 0) throw new WavegateError('WG_ERR_BAD_PAYLOAD', 'empty Opus packet');
    if (payload.length > MAX_PACKET_BYTES) throw new WavegateError('WG_ERR_BAD_PAYLOAD', `Opus packet of ${payload.length} bytes (at most ${MAX_PACKET_BYTES})`);
    const n = this.#call(payload, MAX_FRAME, 0);
    if (n < 0) throw new WavegateError('WG_ERR_BAD_PAYLOAD', `Opus packet of ${payload.length} bytes: ${OPUS_ERRORS[n] ?? n}`);
    return this.#output(n);
  }

  /**
   * `samples` of audio for a lost stretch. With `nextPayload` (the packet after the gap) the end of the
   * stretch is rebuilt from that packet's in-band FEC data when it carries some (libopus falls back to
   * PLC when it does not); the rest, or all without it, is libopus PLC. libopus conceals in steps of
   * 2.5 ms, so a length that is not a multiple of 2.5 ms is concealed rounded up and cut.
   */
  conceal(samples: number, nextPayload?: Uint8Array): Int16Array {
    this.#open('conceal');
    if (!Number.isInteger(samples) || samples <= 0) throw new RangeError(`conceal needs a positive whole number of samples, got ${String(samples)}`);
    const total = Math.ceil(samples / this.#step) * this.#step;
    const out = new Int16Array(samples);
    let done = 0;
    while (done < total) {
      const frame = Math.min(total - done, MAX_FRAME - (MAX_FRAME % this.#step));
      const last = done + frame >= total;
      const useFec = last && nextPayload !== undefined && nextPayload.length > 0 && nextPayload.length <= MAX_PACKET_BYTES;
      let n = useFec ? this.#call(nextPayload, frame, 1) : -1;
      if (n < 0) n = this.#call(undefined, frame, 0);
      if (n <= 0) break; // cannot happen for a 2.5 ms multiple; guards the loop
      const pcm = this.#view(n);
      const take = Math.min(n, samples - done);
      if (take > 0) out.set(pcm.subarray(0, take), done);
      done += n;
    }
    return out;
  }

  /** Forgets the stream's history (as for a new stream from the same peer). */
  reset(): void {
    this.#open('reset');
    this.#rt.x.wg_decoder_reset(this.#st);
  }

  close(): void {
    if (this.#st === 0) return;
    this.#rt.registry.unregister(this);
    this.#rt.x.free(this.#st);
    this.#st = 0;
  }

  #open(method: string): void {
    if (this.#st === 0) throw new Error(`OpusStreamDecoder.${method}() called after close()`);
  }

  /** opus_decode with a packet (or none); a trap in the module restores its stack and counts as corrupt. */
  #call(packet: Uint8Array | undefined, frameSize: number, fec: 0 | 1): number {
    const { x, inPtr, outPtr } = this.#rt;
    if (packet) new Uint8Array(x.memory.buffer, inPtr, packet.length).set(packet);
    const sp = x.__stack_pointer.value as number;
    try {
      return x.opus_decode(this.#st, packet ? inPtr : 0, packet ? packet.length : 0, outPtr, frameSize, fec);
    } catch (err) {
      x.__stack_pointer.value = sp;
      x.wg_decoder_reset(this.#st);
      if (err instanceof WebAssembly.RuntimeError) return -4;
      throw err;
    }
  }

  #view(n: number): Int16Array {
    return new Int16Array(this.#rt.x.memory.buffer, this.#rt.outPtr, n);
  }

  #output(n: number): Int16Array {
    return this.#view(n).slice();
  }
}
