import { WavegateError } from '../errors/wavegate-error.js';

export interface Pcm16Audio {
  readonly samples: Int16Array;
  readonly sampleRate: number;
  readonly channels: number;
}

/**
 * Reads a PCM16 WAV (RIFF/WAVE, format 1, 16 bits) from memory by walking its chunks, so extra
 * chunks (LIST, fact…) are skipped. Used for the speech fixtures and flite's output. A data chunk
 * whose size field is 0 or too large (a file still being written) is read to the end of the buffer.
 */
export function parseWavPcm16(bytes: Uint8Array): Pcm16Audio {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (at: number) => String.fromCharCode(...bytes.subarray(at, at + 4));
  if (bytes.length < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') {
    throw new WavegateError('WG_ERR_UNSUPPORTED_FORMAT', 'not a RIFF/WAVE file');
  }
  let sampleRate = 0;
  let channels = 0;
  let offset = 12;
  while (offset + 8 <= bytes.length) {
    const id = tag(offset);
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (id === 'fmt ') {
      const format = view.getUint16(body, true);
      channels = view.getUint16(body + 2, true);
      sampleRate = view.getUint32(body + 4, true);
      const bits = view.getUint16(body + 14, true);
      if ((format !== 1 && format !== 0xfffe) || bits !== 16 || channels < 1 || sampleRate < 1) {
        throw new WavegateError('WG_ERR_UNSUPPORTED_FORMAT', `WAV is format ${format}, ${bits} bits, ${channels} channels, ${sampleRate} Hz; PCM16 needed`);
      }
    } else if (id === 'data') {
      if (sampleRate === 0) throw new WavegateError('WG_ERR_UNSUPPORTED_FORMAT', 'WAV data chunk before its fmt chunk');
      const available = bytes.length - body;
      const length = size === 0 || size > available ? available : size;
      const samples = new Int16Array(Math.floor(length / 2));
      for (let i = 0; i < samples.length; i++) samples[i] = view.getInt16(body + 2 * i, true);
      return { samples, sampleRate, channels };
    }
    offset = body + size + (size & 1);
  }
  throw new WavegateError('WG_ERR_UNSUPPORTED_FORMAT', 'WAV has no data chunk');
}
