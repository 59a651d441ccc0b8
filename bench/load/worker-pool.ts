import { Worker } from 'node:worker_threads';
import type { FromWorker, ToWorker } from './load-protocol.js';

type Reply<T extends FromWorker['type']> = Extract<FromWorker, { type: T }>;

/** The load generator's worker threads; sessions are split evenly across them. */
export class WorkerPool {
  private readonly workers: Worker[];
  private readonly listeners = new Set<(index: number, message: FromWorker) => void>();

  constructor(size: number) {
    this.workers = Array.from({ length: size }, (_, index) => {
      const worker = new Worker(new URL('./load-worker.js', import.meta.url));
      worker.on('message', (message: FromWorker) => {
        for (const listener of this.listeners) listener(index, message);
      });
      worker.on('error', (err) => {
        for (const listener of this.listeners) listener(index, { type: 'error', message: err.stack ?? err.message });
      });
      return worker;
    });
  }

  get size(): number {
    return this.workers.length;
  }

  onMessage(listener: (index: number, message: FromWorker) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Sends each worker its message and resolves with every worker's reply of type `reply`, bounded by `timeoutMs`. */
  request<T extends FromWorker['type']>(messages: (index: number) => ToWorker, reply: T, timeoutMs: number): Promise<Array<Reply<T>>> {
    return new Promise((resolve, reject) => {
      const replies: Array<Reply<T> | undefined> = new Array(this.workers.length).fill(undefined);
      let pending = this.workers.length;
      const timer = setTimeout(() => {
        off();
        reject(new Error(`workers did not answer '${reply}' within ${timeoutMs} ms`));
      }, timeoutMs);
      const off = this.onMessage((index, message) => {
        if (message.type === 'error') {
          clearTimeout(timer);
          off();
          reject(new Error(`worker ${index}: ${message.message}`));
        } else if (message.type === reply && replies[index] === undefined) {
          replies[index] = message as Reply<T>;
          if (--pending === 0) {
            clearTimeout(timer);
            off();
            resolve(replies as Array<Reply<T>>);
          }
        }
      });
      this.workers.forEach((worker, index) => worker.postMessage(messages(index)));
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** `total` split into `parts` shares differing by at most one. */
export function share(total: number, parts: number, index: number): number {
  return Math.floor(total / parts) + (index < total % parts ? 1 : 0);
}
