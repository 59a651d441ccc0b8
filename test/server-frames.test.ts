import { describe, expect, it } from 'vitest';
import * as ws from 'ws';
import { ServerFrames } from '../src/transport/server-frames.js';

/**
 * Server frames written by the socket adapter itself (src/transport/server-frames.ts), read back by ws's
 * own client-side parser: every length form of RFC 6455 §5.2 (7-bit up to 125, 16-bit up to 65535,
 * 64-bit above), text and binary, and the reused Buffer's lending rule.
 */
/** ws's frame parser (exported by ws, not declared by @types/ws). */
interface FrameReceiver {
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): void;
  on(event: 'error', listener: (err: Error) => void): void;
  write(chunk: Buffer): void;
}
const Receiver = (ws as unknown as { Receiver: new (options: { isServer: boolean; maxPayload: number }) => FrameReceiver }).Receiver;

function parse(frames: Buffer[]): Array<{ data: Buffer; isBinary: boolean }> {
  const receiver = new Receiver({ isServer: false, maxPayload: 0 });
  const out: Array<{ data: Buffer; isBinary: boolean }> = [];
  receiver.on('message', (data: Buffer, isBinary: boolean) => out.push({ data: Buffer.from(data), isBinary }));
  receiver.on('error', (err: Error) => {
    throw err;
  });
  for (const f of frames) receiver.write(Buffer.from(f));
  return out;
}

/** `n` bytes; ASCII letters when `text` (a text frame must be UTF-8: ws checks). */
const bytes = (n: number, seed: number, text = false): Buffer => {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = text ? 0x41 + ((i * 31 + seed) % 26) : (i * 31 + seed) & 0xff;
  return b;
};

describe('ServerFrames', () => {
  it('frames payloads of every length form so that ws reads them back byte for byte', () => {
    const frames = new ServerFrames();
    const lengths = [0, 1, 125, 126, 127, 1280, 65535, 65536, 70000];
    const written: Buffer[] = [];
    const sent: Array<{ data: Buffer; isBinary: boolean }> = [];
    lengths.forEach((n, k) => {
      const isBinary = k % 2 === 0;
      const payload = bytes(n, k, !isBinary);
      const frame = frames.frame(payload, isBinary);
      expect(frame.length).toBe(n + (n < 126 ? 2 : n < 65536 ? 4 : 10));
      written.push(Buffer.from(frame)); // copied: the next frame reuses the Buffer
      sent.push({ data: payload, isBinary });
    });
    const got = parse(written);
    expect(got.length).toBe(lengths.length);
    got.forEach((m, k) => {
      expect(m.isBinary).toBe(sent[k]!.isBinary);
      expect(m.data.equals(sent[k]!.data)).toBe(true);
    });
  });

  it('reuses one Buffer while frames keep their size, and gives a fresh one after kept()', () => {
    const frames = new ServerFrames();
    const a = frames.frame(bytes(960, 1), true);
    const b = frames.frame(bytes(960, 2), true);
    expect(b).toBe(a); // same view: nothing allocated per frame in steady state
    frames.kept();
    const c = frames.frame(bytes(960, 3), true);
    expect(c).not.toBe(a);
    expect(c.buffer === a.buffer && c.byteOffset === a.byteOffset).toBe(false);
    expect(parse([a])[0]!.data.equals(bytes(960, 2))).toBe(true); // the kept frame was not written over
    expect(parse([c])[0]!.data.equals(bytes(960, 3))).toBe(true);
  });
});
