import { randomBytes } from 'node:crypto';
import type { ChannelMessage } from '../channel-layer/channel-layer.js';
import { nodeOfChannel } from '../channel-layer/channel-names.js';
import type { DirectoryAdmission, DirectoryEntry } from './session-directory.js';

/**
 * Messages between a `--workers` primary and its workers over node:cluster's IPC channel
 * (docs/scale-out.md#workers). Every one carries `wavegate`; anything else on the channel (prom-client's
 * metric requests) is left alone.
 */
export type WorkerToPrimary =
  | { wavegate: 'hello'; node: string }
  | { wavegate: 'listening'; url: string }
  | { wavegate: 'admit'; rid: string; entry: DirectoryEntry }
  | { wavegate: 'release'; id: string }
  | { wavegate: 'lookup'; rid: string; id: string }
  | { wavegate: 'list'; rid: string }
  | { wavegate: 'route'; rid: string; channel: string; message: ChannelMessage }
  /** Box-wide groups (call-signaling presence and calls): the primary holds the memberships. */
  | { wavegate: 'group'; rid: string; op: 'add' | 'claim' | 'discard' | 'send' | 'remove_channel'; group: string; channel: string; message?: ChannelMessage }
  | { wavegate: 'metrics'; rid: string }
  | { wavegate: 'collected'; rid: string; metrics: unknown };

export type PrimaryToWorker =
  | { wavegate: 'reply'; rid: string; value: unknown }
  | { wavegate: 'deliver'; channel: string; message: ChannelMessage }
  /** The primary gathers the box's metrics: answer with `collected` (the registry as JSON). */
  | { wavegate: 'collect'; rid: string };

export type AdmitReply = DirectoryAdmission;
export type LookupReply = DirectoryEntry | null;

export function isWavegateMessage(message: unknown): message is { wavegate: string } {
  return typeof message === 'object' && message !== null && typeof (message as { wavegate?: unknown }).wavegate === 'string';
}

/** True in a worker forked by `wavegate serve --workers` (the primary sets the variable). */
export function isGatewayWorker(): boolean {
  return typeof process.send === 'function' && process.env.WAVEGATE_WORKER_ID !== undefined;
}

/** Worker side: requests to the primary, answered by `reply` with the same `rid`; deliveries to a listener. */
export class PrimaryLink {
  private readonly pending = new Map<string, (value: unknown) => void>();
  private counter = 0;
  /** Channel layers of this worker by node id (the cluster router's, call signaling's). */
  private readonly layers = new Map<string, (channel: string, message: ChannelMessage) => void>();
  private collector: (() => Promise<unknown>) | undefined;

  constructor() {
    process.on('message', (message: unknown) => {
      if (!isWavegateMessage(message)) return;
      const m = message as PrimaryToWorker;
      if (m.wavegate === 'reply') {
        const resolve = this.pending.get(m.rid);
        this.pending.delete(m.rid);
        resolve?.(m.value);
      } else if (m.wavegate === 'deliver') this.layers.get(nodeOfChannel(m.channel) ?? '')?.(m.channel, m.message);
      else if (m.wavegate === 'collect' && this.collector) {
        const rid = m.rid;
        this.collector().then(
          (metrics) => this.post({ wavegate: 'collected', rid, metrics }),
          () => this.post({ wavegate: 'collected', rid, metrics: [] }),
        );
      }
    });
  }

  /** What this worker answers when the primary gathers the box's metrics. */
  collectWith(collector: () => Promise<unknown>): void {
    this.collector = collector;
  }

  /** Messages for channels of `nodeId` go to `listener`; the primary is told the node lives here. */
  deliverTo(nodeId: string, listener: (channel: string, message: ChannelMessage) => void): void {
    this.layers.set(nodeId, listener);
    this.post({ wavegate: 'hello', node: nodeId });
  }

  /** Sends and waits for the reply; resolves `fallback` when the primary is gone or does not answer. */
  request<T>(body: Record<string, unknown> & { wavegate: WorkerToPrimary['wavegate'] }, fallback: T, timeoutMs = 5000): Promise<T> {
    const rid = `${++this.counter}${randomBytes(2).toString('hex')}`;
    return new Promise<T>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(rid);
        resolve(fallback);
      }, timeoutMs);
      this.pending.set(rid, (value) => {
        clearTimeout(timer);
        resolve(value as T);
      });
      if (!this.post({ ...body, rid } as WorkerToPrimary)) {
        clearTimeout(timer);
        this.pending.delete(rid);
        resolve(fallback);
      }
    });
  }

  post(message: WorkerToPrimary): boolean {
    if (!process.connected || !process.send) return false;
    process.send(message);
    return true;
  }
}

let link: PrimaryLink | undefined;

/** The one link of this worker process. */
export function primaryLink(): PrimaryLink {
  link ??= new PrimaryLink();
  return link;
}
