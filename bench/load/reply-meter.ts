import opus from '@discordjs/opus';
import { mulawDecodeTable } from '../../src/codecs/g711.js';
import type { VariantName } from './media-variants.js';

const MULAW = mulawDecodeTable();
const PAYLOAD_KEY = Buffer.from('"payload":"');
/** Every STRIDE-th sample is enough to tell a −9 dBFS 1 kHz tone from −30 dBFS speech, at a quarter of the cost. */
const STRIDE = 4;

/** Mean square of a reply's audio (PCM16 units²), or undefined when the reply carries none. */
export type ReplyMeter = (data: Buffer, isBinary: boolean) => number | undefined;

function base64Payload(data: Buffer): Buffer | undefined {
  const start = data.indexOf(PAYLOAD_KEY);
  if (start < 0) return undefined;
  const from = start + PAYLOAD_KEY.length;
  const to = data.indexOf(34, from); // closing quote
  if (to < 0) return undefined;
  return Buffer.from(data.toString('latin1', from, to), 'base64');
}

function mulawMeanSquare(bytes: Uint8Array): number {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < bytes.length; i += STRIDE, n++) {
    const x = MULAW[bytes[i]!]!;
    sum += x * x;
  }
  return n === 0 ? 0 : sum / n;
}

function l16MeanSquare(bytes: Buffer): number {
  let sum = 0;
  let n = 0;
  for (let i = 0; i + 1 < bytes.length; i += 2 * STRIDE, n++) {
    const x = bytes.readInt16LE(i);
    sum += x * x;
  }
  return n === 0 ? 0 : sum / n;
}

/**
 * How loud a reply is, per wire format. Opus replies are decoded (one decoder per session: Opus is
 * stateful), which costs the generator ~20 µs per reply; μ-law and L16 are read in place. WebRTC
 * replies are RTP payloads, passed in as binary.
 */
export function createReplyMeter(variant: VariantName): ReplyMeter {
  switch (variant) {
    case 'mulaw-json':
      return (data, isBinary) => {
        if (isBinary) return undefined;
        const payload = base64Payload(data);
        return payload === undefined ? undefined : mulawMeanSquare(payload);
      };
    case 'l16-binary':
      return (data, isBinary) => (isBinary ? l16MeanSquare(data) : undefined);
    case 'opus-binary':
    case 'webrtc-opus': {
      const decoder = new opus.OpusEncoder(48_000, 1);
      return (data, isBinary) => (isBinary ? l16MeanSquare(decoder.decode(data)) : undefined);
    }
  }
}
