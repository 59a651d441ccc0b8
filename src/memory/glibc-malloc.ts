import { createRequire } from 'node:module';

/**
 * glibc's `malloc_trim(0)` and `mallinfo2()`, called through koffi (an optional dependency with prebuilt
 * binaries; docs/security.md, "Where the RSS goes"). Undefined where either is missing: not Linux, a
 * libc other than glibc (musl has no libc.so.6), glibc older than 2.33 (no mallinfo2; malloc_trim alone
 * is still used), or koffi not installed. Nothing here is loaded until `loadGlibcMalloc()` is called.
 */
export interface GlibcMalloc {
  /** Gives free memory inside every arena back to the OS; true when some was released. */
  trim(): boolean;
  /** Bytes free inside the arenas (`fordblks`), or undefined without mallinfo2. */
  freeBytes(): number | undefined;
}

interface KoffiLib {
  func(signature: string): (...args: unknown[]) => unknown;
  func(name: string, result: unknown, args: unknown[]): (...args: unknown[]) => unknown;
}
interface Koffi {
  load(path: string): KoffiLib;
  struct(name: string, fields: Record<string, string>): unknown;
}

let loaded: { value: GlibcMalloc | undefined; why: string } | undefined;

/** Loads the binding once per process; `why` says what is missing when it is undefined. */
export function loadGlibcMalloc(): { value: GlibcMalloc | undefined; why: string } {
  loaded ??= load();
  return loaded;
}

function load(): { value: GlibcMalloc | undefined; why: string } {
  if (process.platform !== 'linux') return { value: undefined, why: `not Linux (${process.platform})` };
  let koffi: Koffi;
  try {
    koffi = createRequire(import.meta.url)('koffi') as Koffi;
  } catch {
    return { value: undefined, why: 'the optional dependency koffi is not installed' };
  }
  let lib: KoffiLib;
  try {
    lib = koffi.load('libc.so.6');
  } catch {
    return { value: undefined, why: 'no glibc (libc.so.6)' };
  }
  let trim: (pad: number) => unknown;
  try {
    trim = lib.func('int malloc_trim(size_t pad)') as (pad: number) => unknown;
  } catch {
    return { value: undefined, why: 'libc.so.6 has no malloc_trim' };
  }
  let info: (() => { fordblks: number | bigint }) | undefined;
  try {
    const fields = ['arena', 'ordblks', 'smblks', 'hblks', 'hblkhd', 'usmblks', 'fsmblks', 'uordblks', 'fordblks', 'keepcost'];
    const struct = koffi.struct('wavegate_mallinfo2', Object.fromEntries(fields.map((f) => [f, 'size_t'])));
    info = lib.func('mallinfo2', struct, []) as () => { fordblks: number | bigint };
  } catch {
    info = undefined; // glibc < 2.33
  }
  return {
    value: {
      trim: () => trim(0) === 1,
      freeBytes: () => (info ? Number(info().fordblks) : undefined),
    },
    why: 'glibc',
  };
}
