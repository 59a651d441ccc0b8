/**
 * How readers learn that a live recording grew: the recorder calls `grew(size)` after each flush
 * and `finish(size)` once the header is patched; a reader at the live end awaits `waitBeyond()`.
 * Event-driven (no polling); each wait is bounded by its own timer, cleared as soon as it settles.
 */

export type GrowthWait = 'grown' | 'finished' | 'timeout' | 'aborted';

export class GrowthSignal {
  private currentSize: number;
  private done = false;
  private readonly waiters = new Set<() => void>();

  constructor(initialSize: number) {
    this.currentSize = initialSize;
  }

  /** Bytes of the file that readers may read now. */
  get size(): number {
    return this.currentSize;
  }

  get finished(): boolean {
    return this.done;
  }

  /** Readers currently waiting (for stats and tests). */
  get waiting(): number {
    return this.waiters.size;
  }

  grew(size: number): void {
    if (this.done || size <= this.currentSize) return;
    this.currentSize = size;
    this.wake();
  }

  /** The file is complete at `size` bytes (the header patched); wakes every reader for good. */
  finish(size: number): void {
    if (this.done) return;
    this.currentSize = Math.max(this.currentSize, size);
    this.done = true;
    this.wake();
  }

  /**
   * Resolves once the file is larger than `size` bytes ('grown'), is finished ('finished'), `timeoutMs`
   * passes ('timeout'), or `signal` aborts ('aborted'); at once when one of these already holds.
   */
  waitBeyond(size: number, timeoutMs: number, signal?: AbortSignal): Promise<GrowthWait> {
    if (this.currentSize > size) return Promise.resolve('grown');
    if (this.done) return Promise.resolve('finished');
    if (signal?.aborted) return Promise.resolve('aborted');
    if (timeoutMs <= 0) return Promise.resolve('timeout');
    return new Promise<GrowthWait>((resolve) => {
      const settle = (result: GrowthWait) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        signal?.removeEventListener('abort', onAbort);
        resolve(result);
      };
      const check = () => {
        if (this.currentSize > size) settle('grown');
        else if (this.done) settle('finished');
      };
      const onAbort = () => settle('aborted');
      const timer = setTimeout(() => settle('timeout'), timeoutMs);
      this.waiters.add(check);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private wake(): void {
    for (const check of [...this.waiters]) check();
  }
}
