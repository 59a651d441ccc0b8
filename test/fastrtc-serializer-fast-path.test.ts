import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeMediaPayloadInto } from '../src/transport/fastrtc/fastrtc-media-fast-path.js';
import { FastRtcSerializer } from '../src/transport/fastrtc/fastrtc-serializer.js';
import type { InboundEvent } from '../src/transport/wire-events.js';

/** The outcome of parsing, comparable across paths: the event (payload as plain bytes) or the error code. */
function outcome(parse: () => InboundEvent): unknown {
  try {
    const event = parse();
    return event.type === 'media' ? { ...event, payload: [...event.payload] } : event;
  } catch (err) {
    return { error: (err as { code?: string }).code ?? String(err) };
  }
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** Characters a broken client might put in a payload: the alphabet, padding, URL-safe ones, escapes, junk. */
const PAYLOAD_CHARS = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(...BASE64) },
  { weight: 2, arbitrary: fc.constant('=') },
  { weight: 1, arbitrary: fc.constantFrom('-', '_', ' ', '\\/', '\\u0041', '$', '"', '\n', 'é') },
);
const validBase64 = fc.uint8Array({ maxLength: 400 }).map((b) => Buffer.from(b).toString('base64'));
/** Valid base64 with one character replaced (often in the last group, where the padding rules bite). */
const nearMiss = fc.tuple(validBase64, fc.nat(), fc.boolean(), PAYLOAD_CHARS).map(([text, at, nearEnd, c]) => {
  if (text.length === 0) return c;
  const i = nearEnd ? text.length - 1 - (at % Math.min(4, text.length)) : at % text.length;
  return text.slice(0, i) + c + text.slice(i + 1);
});
const payloadText = fc.oneof(validBase64, nearMiss, fc.array(PAYLOAD_CHARS, { maxLength: 40 }).map((c) => c.join('')));

/** Exact-shape messages, and near misses around them (spaces, other keys, other events, cut short). */
const message = fc.oneof(
  { weight: 6, arbitrary: payloadText.map((p) => `{"event":"media","media":{"payload":"${p}"}}`) },
  {
    weight: 4,
    arbitrary: fc
      .tuple(payloadText, fc.constantFrom(
        (p: string) => `{"event":"media","media":{"payload":"${p}"}} `,
        (p: string) => `{"event": "media","media":{"payload":"${p}"}}`,
        (p: string) => `{"event":"media","media":{"payload":"${p}","timestamp":40}}`,
        (p: string) => `{"event":"media","sequenceNumber":"3","media":{"payload":"${p}"}}`,
        (p: string) => `{"event":"media","media":{"payload":"${p}"}`,
        (p: string) => `{"event":"media","media":{"payload":"${p}"},"event":"stop"}`,
        (p: string) => `{"event":"mediа","media":{"payload":"${p}"}}`,
        (p: string) => `{"event":"media","media":{"payload":"${p}"}}}`,
        (p: string) => `{"event":"media","media":{"payload":"${p}\\"}}`,
      ))
      .map(([p, shape]) => shape(p)),
  },
);

describe('FastRTC media fast path', () => {
  it('gives exactly what the strict JSON path gives, for every message (property)', () => {
    const fast = new FastRtcSerializer();
    const strict = new FastRtcSerializer();
    fc.assert(
      fc.property(message, (text) => {
        const data = Buffer.from(text);
        expect(outcome(() => fast.parse(data, false))).toEqual(outcome(() => strict.parseJson(data)));
      }),
      { numRuns: 3000 },
    );
  });

  it('takes the exact shape itself (no JSON.parse) and decodes it into one reused buffer', () => {
    const s = new FastRtcSerializer();
    const payload = Buffer.from(Array.from({ length: 960 }, (_, i) => (i * 7) & 0xff));
    const data = Buffer.from(`{"event":"media","media":{"payload":"${payload.toString('base64')}"}}`);
    const original = JSON.parse;
    let calls = 0;
    JSON.parse = (...args: Parameters<typeof JSON.parse>) => (calls++, original(...args));
    try {
      const a = s.parse(data, false);
      const b = s.parse(data, false);
      expect(calls).toBe(0);
      expect(a.type === 'media' && Buffer.from(a.payload).equals(payload)).toBe(true);
      // The same event and bytes come back: valid until the next parse, as parse() documents.
      expect(b).toBe(a);
      s.parse(Buffer.from('{"event":"ping"}'), false);
      expect(calls).toBe(1);
    } finally {
      JSON.parse = original;
    }
  });

  it('refuses padding anywhere but the end, and lengths that are not a multiple of 4', () => {
    const out = Buffer.alloc(64);
    const msg = (p: string) => Buffer.from(`{"event":"media","media":{"payload":"${p}"}}`);
    expect(decodeMediaPayloadInto(msg('AAE='), out)).toBe(2);
    expect(decodeMediaPayloadInto(msg('AQ=='), out)).toBe(1);
    expect(decodeMediaPayloadInto(msg('AQ==AAAA'), out)).toBe(-1);
    expect(decodeMediaPayloadInto(msg('A==='), out)).toBe(-1);
    expect(decodeMediaPayloadInto(msg('AAA'), out)).toBe(-1);
    expect(decodeMediaPayloadInto(msg(''), out)).toBe(0);
  });
});
