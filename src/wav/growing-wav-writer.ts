/**
 * A PCM16 WAV file that grows while a session runs, readable at every moment.
 *
 * open() writes the 44-byte header with placeholder sizes (0xFFFFFFFF, see wav-header.ts); append()
 * copies interleaved samples into a bounded pending queue; a flush writes the queue at the end of the
 * file at most `flushIntervalMs` after the first pending sample (sooner once `flushBytes` are pending),
 * then emits 'grow' with the new file length so live readers know how far they may read. close()
 * flushes, patches the RIFF and data sizes to the truth and closes the file. repairWavHeader() does the
 * patching for a file left behind by a process that died before close().
 *
 * Failures never reach the caller's event loop as exceptions: a failed write (disk full, I/O error)
 * ends the recording — state 'failed', 'failed' event with a WG_ERR_RECORDING_WRITE_FAILED error,
 * `stats.writeErrors` counted — later appends are dropped and counted, and close() still patches what
 * was written and resolves. A full pending queue (slow disk) drops new audio and counts it.
 */
import { EventEmitter } from 'node:events';
import { open, type FileHandle } from 'node:fs/promises';
import { encodeL16 } from '../codecs/l16.js';
import { WavegateError } from '../errors/wavegate-error.js';
import { fileErrorCause } from './file-error-cause.js';
import { parseWavHeader, WAV_HEADER_BYTES, WAV_MAX_DATA_BYTES, WAV_SIZE_UNKNOWN, wavHeader } from './wav-header.js';

export interface GrowingWavWriterOptions {
  sampleRate: number;
  /** 1 (mono) or 2 (interleaved stereo). */
  channels?: 1 | 2;
  /** Longest time appended audio waits before it is written. */
  flushIntervalMs?: number;
  /** Pending bytes that trigger a flush at once. */
  flushBytes?: number;
  /** Pending bytes beyond which new audio is dropped (and counted) while the disk is slow. */
  maxPendingBytes?: number;
  /** Replace an existing file instead of refusing it. */
  overwrite?: boolean;
  /** Data bytes after which the recording stops (the WAV 4 GiB limit unless told). */
  maxDataBytes?: number;
}

export interface GrowingWavWriterStats {
  readonly state: 'open' | 'failed' | 'closed';
  /** PCM bytes on disk (after the header). */
  readonly dataBytes: number;
  /** Sample frames (per channel) on disk. */
  readonly frames: number;
  readonly durationMs: number;
  readonly droppedFrames: number;
  readonly writeErrors: number;
  readonly lastError: WavegateError | undefined;
}

export interface GrowingWavWriterEvents {
  /** File length in bytes (header + data on disk) after a flush. */
  grow: [byteLength: number];
  failed: [error: WavegateError];
  closed: [stats: GrowingWavWriterStats];
}

const DEFAULTS = { channels: 1 as 1 | 2, flushIntervalMs: 200, flushBytes: 64 * 1024, maxPendingBytes: 4 * 1024 * 1024, overwrite: false, maxDataBytes: WAV_MAX_DATA_BYTES };

function checkNumber(name: string, value: number, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`GrowingWavWriter option ${name} must be an integer in ${min}..${max}, got ${String(value)}`);
  }
}

export class GrowingWavWriter extends EventEmitter<GrowingWavWriterEvents> {
  readonly path: string;
  readonly sampleRate: number;
  readonly channels: 1 | 2;
  readonly #options: typeof DEFAULTS;
  readonly #file: FileHandle;
  #closed = false;
  /** False once the recording has ended: write failure, size limit or close(). */
  #accepting = true;
  /** True after a write failed; later writes are skipped, so the file never gets a hole. */
  #diskFailed = false;
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  /** Flushed bytes whose write has not finished yet; counts against maxPendingBytes too. */
  #inFlightBytes = 0;
  #dataBytes = 0;
  #droppedFrames = 0;
  #writeErrors = 0;
  #lastError: WavegateError | undefined;
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> = Promise.resolve();
  #closing: Promise<GrowingWavWriterStats> | undefined;

  /** Creates the file and writes the header; rejects (WG_ERR_RECORDING_WRITE_FAILED) if that fails. */
  static async open(path: string, options: GrowingWavWriterOptions): Promise<GrowingWavWriter> {
    const o = { ...DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) } as typeof DEFAULTS & { sampleRate: number };
    checkNumber('sampleRate', o.sampleRate, 1, 768000);
    if (o.channels !== 1 && o.channels !== 2) throw new RangeError(`GrowingWavWriter option channels must be 1 or 2, got ${String(o.channels)}`);
    checkNumber('flushIntervalMs', o.flushIntervalMs, 1, 60000);
    checkNumber('flushBytes', o.flushBytes, 2, 1 << 30);
    checkNumber('maxPendingBytes', o.maxPendingBytes, o.flushBytes, 1 << 30);
    checkNumber('maxDataBytes', o.maxDataBytes, 0, WAV_MAX_DATA_BYTES);
    let file: FileHandle | undefined;
    try {
      file = await open(path, o.overwrite ? 'w' : 'wx');
      await file.write(wavHeader({ sampleRate: o.sampleRate, channels: o.channels }), 0, WAV_HEADER_BYTES, 0);
    } catch (err) {
      await file?.close().catch(() => undefined);
      throw new WavegateError('WG_ERR_RECORDING_WRITE_FAILED', `${path}: ${fileErrorCause(err)}`, { cause: err });
    }
    return new GrowingWavWriter(path, o, file);
  }

  private constructor(path: string, options: typeof DEFAULTS & { sampleRate: number }, file: FileHandle) {
    super();
    this.path = path;
    this.sampleRate = options.sampleRate;
    this.channels = options.channels;
    this.#options = options;
    this.#file = file;
  }

  get stats(): GrowingWavWriterStats {
    const frames = this.#dataBytes / (2 * this.channels);
    return {
      state: this.#closed ? 'closed' : this.#lastError ? 'failed' : 'open',
      dataBytes: this.#dataBytes,
      frames,
      durationMs: (frames * 1000) / this.sampleRate,
      droppedFrames: this.#droppedFrames,
      writeErrors: this.#writeErrors,
      lastError: this.#lastError,
    };
  }

  /** File length on disk: what a live reader may read. */
  get byteLength(): number {
    return WAV_HEADER_BYTES + this.#dataBytes;
  }

  /**
   * Queues interleaved samples (copied). Returns false when they were dropped: writer not open, queue
   * full, or size limit reached. Throws only for a sample count that is not whole frames.
   */
  append(samples: Int16Array): boolean {
    if (samples.length % this.channels !== 0) throw new RangeError(`append: ${samples.length} samples are not whole ${this.channels}-channel frames`);
    const bytes = samples.length * 2;
    if (bytes === 0) return true;
    if (!this.#accepting) return this.#drop(samples.length);
    if (this.#pendingBytes + this.#inFlightBytes + bytes > this.#options.maxPendingBytes) return this.#drop(samples.length);
    if (this.#dataBytes + this.#pendingBytes + bytes > this.#options.maxDataBytes) {
      void this.flush(); // what was accepted before the limit is still written
      this.#fail(new WavegateError('WG_ERR_RECORDING_WRITE_FAILED', `${this.path}: size limit of ${this.#options.maxDataBytes} data bytes reached`));
      return this.#drop(samples.length);
    }
    this.#pending.push(encodeL16(samples));
    this.#pendingBytes += bytes;
    if (this.#pendingBytes >= this.#options.flushBytes) void this.flush();
    else this.#timer ??= setTimeout(() => void this.flush(), this.#options.flushIntervalMs).unref();
    return true;
  }

  /** Writes everything pending; resolves once it is on disk (never rejects). */
  flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pendingBytes === 0) return this.#writing;
    const chunk = Buffer.concat(this.#pending, this.#pendingBytes);
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#inFlightBytes += chunk.length;
    this.#writing = this.#writing.then(async () => {
      await this.#write(chunk);
      this.#inFlightBytes -= chunk.length;
    });
    return this.#writing;
  }

  /** Flushes, patches the header sizes, closes the file. Idempotent; never rejects. */
  close(): Promise<GrowingWavWriterStats> {
    this.#closing ??= (async () => {
      this.#accepting = false;
      await this.flush();
      try {
        await this.#file.write(wavHeader({ sampleRate: this.sampleRate, channels: this.channels, dataBytes: this.#dataBytes }), 0, WAV_HEADER_BYTES, 0);
        await this.#file.truncate(WAV_HEADER_BYTES + this.#dataBytes);
      } catch (err) {
        this.#fail(new WavegateError('WG_ERR_RECORDING_WRITE_FAILED', `${this.path}: patching the header: ${fileErrorCause(err)}`, { cause: err }));
      }
      await this.#file.close().catch(() => undefined);
      this.#closed = true;
      const stats = this.stats;
      this.#emit('closed', stats);
      return stats;
    })();
    return this.#closing;
  }

  async #write(chunk: Buffer): Promise<void> {
    if (this.#diskFailed) {
      this.#droppedFrames += chunk.length / (2 * this.channels);
      return;
    }
    try {
      let done = 0;
      while (done < chunk.length) {
        const { bytesWritten } = await this.#file.write(chunk, done, chunk.length - done, WAV_HEADER_BYTES + this.#dataBytes + done);
        if (bytesWritten <= 0) throw new Error('write made no progress');
        done += bytesWritten;
      }
      this.#dataBytes += chunk.length;
      this.#emit('grow', this.byteLength);
    } catch (err) {
      // A partial write leaves bytes past #dataBytes; close() truncates them away.
      this.#diskFailed = true;
      this.#droppedFrames += chunk.length / (2 * this.channels);
      this.#fail(new WavegateError('WG_ERR_RECORDING_WRITE_FAILED', `${this.path}: ${fileErrorCause(err)}`, { cause: err }));
    }
  }

  #drop(samples: number): false {
    this.#droppedFrames += samples / this.channels;
    return false;
  }

  #fail(error: WavegateError): void {
    this.#writeErrors++;
    const first = this.#lastError === undefined;
    this.#lastError = error;
    this.#accepting = false;
    if (this.#diskFailed) {
      this.#droppedFrames += this.#pendingBytes / (2 * this.channels);
      this.#pending = [];
      this.#pendingBytes = 0;
    }
    if (first) this.#emit('failed', error);
  }

  /** Listeners run inside file callbacks; one that throws is reported as a warning, never rethrown. */
  #emit<K extends keyof GrowingWavWriterEvents>(event: K, ...args: GrowingWavWriterEvents[K]): void {
    try {
      (this.emit as (e: K, ...a: GrowingWavWriterEvents[K]) => boolean)(event, ...args);
    } catch (err) {
      process.emitWarning(`GrowingWavWriter '${event}' listener threw: ${(err as Error).message}`, 'WavegateWarning');
    }
  }
}

export interface WavRepair {
  readonly changed: boolean;
  readonly dataBytes: number;
  /** Bytes of a partial last frame that were cut off. */
  readonly truncatedBytes: number;
}

/**
 * Fixes the RIFF and data sizes of a WAV file whose writer died before close(): when the data size is
 * a placeholder (0 or 0xFFFFFFFF) or runs past the end of the file, it becomes the audio actually
 * present (whole frames; a partial last frame is cut). Not a WAV → WG_ERR_BAD_WAV.
 */
export async function repairWavHeader(path: string): Promise<WavRepair> {
  const file = await open(path, 'r+');
  try {
    const head = Buffer.alloc(4096);
    const { bytesRead } = await file.read(head, 0, head.length, 0);
    const parsed = parseWavHeader(head.subarray(0, bytesRead));
    if (typeof parsed === 'string') throw new WavegateError('WG_ERR_BAD_WAV', `${path}: ${parsed}`);
    const { size } = await file.stat();
    const blockAlign = Math.max(1, parsed.blockAlign);
    const present = Math.max(0, size - parsed.dataOffset);
    const declared = parsed.declaredDataSize;
    if (declared !== 0 && declared !== WAV_SIZE_UNKNOWN && declared <= present) return { changed: false, dataBytes: declared, truncatedBytes: 0 };
    const dataBytes = Math.min(present - (present % blockAlign), WAV_MAX_DATA_BYTES - (WAV_MAX_DATA_BYTES % blockAlign));
    const sizes = Buffer.alloc(4);
    sizes.writeUInt32LE(parsed.dataOffset + dataBytes - 8);
    await file.write(sizes, 0, 4, 4);
    sizes.writeUInt32LE(dataBytes);
    await file.write(sizes, 0, 4, parsed.dataSizeOffset);
    const truncatedBytes = present - dataBytes;
    if (truncatedBytes > 0) await file.truncate(parsed.dataOffset + dataBytes);
    return { changed: true, dataBytes, truncatedBytes };
  } finally {
    await file.close();
  }
}
