import type { DirectoryAdmission, DirectoryEntry } from './session-directory.js';

/**
 * The box's session directory, held by the `--workers` primary without Redis (docs/scale-out.md#workers):
 * one id per box, one limit for the box. Pure: no I/O; the primary feeds it its workers' requests and
 * drops a worker's sessions the moment that worker exits.
 */
export class BoxDirectory {
  private readonly entries = new Map<string, { entry: DirectoryEntry; worker: number }>();

  constructor(readonly limit: number | null) {}

  get size(): number {
    return this.entries.size;
  }

  admit(entry: DirectoryEntry, worker: number): DirectoryAdmission {
    if (this.entries.has(entry.id)) return { ok: false, reason: 'duplicate', limit: this.limit };
    if (this.limit !== null && this.entries.size >= this.limit) return { ok: false, reason: 'limit', limit: this.limit };
    this.entries.set(entry.id, { entry, worker });
    return { ok: true, degraded: false };
  }

  /** Only the worker holding `id` can release it. */
  release(id: string, worker: number): void {
    if (this.entries.get(id)?.worker === worker) this.entries.delete(id);
  }

  get(id: string): DirectoryEntry | undefined {
    return this.entries.get(id)?.entry;
  }

  list(): DirectoryEntry[] {
    return [...this.entries.values()].map((e) => e.entry);
  }

  /** A worker exited: its ids and slots are free. Returns how many sessions it held. */
  dropWorker(worker: number): number {
    let dropped = 0;
    for (const [id, e] of this.entries) {
      if (e.worker !== worker) continue;
      this.entries.delete(id);
      dropped++;
    }
    return dropped;
  }

  countByWorker(): Map<number, number> {
    const counts = new Map<number, number>();
    for (const { worker } of this.entries.values()) counts.set(worker, (counts.get(worker) ?? 0) + 1);
    return counts;
  }
}
