import { join } from 'node:path';
import { repairWavHeader } from '../wav/growing-wav-writer.js';
import { WavegateError } from '../errors/wavegate-error.js';
import { openRecording, recordingFileName } from './recording-file.js';
import { recordingOwnerState, releaseRecording } from './recording-owner.js';
import { readLayout, type RecordingStore } from './recording-store.js';

export interface RepairReport {
  readonly repaired: Array<{ readonly id: string; readonly dataBytes: number; readonly truncatedBytes: number }>;
  /** Left alone: still written by a live process, maybe live elsewhere (recent), refused or not a WAV. */
  readonly skipped: Array<{ readonly id: string; readonly reason: 'owner-alive' | 'recent-foreign-owner' | 'refused' | 'not-wav' }>;
  readonly failed: Array<{ readonly id: string; readonly error: string }>;
}

/**
 * Patches the header sizes of every recording in the folder that a dead process left unfinished
 * (placeholder sizes, sizes past the end, or an owner sidecar) — see recording-owner.ts for how a
 * recording still being written by another process is told apart. Readers could already read such a
 * file to its end; after the repair every tool sees its true duration.
 */
export async function repairRecordings(store: RecordingStore, options: { readonly staleAfterMs: number; readonly nowMs: number }): Promise<RepairReport> {
  const report: RepairReport = { repaired: [], skipped: [], failed: [] };
  const dir = store.realDir;
  for (const id of await store.ids()) {
    if (store.liveSignal(id) !== undefined) continue;
    let unfinished: boolean;
    let modifiedMs: number;
    try {
      const { handle, stat } = await openRecording(dir, id);
      try {
        const layout = await readLayout(handle, stat.size);
        if (layout === undefined) {
          report.skipped.push({ id, reason: 'not-wav' });
          continue;
        }
        unfinished = layout.declaredDataBytes === undefined || layout.dataOffset + layout.declaredDataBytes !== stat.size;
        modifiedMs = stat.mtimeMs;
      } finally {
        await handle.close();
      }
    } catch (err) {
      if (!(err instanceof WavegateError)) throw err;
      report.skipped.push({ id, reason: 'refused' });
      continue;
    }
    const owner = await recordingOwnerState(dir, id);
    if (!unfinished && owner === 'gone') {
      await releaseRecording(dir, id);
      continue;
    }
    if (owner === 'alive') {
      report.skipped.push({ id, reason: 'owner-alive' });
      continue;
    }
    if (owner === 'unknown' && options.nowMs - modifiedMs < options.staleAfterMs) {
      report.skipped.push({ id, reason: 'recent-foreign-owner' });
      continue;
    }
    try {
      const result = await repairWavHeader(join(dir, recordingFileName(id)));
      if (result.changed) report.repaired.push({ id, dataBytes: result.dataBytes, truncatedBytes: result.truncatedBytes });
      await releaseRecording(dir, id);
    } catch (err) {
      report.failed.push({ id, error: err instanceof Error ? err.message : String(err) });
    }
  }
  return report;
}
