import { mkdir, readdir, realpath } from 'node:fs/promises';
import { WavegateError } from '../errors/wavegate-error.js';
import type { GrowthSignal } from './growth-signal.js';
import { idFromFileName, openRecording } from './recording-file.js';
import { parseWavLayout, WAV_LAYOUT_PROBE_BYTES, wavDurationS, type WavLayout } from './wav-layout.js';

export interface RecordingInfo {
  readonly id: string;
  /** Bytes of the file now (a live file keeps growing). */
  readonly bytes: number;
  /** Seconds of audio now. */
  readonly durationS: number;
  readonly live: boolean;
  readonly sampleRate: number;
  readonly channels: number;
  /** ISO time of the last write. */
  readonly modified: string;
}

/**
 * The recordings folder: where files are, which ones are live in this process (their growth
 * signals, registered by the recorders), and what each holds. Every read goes through
 * `openRecording`, so the folder is never left.
 */
export class RecordingStore {
  readonly dir: string;
  private resolvedDir: string | undefined;
  private readonly liveSignals = new Map<string, GrowthSignal>();

  constructor(dir: string) {
    if (typeof dir !== 'string' || dir.length === 0) throw new TypeError(`Expected \`recordDir\` to be a non-empty string, got \`${String(dir)}\``);
    this.dir = dir;
  }

  /** Creates the folder if needed and resolves its real path (symbolic links in the folder path itself are allowed). */
  async open(): Promise<string> {
    await mkdir(this.dir, { recursive: true });
    this.resolvedDir = await realpath(this.dir);
    return this.resolvedDir;
  }

  get realDir(): string {
    if (this.resolvedDir === undefined) throw new Error('RecordingStore.open() was not awaited');
    return this.resolvedDir;
  }

  /** A recorder announces its file; ids are unique among live recordings (WG_ERR_DUPLICATE_SESSION). */
  addLive(id: string, signal: GrowthSignal): void {
    if (this.liveSignals.has(id)) throw new WavegateError('WG_ERR_DUPLICATE_SESSION', `recording ${id} is already being written`);
    this.liveSignals.set(id, signal);
  }

  /** The recorder is done (the header is patched, or the recording failed and stopped). */
  removeLive(id: string, signal: GrowthSignal): void {
    if (this.liveSignals.get(id) === signal) this.liveSignals.delete(id);
  }

  liveSignal(id: string): GrowthSignal | undefined {
    const signal = this.liveSignals.get(id);
    return signal === undefined || signal.finished ? undefined : signal;
  }

  get liveCount(): number {
    return this.liveSignals.size;
  }

  /** Ids of the recording files in the folder (plain files named `${id}.wav`, id on the pattern). */
  async ids(): Promise<string[]> {
    const entries = await readdir(this.realDir, { withFileTypes: true });
    const ids: string[] = [];
    for (const entry of entries) {
      const id = entry.isFile() ? idFromFileName(entry.name) : undefined;
      if (id !== undefined) ids.push(id);
    }
    return ids.sort();
  }

  /** What one recording holds now; undefined when it vanished, is refused, or is not a readable WAV. */
  async describe(id: string): Promise<RecordingInfo | undefined> {
    let opened;
    try {
      opened = await openRecording(this.realDir, id);
    } catch (err) {
      if (err instanceof WavegateError) return undefined;
      throw err;
    }
    try {
      const signal = this.liveSignal(id);
      const size = signal?.size ?? opened.stat.size;
      const layout = await readLayout(opened.handle, size);
      if (layout === undefined) return undefined;
      return {
        id,
        bytes: size,
        durationS: wavDurationS(layout),
        live: signal !== undefined,
        sampleRate: layout.format.sampleRate,
        channels: layout.format.channels,
        modified: opened.stat.mtime.toISOString(),
      };
    } finally {
      await opened.handle.close();
    }
  }

  async list(): Promise<RecordingInfo[]> {
    const out: RecordingInfo[] = [];
    for (const id of await this.ids()) {
      const info = await this.describe(id);
      if (info !== undefined) out.push(info);
    }
    return out;
  }
}

/** The layout of an open recording of `size` bytes, or undefined when it is not a readable WAV. */
export async function readLayout(handle: import('node:fs/promises').FileHandle, size: number): Promise<WavLayout | undefined> {
  const head = Buffer.alloc(Math.min(size, WAV_LAYOUT_PROBE_BYTES));
  const { bytesRead } = await handle.read(head, 0, head.length, 0);
  try {
    return parseWavLayout(head.subarray(0, bytesRead), size);
  } catch (err) {
    if (err instanceof WavegateError) return undefined;
    throw err;
  }
}
