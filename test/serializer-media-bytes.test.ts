import { describe, expect, it } from 'vitest';
import { FastRtcSerializer } from '../src/transport/fastrtc/fastrtc-serializer.js';
import { PlivoSerializer } from '../src/transport/plivo/plivo-serializer.js';
import { TelnyxSerializer } from '../src/transport/telnyx/telnyx-serializer.js';
import { TwilioSerializer } from '../src/transport/twilio/twilio-serializer.js';
import type { Serializer } from '../src/transport/wire-events.js';

// Outbound media messages are built from fixed parts (src/transport/media-json.ts). These tests hold
// them to the bytes JSON.stringify made of each carrier's message before (the expressions below are the
// serializers' former code), for payloads of every length class and random content.

const text = (value: unknown) => Buffer.from(JSON.stringify(value));
const b64 = (p: Uint8Array) => Buffer.from(p.buffer, p.byteOffset, p.byteLength).toString('base64');

function payloads(): Uint8Array[] {
  let seed = 12345;
  const random = () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
  const out = [0, 1, 2, 3, 4, 5, 160, 320, 480, 959, 960, 1920].map((n) => Uint8Array.from({ length: n }, random));
  // A view into a larger buffer (the pipeline lends views of its scratch space).
  const big = Uint8Array.from({ length: 1000 }, random);
  out.push(big.subarray(7, 487));
  // Bytes whose base64 uses '+', '/' and padding.
  out.push(Uint8Array.from([0xfb, 0xff, 0xbf, 0xfe]));
  return out;
}

function expectSame(serializer: Serializer, reference: (payload: Uint8Array) => string): void {
  for (const payload of payloads()) {
    const made = serializer.serialize({ type: 'media', payload });
    expect(typeof made).toBe('string');
    expect(Buffer.from(made as string).equals(Buffer.from(reference(payload)))).toBe(true);
  }
}

describe('outbound media bytes, every carrier', () => {
  it('FastRTC JSON (G.711): {"event":"media","media":{"payload":B64}}', () => {
    const s = new FastRtcSerializer();
    s.parse(text({ event: 'start', websocket_id: 'a' }), false);
    expectSame(s, (p) => JSON.stringify({ event: 'media', media: { payload: b64(p) } }));
    s.parse(text({ event: 'start', websocket_id: 'b', outputFormat: { encoding: 'audio/x-alaw', sampleRate: 8000, channels: 1 } }), false);
    expectSame(s, (p) => JSON.stringify({ event: 'media', media: { payload: b64(p) } }));
  });

  it('FastRTC binary (L16, Opus): the payload bytes, as a view (no copy: the session gives the buffer up if the socket keeps it)', () => {
    const s = new FastRtcSerializer();
    s.parse(text({ event: 'start', websocket_id: 'a', outputFormat: { encoding: 'audio/x-l16', sampleRate: 24000, channels: 1 } }), false);
    for (const payload of payloads()) {
      const made = s.serialize({ type: 'media', payload }) as Buffer;
      expect(Buffer.isBuffer(made)).toBe(true);
      expect(made.equals(Buffer.from(payload))).toBe(true);
      expect(made.buffer).toBe(payload.buffer);
      expect(made.byteOffset).toBe(payload.byteOffset);
    }
  });

  it('Twilio: {"event":"media","streamSid":SID,"media":{"payload":B64}}, for each stream', () => {
    const s = new TwilioSerializer();
    for (const sid of ['MZ18ad3ab5a668481ce02b83e7395059f0', 'a.b:c_d-e']) {
      s.parse(text({ event: 'start', start: { streamSid: sid, callSid: 'CA1', mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 } } }), false);
      expectSame(s, (p) => JSON.stringify({ event: 'media', streamSid: sid, media: { payload: b64(p) } }));
    }
  });

  it('Telnyx: {"event":"media","media":{"payload":B64}}, L16 swapped to big-endian', () => {
    const start = (encoding: string, sample_rate: number) =>
      text({ event: 'start', stream_id: 'S1', start: { call_control_id: 'v2:x', media_format: { encoding, sample_rate, channels: 1 } } });
    const mulaw = new TelnyxSerializer();
    mulaw.parse(start('PCMU', 8000), false);
    expectSame(mulaw, (p) => JSON.stringify({ event: 'media', media: { payload: b64(p) } }));
    const l16 = new TelnyxSerializer();
    l16.parse(start('L16', 16000), false);
    const swapped = (p: Uint8Array) => Uint8Array.from(p, (_, i) => p[i ^ 1]!);
    for (const payload of payloads().filter((p) => p.length % 2 === 0)) {
      expect(l16.serialize({ type: 'media', payload })).toBe(JSON.stringify({ event: 'media', media: { payload: b64(swapped(payload)) } }));
    }
  });

  it('Plivo: {"event":"playAudio","media":{"contentType","sampleRate","payload"}}, for each format', () => {
    for (const [encoding, sampleRate] of [
      ['audio/x-mulaw', 8000],
      ['audio/x-l16', 16000],
      ['audio/x-l16', 8000],
    ] as const) {
      const s = new PlivoSerializer();
      s.parse(text({ event: 'start', start: { callId: 'c', streamId: 'st', mediaFormat: { encoding, sampleRate } } }), false);
      expectSame(s, (p) => JSON.stringify({ event: 'playAudio', media: { contentType: encoding, sampleRate, payload: b64(p) } }));
    }
  });

  it('says nothing for media before the carrier named its stream', () => {
    expect(new TwilioSerializer().serialize({ type: 'media', payload: new Uint8Array(4) })).toBeUndefined();
    expect(new PlivoSerializer().serialize({ type: 'media', payload: new Uint8Array(4) })).toBeUndefined();
  });
});

describe('media as bytes (serializeMedia, the socket path)', () => {
  it('encodeBase64Into writes what Buffer writes, for every length class', async () => {
    const { encodeBase64Into, base64Length } = await import('../src/transport/media-json.js');
    for (const payload of payloads()) {
      const out = new Uint8Array(base64Length(payload.length) + 3).fill(0x21);
      const end = encodeBase64Into(payload, out, 2);
      expect(end).toBe(2 + base64Length(payload.length));
      expect(Buffer.from(out.subarray(2, end)).toString('latin1')).toBe(b64(payload));
      expect(out[0]).toBe(0x21);
      expect(out[end]).toBe(0x21);
    }
  });

  it('FastRTC JSON: the same bytes as serialize, sent as text, in one lent Buffer until kept', () => {
    const s = new FastRtcSerializer();
    let previous: Buffer | undefined;
    for (const payload of payloads()) {
      const wire = s.serializeMedia(payload);
      expect(wire.binary).toBe(false);
      expect(wire.bytes.toString('utf8')).toBe(s.serialize({ type: 'media', payload }));
      previous = wire.bytes;
    }
    const payload = payloads()[8]!;
    const a = Buffer.from(s.serializeMedia(payload).bytes);
    const lent = s.serializeMedia(payload).bytes;
    expect(s.serializeMedia(payload).bytes).toBe(lent); // same size: the same Buffer, no new view
    s.mediaKept();
    const fresh = s.serializeMedia(payloads()[9]!).bytes;
    expect(fresh.buffer).not.toBe(lent.buffer); // the kept one is not written over
    expect(lent).toEqual(a);
    expect(previous).toBeDefined();
  });

  it('FastRTC binary output: a view of the payload, sent as binary', () => {
    const s = new FastRtcSerializer();
    s.binaryOutput = true;
    const payload = payloads()[12]!;
    const wire = s.serializeMedia(payload);
    expect(wire.binary).toBe(true);
    expect(wire.bytes.buffer).toBe(payload.buffer);
    expect(wire.bytes.byteOffset).toBe(payload.byteOffset);
    expect(wire.bytes).toEqual(s.serialize({ type: 'media', payload }));
  });
});
