import type { PrimaryLink } from './worker-ipc.js';
import type { DirectoryAdmission, DirectoryEntry, DirectoryStats, SessionDirectory } from './session-directory.js';

/**
 * A worker's view of the box's session directory, which the `--workers` primary holds (docs/scale-out.md#workers):
 * admission, release, lookups and listings are requests over node:cluster IPC. The primary drops a dead
 * worker's sessions at once, so there are no leases.
 */
export class IpcSessionDirectory implements SessionDirectory {
  private readonly counts = { refusedDuplicate: 0, refusedLimit: 0 };

  constructor(
    readonly nodeId: string,
    private readonly link: PrimaryLink,
  ) {}

  async start(): Promise<void> {}

  async admit(entry: DirectoryEntry): Promise<DirectoryAdmission> {
    // The primary is this process's parent: when it is gone the worker is shutting down anyway.
    const admission = await this.link.request<DirectoryAdmission>({ wavegate: 'admit', entry }, { ok: true, degraded: true });
    if (!admission.ok) admission.reason === 'duplicate' ? this.counts.refusedDuplicate++ : this.counts.refusedLimit++;
    return admission;
  }

  release(id: string): void {
    this.link.post({ wavegate: 'release', id });
  }

  async remoteOwner(id: string): Promise<DirectoryEntry | undefined> {
    const entry = await this.link.request<DirectoryEntry | null>({ wavegate: 'lookup', id }, null);
    return entry && entry.node !== this.nodeId ? entry : undefined;
  }

  async list(): Promise<DirectoryEntry[] | null> {
    return this.link.request<DirectoryEntry[] | null>({ wavegate: 'list' }, null);
  }

  stats(): DirectoryStats {
    return { kind: 'ipc', degraded: false, admittedDegraded: 0, lost: 0, resyncs: 0, conflictsLost: 0, ...this.counts };
  }

  async close(): Promise<void> {}
}
