/**
 * The canonical 44-byte header of a PCM16 WAV file, and a parser for the chunks before the audio.
 * Pure: bytes in, bytes or numbers out.
 *
 * A file that is still growing carries 0xFFFFFFFF in both the RIFF and the data size fields
 * (`WAV_SIZE_UNKNOWN`), the convention ffmpeg's own WAV muxer uses on unseekable output. Measured with
 * the tools on this system (see docs/media.md): ffmpeg/ffprobe and Chromium (`<audio>` and
 * decodeAudioData) read such a file to its end, as they also do with 0; sox and Python's `wave` read
 * 0xFFFFFFFF files to the end too but see a size of 0 as an empty (sox) or invalid (Python) file.
 * So 0xFFFFFFFF is what a reader of a live or crashed recording can use; the sizes are patched to the
 * truth when the writer closes, or by repairWavHeader() after a crash.
 */

export const WAV_HEADER_BYTES = 44;
export const WAV_SIZE_UNKNOWN = 0xffffffff;
/** The largest data chunk whose sizes still fit the 32-bit fields below the placeholder. */
export const WAV_MAX_DATA_BYTES = 0xffffffff - 36 - 1;

export interface WavHeaderFields {
  readonly sampleRate: number;
  readonly channels: number;
  /** Bytes of PCM in the data chunk, or undefined while unknown (placeholder sizes). */
  readonly dataBytes?: number | undefined;
}

/** 44 bytes: RIFF/WAVE, a 16-byte PCM `fmt ` chunk (16 bits), and the `data` chunk header. */
export function wavHeader({ sampleRate, channels, dataBytes }: WavHeaderFields): Uint8Array {
  if (!Number.isInteger(sampleRate) || sampleRate < 1) throw new RangeError(`sampleRate must be a positive integer, got ${String(sampleRate)}`);
  if (!Number.isInteger(channels) || channels < 1 || channels > 8) throw new RangeError(`channels must be an integer 1..8, got ${String(channels)}`);
  if (dataBytes !== undefined && (!Number.isInteger(dataBytes) || dataBytes < 0 || dataBytes > WAV_MAX_DATA_BYTES)) {
    throw new RangeError(`dataBytes must be an integer 0..${WAV_MAX_DATA_BYTES}, got ${String(dataBytes)}`);
  }
  const h = Buffer.alloc(WAV_HEADER_BYTES);
  const blockAlign = channels * 2;
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(dataBytes === undefined ? WAV_SIZE_UNKNOWN : 36 + dataBytes, 4);
  h.write('WAVE', 8, 'latin1');
  h.write('fmt ', 12, 'latin1');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20); // WAVE_FORMAT_PCM
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * blockAlign, 28);
  h.writeUInt16LE(blockAlign, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'latin1');
  h.writeUInt32LE(dataBytes === undefined ? WAV_SIZE_UNKNOWN : dataBytes, 40);
  return h;
}

export interface ParsedWavHeader {
  readonly sampleRate: number;
  readonly channels: number;
  readonly bitsPerSample: number;
  readonly blockAlign: number;
  /** Offset of the RIFF size field is always 4; this is where the data chunk's size field sits. */
  readonly dataSizeOffset: number;
  /** First byte of audio. */
  readonly dataOffset: number;
  /** Sizes as written in the file (may be placeholders). */
  readonly declaredRiffSize: number;
  readonly declaredDataSize: number;
}

/**
 * Walks the chunks of a RIFF/WAVE file up to the `data` chunk. `bytes` must hold the file's beginning
 * through the data chunk header. Returns a reason string instead of throwing when it is not a WAV.
 */
export function parseWavHeader(bytes: Uint8Array): ParsedWavHeader | string {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < 12 || b.toString('latin1', 0, 4) !== 'RIFF' || b.toString('latin1', 8, 12) !== 'WAVE') return 'no RIFF/WAVE signature';
  let pos = 12;
  let fmt: { sampleRate: number; channels: number; bitsPerSample: number; blockAlign: number } | undefined;
  while (pos + 8 <= b.length) {
    const id = b.toString('latin1', pos, pos + 4);
    const size = b.readUInt32LE(pos + 4);
    if (id === 'fmt ') {
      if (size < 16 || pos + 8 + 16 > b.length) return 'fmt chunk too short';
      fmt = {
        channels: b.readUInt16LE(pos + 10),
        sampleRate: b.readUInt32LE(pos + 12),
        blockAlign: b.readUInt16LE(pos + 20),
        bitsPerSample: b.readUInt16LE(pos + 22),
      };
    } else if (id === 'data') {
      if (!fmt) return 'data chunk before fmt chunk';
      return { ...fmt, dataSizeOffset: pos + 4, dataOffset: pos + 8, declaredRiffSize: b.readUInt32LE(4), declaredDataSize: size };
    }
    if (size === WAV_SIZE_UNKNOWN) return `chunk '${id}' has unknown size before the data chunk`;
    pos += 8 + size + (size & 1);
  }
  return 'no data chunk in the first bytes';
}
