/**
 * What a failed file operation means, in words an operator can act on (docs/recordings.md, "Failures
 * end the recording"): each errno class gets its own diagnosis, so a file that already exists is never
 * reported as a full disk. Pure.
 */
const CAUSES: Readonly<Record<string, string>> = {
  EEXIST: 'the file already exists',
  ENOSPC: 'no space left on the device (disk full)',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large (the process file size limit, ulimit -f, or the file system limit)',
  EACCES: 'permission denied (the gateway user may not write there)',
  EPERM: 'operation not permitted (the gateway user may not write there)',
  EROFS: 'read-only file system',
  ENOENT: 'the recordings folder is gone',
  ENOTDIR: 'a part of the recordings folder path is not a folder',
  EISDIR: 'a folder is in the way of the file',
  ELOOP: 'a symbolic link is in the way of the file',
  EMFILE: 'too many open files in this process (ulimit -n)',
  ENFILE: 'too many open files on the system',
  EIO: 'I/O error on the device',
  ENXIO: 'the device is gone',
  ESTALE: 'stale network file handle',
};

/** `EEXIST: the file already exists`; for an error without an errno code, its message. */
export function fileErrorCause(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string') return `${code}: ${CAUSES[code] ?? (err as Error).message}`;
  return err instanceof Error ? err.message : String(err);
}
