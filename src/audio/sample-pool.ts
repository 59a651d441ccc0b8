/**
 * Cheap PCM16 (and byte) arrays for the per-frame hot paths. A typed array over 64 bytes gets its own off-heap
 * ArrayBuffer, and in Node 20 that costs 1.3–5.6 µs per allocation on this project's 2-core VM (GC
 * registration of the backing store included) — more than decoding a G.711 frame 10 times. Views on a
 * shared 8 KiB slab cost 0.2–0.3 µs, the way Node's own Buffer pool hands out small Buffers.
 *
 * Each region of a slab is handed out once and never reused, so two arrays never alias; a slab is
 * freed by the GC when its last view is. What callers must know (as for Buffer.allocUnsafe): an array
 * from here may share its `.buffer` with others, so read it through byteOffset/byteLength and never
 * transfer its buffer. The contents start at zero. Requests over half a slab (4 KiB) get their own
 * buffer, as Node's pool does.
 */
const SLAB_BYTES = 8192;

let slab = new ArrayBuffer(SLAB_BYTES);
let used = 0;

/** Byte offset of a fresh region of `bytes` bytes (8-byte aligned), or -1 when it is too large to pool. */
function take(bytes: number): number {
  if (bytes > SLAB_BYTES / 2 || bytes === 0) return -1;
  if (used + bytes > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    used = 0;
  }
  const at = used;
  used += (bytes + 7) & ~7;
  return at;
}

export function allocSamples(length: number): Int16Array {
  const at = take(length * 2);
  return at < 0 ? new Int16Array(length) : new Int16Array(slab, at, length);
}

export function allocBytes(length: number): Uint8Array {
  const at = take(length);
  return at < 0 ? new Uint8Array(length) : new Uint8Array(slab, at, length);
}
