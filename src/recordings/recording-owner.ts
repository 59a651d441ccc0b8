import { hostname } from 'node:os';
import { join } from 'node:path';
import { readFile, unlink, writeFile } from 'node:fs/promises';
import { recordingFileName } from './recording-file.js';

/**
 * Who is writing a recording: `${id}.wav.owner` beside the file holds `{"pid","host"}` while a
 * recorder has it open and is removed when it closes. A gateway starting on a folder repairs a
 * recording whose owner is gone (the process died) and leaves alone one whose owner still runs
 * (another gateway on the same host sharing the folder). Sidecars never match `*.wav`, so they are
 * never listed or served.
 */

export interface RecordingOwner {
  readonly pid: number;
  readonly host: string;
}

export function ownerPath(dir: string, id: string): string {
  return join(dir, `${recordingFileName(id)}.owner`);
}

export async function claimRecording(dir: string, id: string): Promise<void> {
  const owner: RecordingOwner = { pid: process.pid, host: hostname() };
  await writeFile(ownerPath(dir, id), JSON.stringify(owner), { flag: 'w' });
}

export async function releaseRecording(dir: string, id: string): Promise<void> {
  await unlink(ownerPath(dir, id)).catch(() => undefined);
}

/**
 * 'alive': another process of this host holds the recording (do not repair it); 'gone': no owner,
 * or its process has exited (repair it); 'unknown': the owner is on another host (a folder shared
 * across machines, or a container that got a new hostname), so only the file's age can tell.
 */
export async function recordingOwnerState(dir: string, id: string): Promise<'alive' | 'gone' | 'unknown'> {
  let owner: Partial<RecordingOwner>;
  try {
    owner = JSON.parse(await readFile(ownerPath(dir, id), 'utf8')) as Partial<RecordingOwner>;
  } catch {
    return 'gone';
  }
  // Our own pid in a sidecar is a previous process that had the same pid (pid 1 in a container).
  if (typeof owner.pid !== 'number' || owner.pid === process.pid) return 'gone';
  if (owner.host !== hostname()) return 'unknown';
  try {
    process.kill(owner.pid, 0);
    return 'alive';
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? 'alive' : 'gone';
  }
}
