import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as ws from 'ws';
import { ClientFrames } from '../src/transport/client-frames.js';

/**
 * The direct reader of client frames (src/transport/client-frames.ts) against ws's own receiver as the
 * oracle: any stream of masked text, binary and control frames, cut into chunks anywhere, reads to the
 * same messages in the same order; a frame it does not take is handed over byte for byte, with all
 * that follows, and nothing after it is delivered.
 */
interface FrameReceiver {
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): void;
  on(event: 'ping' | 'pong', listener: (data: Buffer) => void): void;
  on(event: 'error', listener: (err: Error) => void): void;
  write(chunk: Buffer): void;
}
const Receiver = (ws as unknown as { Receiver: new (options: { isServer: boolean; maxPayload: number }) => FrameReceiver }).Receiver;

interface Frame {
  readonly opcode: number;
  readonly payload: Buffer;
  readonly mask: number;
  readonly fin?: boolean;
  readonly rsv?: number;
  readonly masked?: boolean;
}

/** A client frame (RFC 6455 §5.2) with its payload masked by `mask`, in the shortest length form. */
function encode(f: Frame): Buffer {
  const n = f.payload.length;
  const masked = f.masked ?? true;
  const ext = n < 126 ? 0 : n < 65536 ? 2 : 8;
  const head = Buffer.alloc(2 + ext + (masked ? 4 : 0));
  head[0] = ((f.fin ?? true) ? 0x80 : 0) | ((f.rsv ?? 0) << 4) | f.opcode;
  head[1] = (masked ? 0x80 : 0) | (ext === 0 ? n : ext === 2 ? 126 : 127);
  if (ext === 2) head.writeUInt16BE(n, 2);
  if (ext === 8) head.writeBigUInt64BE(BigInt(n), 2);
  const body = Buffer.from(f.payload);
  if (masked) {
    const m = head.subarray(2 + ext);
    m.writeUInt32BE(f.mask >>> 0);
    for (let i = 0; i < n; i++) body[i]! ^= m[i & 3]!;
  }
  return Buffer.concat([head, body]);
}

/** `bytes` cut at the given points (fresh Buffers at odd offsets of their memory, as a socket's may be). */
function chunks(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const p of [...points, bytes.length]) {
    if (p <= from) continue;
    const slab = Buffer.alloc(p - from + 3);
    const at = (p + from) % 4;
    bytes.copy(slab, at, from, p);
    out.push(slab.subarray(at, at + p - from));
    from = p;
  }
  return out;
}

interface Read {
  messages: Array<{ data: string; isBinary: boolean }>;
  controls: Buffer[];
  handedOver: Buffer | undefined;
}

function read(parts: Buffer[], maxPayload = 0): Read {
  const out: Read = { messages: [], controls: [], handedOver: undefined };
  const frames = new ClientFrames(
    { maxPayload, skipUtf8Validation: false },
    {
      message: (data, isBinary) => out.messages.push({ data: data.toString('hex'), isBinary }),
      control: (frame) => out.controls.push(Buffer.from(frame)),
      handOver: (rest) => {
        expect(out.handedOver).toBeUndefined();
        out.handedOver = Buffer.from(rest);
      },
    },
  );
  for (const p of parts) {
    if (out.handedOver) out.handedOver = Buffer.concat([out.handedOver, p]);
    else frames.push(p);
  }
  return out;
}

/** What ws's receiver makes of the same bytes: its messages, and its pings and pongs as [opcode, payload]. */
function oracle(bytes: Buffer): { messages: Read['messages']; controls: Array<[number, string]> } {
  const receiver = new Receiver({ isServer: true, maxPayload: 0 });
  const messages: Read['messages'] = [];
  const controls: Array<[number, string]> = [];
  receiver.on('message', (data, isBinary) => messages.push({ data: data.toString('hex'), isBinary }));
  receiver.on('ping', (data) => controls.push([9, data.toString('hex')]));
  receiver.on('pong', (data) => controls.push([10, data.toString('hex')]));
  receiver.on('error', (err) => {
    throw err;
  });
  receiver.write(bytes);
  return { messages, controls };
}

const lengthArb = fc.oneof(fc.integer({ min: 0, max: 140 }), fc.integer({ min: 1000, max: 1400 }), fc.constantFrom(125, 126, 127, 65535, 65536, 70001));
/** UTF-8 text of about `n` bytes: a few multi-byte characters, then ASCII. */
const textArb = fc.tuple(lengthArb, fc.array(fc.constantFrom('é', '€', '𝄞', '"'), { maxLength: 8 })).map(([n, cs]) => {
  const b = Buffer.from(cs.join(''));
  return b.length >= n ? b : Buffer.concat([b, Buffer.alloc(n - b.length, 0x61)]);
});
const frameArb: fc.Arbitrary<Frame> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ opcode: fc.constant(1), payload: textArb, mask: fc.integer() }) },
  { weight: 4, arbitrary: fc.record({ opcode: fc.constant(2), payload: lengthArb.chain((n) => fc.uint8Array({ minLength: n, maxLength: n })).map((a) => Buffer.from(a)), mask: fc.integer() }) },
  { weight: 1, arbitrary: fc.record({ opcode: fc.constantFrom(9, 10), payload: fc.uint8Array({ maxLength: 125 }).map((a) => Buffer.from(a)), mask: fc.integer() }) },
);
const cutsArb = fc.array(fc.nat(), { maxLength: 12 });
/** Above every generated frame (70,001 bytes at most). */
const MAX_PAYLOAD = 80_000;

describe('ClientFrames', () => {
  it('reads any stream of masked frames, cut anywhere, to what ws reads from it', () => {
    fc.assert(
      fc.property(fc.array(frameArb, { minLength: 1, maxLength: 8 }), cutsArb, (list, cuts) => {
        const bytes = Buffer.concat(list.map(encode));
        const got = read(chunks(bytes, cuts));
        const want = oracle(bytes);
        expect(got.handedOver).toBeUndefined();
        expect(got.messages).toEqual(want.messages);
        // Control frames go on whole and still masked: ws's receiver reads them to the same pings and pongs.
        expect(oracle(Buffer.concat(got.controls)).controls).toEqual(want.controls);
        expect(got.controls.map((c) => c.toString('hex'))).toEqual(list.filter((f) => f.opcode >= 8).map((f) => encode(f).toString('hex')));
      }),
      { numRuns: 300, endOnFailure: true },
    );
  });

  const bad: Array<[string, Frame]> = [
    ['a fragment (FIN clear)', { opcode: 1, payload: Buffer.from('part'), mask: 7, fin: false }],
    ['a continuation frame', { opcode: 0, payload: Buffer.from('more'), mask: 7 }],
    ['an unmasked frame', { opcode: 2, payload: Buffer.alloc(300, 1), mask: 0, masked: false }],
    ['a reserved bit (RSV1, compression never negotiated)', { opcode: 2, payload: Buffer.alloc(20, 2), mask: 9, rsv: 4 }],
    ['an unknown opcode', { opcode: 3, payload: Buffer.alloc(5), mask: 1 }],
    ['a control frame over 125 bytes', { opcode: 9, payload: Buffer.alloc(126), mask: 1 }],
    ['text that is not UTF-8', { opcode: 1, payload: Buffer.from([0x7b, 0xc3, 0x28, 0x7d, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d]), mask: -12345 }],
    ['a frame over maxPayload', { opcode: 2, payload: Buffer.alloc(MAX_PAYLOAD + 1, 3), mask: 5 }],
  ];
  for (const [what, frame] of bad) {
    it(`hands over ${what} as it came, with everything after it, and delivers nothing after it`, () => {
      fc.assert(
        fc.property(fc.array(frameArb, { maxLength: 3 }), fc.array(frameArb, { maxLength: 3 }), cutsArb, (before, after, cuts) => {
          const head = Buffer.concat(before.map(encode));
          const rest = Buffer.concat([encode(frame), ...after.map(encode)]);
          const got = read(chunks(Buffer.concat([head, rest]), cuts), MAX_PAYLOAD);
          expect(got.messages).toEqual(oracle(head).messages);
          expect(got.handedOver?.toString('hex')).toBe(rest.toString('hex'));
        }),
        { numRuns: 60, endOnFailure: true },
      );
    });
  }

  it('hands over a 64-bit length above 2^32 without waiting for its payload', () => {
    const header = Buffer.from([0x82, 0xff, 0, 0, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4]);
    const got = read([header]);
    expect(got.handedOver?.toString('hex')).toBe(header.toString('hex'));
  });

  it('reads nothing after a close frame', () => {
    const close = encode({ opcode: 8, payload: Buffer.from([0x03, 0xe8]), mask: 42 });
    const later = encode({ opcode: 1, payload: Buffer.from('late'), mask: 42 });
    const frames = new ClientFrames(
      { maxPayload: 0, skipUtf8Validation: false },
      {
        message: () => expect.unreachable('no message after close'),
        control: (frame) => expect(frame.toString('hex')).toBe(close.toString('hex')),
        handOver: () => expect.unreachable('nothing handed over'),
      },
    );
    frames.push(Buffer.concat([close, later]));
    frames.push(later);
    expect(frames.done).toBe(true);
  });

  it('leaves text unchecked when told to skip UTF-8 validation (ws option skipUTF8Validation)', () => {
    const payload = Buffer.from([0xff, 0xfe, 0x41]);
    const seen: string[] = [];
    const frames = new ClientFrames({ maxPayload: 0, skipUtf8Validation: true }, { message: (d) => seen.push(d.toString('hex')), control: () => {}, handOver: () => expect.unreachable() });
    frames.push(encode({ opcode: 1, payload, mask: 77 }));
    expect(seen).toEqual([payload.toString('hex')]);
  });
});
