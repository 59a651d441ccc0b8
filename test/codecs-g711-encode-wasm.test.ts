// The WebAssembly G.711 encoder against the JavaScript quantiser (linearToMulaw / linearToAlaw, which
// test/codecs-g711.test.ts checks against ITU-T G.191), on every sample value.
import { describe, expect, it } from 'vitest';
import { encodeAlawInto, encodeMulawInto, linearToAlaw, linearToMulaw } from '../src/codecs/g711.js';
import { G711_ENCODE_WASM, instantiateG711Encode } from '../src/codecs/g711-encode-wasm.js';
import { createG711WasmEncoder, type G711WasmEncoder } from '../src/codecs/g711-wasm-encoder.js';

function tables(): { mulaw: Uint8Array; alaw: Uint8Array } {
  const mulaw = new Uint8Array(1 << 14);
  const alaw = new Uint8Array(1 << 12);
  for (let i = 0; i < mulaw.length; i++) mulaw[i] = linearToMulaw((i << 18) >> 16);
  for (let i = 0; i < alaw.length; i++) alaw[i] = linearToAlaw((i << 20) >> 16);
  return { mulaw, alaw };
}

function encoder(): G711WasmEncoder {
  const t = tables();
  const e = createG711WasmEncoder(t.mulaw, t.alaw);
  if (e === undefined) throw new Error('WebAssembly is unavailable in this Node');
  return e;
}

const EVERY_SAMPLE = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);
const LAWS = [
  { law: 'mulaw', reference: linearToMulaw, run: (e: G711WasmEncoder, s: Int16Array, d: Uint8Array) => e.mulaw(s, d), into: encodeMulawInto },
  { law: 'alaw', reference: linearToAlaw, run: (e: G711WasmEncoder, s: Int16Array, d: Uint8Array) => e.alaw(s, d), into: encodeAlawInto },
] as const;

describe('G.711 WebAssembly encoder', () => {
  it('validates and instantiates here (CI must not silently fall back to the JavaScript loop)', () => {
    expect(WebAssembly.validate(G711_ENCODE_WASM)).toBe(true);
    expect(instantiateG711Encode()).toBeDefined();
  });

  for (const { law, reference, run, into } of LAWS) {
    it(`${law}: every sample value gives the quantiser's code, in chunks of every length class`, () => {
      const e = encoder();
      // Lengths 1…, not multiples of the step, and the frame sizes a gateway sends.
      const lengths = [1, 3, 4, 5, 15, 16, 17, 160, 480, 961, e.maxSamples];
      let at = 0;
      for (let k = 0; at < EVERY_SAMPLE.length; k++) {
        const n = Math.min(lengths[k % lengths.length]!, EVERY_SAMPLE.length - at);
        const src = EVERY_SAMPLE.subarray(at, at + n);
        const out = new Uint8Array(n + 4).fill(0xaa);
        run(e, src, out);
        for (let i = 0; i < n; i++) if (out[i] !== reference(src[i]!)) expect(out[i], `code for sample ${src[i]}`).toBe(reference(src[i]!));
        // Only the n codes are written: the caller's bytes after them are untouched.
        expect([...out.subarray(n)]).toEqual([0xaa, 0xaa, 0xaa, 0xaa]);
        at += n;
      }
    });

    it(`${law}: encode…Into gives the same codes on the wasm path and past its limit`, () => {
      for (const n of [8, 480, 20000]) {
        const src = EVERY_SAMPLE.subarray(1000, 1000 + n);
        const out = new Uint8Array(n);
        expect(into(src, out)).toBe(n);
        expect(out).toEqual(Uint8Array.from(src, (s) => reference(s)));
      }
    });
  }
});
