import { WavegateError } from '../errors/wavegate-error.js';

/**
 * Pure reading of a WAV file's layout from its first bytes: the `fmt ` fields the server needs
 * (to turn `?pos=` seconds into a frame-aligned byte offset and to write a fresh header) and where
 * the `data` chunk starts. The header of a recording that is still being written (or whose process
 * died) carries placeholder sizes; then the audio runs to the end of the file.
 */

export interface WavFormat {
  /** 1 = PCM, 3 = IEEE float, 0xFFFE = extensible (its sub-format is not inspected). */
  readonly formatTag: number;
  readonly channels: number;
  readonly sampleRate: number;
  readonly bitsPerSample: number;
  /** Bytes per frame (all channels of one sample instant). */
  readonly blockAlign: number;
}

export interface WavLayout {
  readonly format: WavFormat;
  /** The whole `fmt ` chunk as found (id, size, body, pad), copied into headers made for `?pos=`. */
  readonly fmtChunk: Buffer;
  /** File offset of the first audio byte. */
  readonly dataOffset: number;
  /** The data size the header declares, or undefined when it is a placeholder (0, 0xFFFFFFFF, or past the end). */
  readonly declaredDataBytes: number | undefined;
  /** Audio bytes that exist: the declared size, else the rest of the file; whole frames only. */
  readonly dataBytes: number;
}

/** Bytes to read from the start of a file to find the `data` chunk behind the usual chunks. */
export const WAV_LAYOUT_PROBE_BYTES = 64 * 1024;

const PLACEHOLDER = 0xffff_ffff;

function refuse(detail: string): never {
  throw new WavegateError('WG_ERR_BAD_WAV', detail);
}

/** `head` is the start of the file (up to WAV_LAYOUT_PROBE_BYTES), `fileSize` its current length. */
export function parseWavLayout(head: Buffer, fileSize: number): WavLayout {
  if (head.length < 12 || head.toString('latin1', 0, 4) !== 'RIFF' || head.toString('latin1', 8, 12) !== 'WAVE') refuse('no RIFF/WAVE header');
  let offset = 12;
  let format: WavFormat | undefined;
  let fmtChunk: Buffer | undefined;
  while (offset + 8 <= head.length) {
    const id = head.toString('latin1', offset, offset + 4);
    const size = head.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > head.length) refuse('short fmt chunk');
      format = {
        formatTag: head.readUInt16LE(body),
        channels: head.readUInt16LE(body + 2),
        sampleRate: head.readUInt32LE(body + 4),
        blockAlign: head.readUInt16LE(body + 12),
        bitsPerSample: head.readUInt16LE(body + 14),
      };
      if (format.channels === 0 || format.sampleRate === 0 || format.blockAlign === 0) refuse(`fmt has ${format.channels} channels, ${format.sampleRate} Hz, block ${format.blockAlign}`);
      if (body + size > head.length) refuse('fmt chunk runs past the probe');
      fmtChunk = Buffer.from(head.subarray(offset, body + size + (size % 2)));
    } else if (id === 'data') {
      if (format === undefined || fmtChunk === undefined) refuse('data chunk before fmt chunk');
      const available = Math.max(0, fileSize - body);
      const placeholder = size === 0 || size === PLACEHOLDER || size > available;
      const bytes = placeholder ? available : size;
      return {
        format,
        fmtChunk,
        dataOffset: body,
        declaredDataBytes: placeholder ? undefined : size,
        dataBytes: bytes - (bytes % format.blockAlign),
      };
    }
    offset = body + size + (size % 2);
  }
  return refuse(format === undefined ? 'no fmt chunk' : `no data chunk in the first ${head.length} bytes`);
}

/** Duration in seconds of `dataBytes` of audio. */
export function wavDurationS(layout: Pick<WavLayout, 'format' | 'dataBytes'>): number {
  return layout.dataBytes / layout.format.blockAlign / layout.format.sampleRate;
}

/**
 * A fresh header (RIFF, the original `fmt ` chunk, `data`) for `dataBytes` of audio, or with
 * placeholder sizes (0xFFFFFFFF: "to the end of the file") for a body that is still growing.
 */
export function buildWavHeader(fmtChunk: Buffer, dataBytes: number | undefined): Buffer {
  const header = Buffer.alloc(12 + fmtChunk.length + 8);
  const dataAt = 12 + fmtChunk.length;
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(dataBytes === undefined ? PLACEHOLDER : Math.min(PLACEHOLDER, header.length - 8 + dataBytes), 4);
  header.write('WAVE', 8, 'latin1');
  fmtChunk.copy(header, 12);
  header.write('data', dataAt, 'latin1');
  header.writeUInt32LE(dataBytes === undefined ? PLACEHOLDER : Math.min(PLACEHOLDER, dataBytes), dataAt + 4);
  return header;
}
