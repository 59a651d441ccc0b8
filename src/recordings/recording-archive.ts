import { lstat, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { WavegateError } from '../errors/wavegate-error.js';
import { fileErrorCause } from '../wav/file-error-cause.js';
import { recordingFileName } from './recording-file.js';
import { recordingOwnerState, releaseRecording } from './recording-owner.js';

/**
 * A session id may be used again once its session ended (docs/recordings.md, "An id used again"). The
 * recording of the latest session is always `${id}.wav` (what `GET /recordings/{id}.wav` serves);
 * before a new session of that id records, the earlier file is moved aside to
 * `${id}@${its last-modified time, UTC}.wav`. `@` is outside the id pattern, so such a name is never
 * listed, served or repaired as a recording of its own: it is kept for the operator, not published.
 * A file that another gateway process is still writing (its owner sidecar names a live process on
 * this host, or a process of another host that changed the file recently) is left alone: then the new
 * session is not recorded, and the error says so (EEXIST, with who holds it).
 */
export async function makeWayForRecording(dir: string, id: string, options: { readonly staleAfterMs: number; readonly nowMs: number }): Promise<string | undefined> {
  const path = join(dir, recordingFileName(id));
  const refuse = (why: string, cause?: unknown): never => {
    throw new WavegateError('WG_ERR_RECORDING_WRITE_FAILED', `${path}: ${why}`, { cause });
  };
  let stat;
  try {
    stat = await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return refuse(fileErrorCause(err), err);
  }
  if (!stat.isFile()) return refuse('EEXIST: the file already exists and is not a regular file (a link, folder or device); it is left alone and this session is not recorded');
  const owner = await recordingOwnerState(dir, id);
  if (owner === 'alive') return refuse('EEXIST: the file already exists and another gateway process on this host is writing it (its .owner sidecar); this session is not recorded');
  if (owner === 'unknown' && options.nowMs - stat.mtimeMs < options.staleAfterMs) {
    return refuse('EEXIST: the file already exists and a gateway on another host may still be writing it (its .owner sidecar, changed recently); this session is not recorded');
  }
  const stamp = new Date(stat.mtimeMs).toISOString().replace(/[-:.]/g, '');
  for (let n = 1; n <= 100; n++) {
    const name = `${id}@${stamp}${n === 1 ? '' : `-${n}`}.wav`;
    const target = join(dir, name);
    if (await exists(target)) continue;
    try {
      await rename(path, target);
    } catch (err) {
      return refuse(`moving the earlier recording aside to ${name}: ${fileErrorCause(err)}`, err);
    }
    await releaseRecording(dir, id); // a dead writer's sidecar belongs to the file that moved
    return name;
  }
  return refuse('EEXIST: 100 earlier recordings of this id have the same modification time; this session is not recorded');
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}
