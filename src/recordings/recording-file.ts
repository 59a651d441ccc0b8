import { constants, type Stats } from 'node:fs';
import { open, realpath, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { WavegateError } from '../errors/wavegate-error.js';
import { isValidSessionId } from '../transport/message-fields.js';

/**
 * Recording ids are session ids (webrtc_id), held to the session id pattern
 * (`[A-Za-z0-9_.:-]{1,128}` without ".."): no "/", no NUL, no "..", so `${id}.wav` is always one
 * plain name inside the recordings folder.
 */
export function isValidRecordingId(id: string): boolean {
  return isValidSessionId(id);
}

export function recordingFileName(id: string): string {
  return `${id}.wav`;
}

const FILE_NAME = /^(.+)\.wav$/;

/** The id a folder entry stands for, or undefined when the name is not a recording's. */
export function idFromFileName(name: string): string | undefined {
  const id = FILE_NAME.exec(name)?.[1];
  return id !== undefined && isValidRecordingId(id) ? id : undefined;
}

export interface OpenedRecording {
  readonly handle: FileHandle;
  readonly stat: Stats;
}

/**
 * Opens `${id}.wav` in `realDir` (already resolved with realpath) for reading, refusing anything that
 * is not a plain file of the folder: an id off the pattern (WG_ERR_INVALID_ID), a symbolic link
 * (O_NOFOLLOW, then realpath checked), a FIFO, device or folder (O_NONBLOCK so a FIFO cannot hang
 * the open, then fstat), or a file with other hard links (WG_ERR_PATH_REFUSED). A missing file is
 * WG_ERR_RECORDING_NOT_FOUND. The caller closes the handle.
 */
export async function openRecording(realDir: string, id: string): Promise<OpenedRecording> {
  if (!isValidRecordingId(id)) throw new WavegateError('WG_ERR_INVALID_ID', JSON.stringify(id.slice(0, 140)));
  const path = join(realDir, recordingFileName(id));
  if (dirname(path) !== realDir) throw new WavegateError('WG_ERR_PATH_REFUSED', id);
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new WavegateError('WG_ERR_RECORDING_NOT_FOUND', id);
    if (code === 'ELOOP' || code === 'EACCES' || code === 'EPERM' || code === 'ENXIO') throw new WavegateError('WG_ERR_PATH_REFUSED', `${id}: ${code}`);
    throw err;
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new WavegateError('WG_ERR_PATH_REFUSED', `${id}: not a regular file`);
    if (stat.nlink > 1) throw new WavegateError('WG_ERR_PATH_REFUSED', `${id}: has ${stat.nlink} hard links`);
    if (dirname(await realpath(path)) !== realDir) throw new WavegateError('WG_ERR_PATH_REFUSED', `${id}: resolves outside the folder`);
    return { handle, stat };
  } catch (err) {
    await handle.close();
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new WavegateError('WG_ERR_RECORDING_NOT_FOUND', id);
    throw err;
  }
}
