/** Encodings a wavegate stream can carry on the wire (docs/protocol.md mediaFormat). */
export const ENCODINGS = ['audio/x-mulaw', 'audio/x-alaw', 'audio/x-l16', 'audio/opus'] as const;
export type Encoding = (typeof ENCODINGS)[number];

export interface MediaFormat {
  readonly encoding: Encoding;
  readonly sampleRate: number;
  readonly channels: number;
}

export function isEncoding(value: unknown): value is Encoding {
  return typeof value === 'string' && (ENCODINGS as readonly string[]).includes(value);
}
