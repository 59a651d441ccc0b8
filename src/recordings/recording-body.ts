import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { GrowthSignal } from './growth-signal.js';

/**
 * The body of one recording response, read from disk on demand (pull-based `_read`, so a slow
 * client holds the reads back: backpressure end to end through `pipeline`). The representation is
 * `prefix` (a generated WAV header for `?pos=`, or nothing) followed by the file from `fileStart`.
 *
 * Bounded (`end` given): exactly the bytes `start..end` of the representation. Following (`follow`
 * given): from `start` to the end of a growing file; at the live end it waits for the recorder's
 * growth signal (bounded by `idleTimeoutMs`), and it ends when the recording finishes and every byte
 * is sent, or when no audio arrived for `idleTimeoutMs` ("answer with what exists").
 */

export interface RecordingBodyOptions {
  readonly handle: FileHandle;
  readonly prefix: Buffer;
  readonly fileStart: number;
  /** First byte of the representation to send. */
  readonly start: number;
  /** Last byte (inclusive) for a bounded body; undefined with `follow`. */
  readonly end?: number;
  readonly follow?: { readonly signal: GrowthSignal; readonly idleTimeoutMs: number };
  /** Bytes per read (default 64 KiB). */
  readonly chunkBytes?: number;
  /** Closes the handle when the body ends or is destroyed (default true). */
  readonly closeHandle?: boolean;
}

export class RecordingBody extends Readable {
  private position: number;
  private readonly options: RecordingBodyOptions;
  private readonly chunkBytes: number;
  private readonly aborter = new AbortController();
  private reading = false;
  private wanted = false;
  private ended = false;

  constructor(options: RecordingBodyOptions) {
    super({ highWaterMark: options.chunkBytes ?? 64 * 1024 });
    if ((options.end === undefined) === (options.follow === undefined)) throw new TypeError('RecordingBody needs exactly one of `end` and `follow`');
    this.options = options;
    this.position = options.start;
    this.chunkBytes = options.chunkBytes ?? 64 * 1024;
  }

  override _read(): void {
    // Node may ask again while a read is in flight (a push can trigger it); remember, never drop it.
    this.wanted = true;
    if (this.reading) return;
    this.reading = true;
    void this.drive();
  }

  private async drive(): Promise<void> {
    try {
      while (this.wanted && !this.destroyed && !this.ended) {
        this.wanted = false;
        await this.pump();
      }
    } catch (err) {
      this.destroy(err instanceof Error ? err : new Error(String(err)));
    } finally {
      this.reading = false;
    }
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.aborter.abort();
    if (this.options.closeHandle === false) {
      callback(err);
      return;
    }
    this.options.handle.close().then(
      () => callback(err),
      () => callback(err),
    );
  }

  private finishBody(): void {
    this.ended = true;
    this.push(null);
  }

  /** Pushes one chunk (or ends the stream); `_read` is called again when the consumer wants more. */
  private async pump(): Promise<void> {
    const { prefix, end, follow } = this.options;
    if (end !== undefined && this.position > end) {
      this.finishBody();
      return;
    }
    if (this.position < prefix.length) {
      const stop = Math.min(prefix.length, end === undefined ? prefix.length : end + 1);
      const slice = prefix.subarray(this.position, stop);
      this.position = stop;
      this.push(slice);
      return;
    }
    const fileOffset = this.options.fileStart + (this.position - prefix.length);
    let want = this.chunkBytes;
    if (end !== undefined) want = Math.min(want, end + 1 - this.position);
    if (follow !== undefined) {
      let available = follow.signal.size - fileOffset;
      while (available <= 0 && !follow.signal.finished) {
        const result = await follow.signal.waitBeyond(fileOffset, follow.idleTimeoutMs, this.aborter.signal);
        if (this.destroyed || result === 'aborted') return;
        if (result === 'timeout') {
          this.finishBody();
          return;
        }
        available = follow.signal.size - fileOffset;
      }
      if (available <= 0) {
        this.finishBody();
        return;
      }
      want = Math.min(want, available);
    }
    const buffer = Buffer.allocUnsafe(want);
    const { bytesRead } = await this.options.handle.read(buffer, 0, want, fileOffset);
    if (this.destroyed) return;
    if (bytesRead === 0) {
      if (end !== undefined) throw new Error(`recording shrank: no bytes at offset ${fileOffset}`);
      this.finishBody();
      return;
    }
    this.position += bytesRead;
    this.push(bytesRead === want ? buffer : buffer.subarray(0, bytesRead));
  }
}
