import { randomBytes } from 'node:crypto';
import type { ChannelLayer, ChannelMessage } from '../channel-layer/channel-layer.js';
import type { RemoteResult, RemoteSessions } from '../session/remote-sessions.js';
import type { SessionDirectory } from './session-directory.js';

/** What the owner node does with forwarded requests (its own sessions and peers). */
export interface LocalSessions {
  setInput(id: string, args: Readonly<Record<string, unknown>>): boolean;
  subscribeOutputs(id: string, listener: (data: unknown) => void, onEnd: () => void): (() => void) | undefined;
  /** undefined when no peer with this id is here. */
  addCandidate(id: string, candidate: unknown): Promise<unknown> | undefined;
}

export interface SessionRouterOptions {
  /** Longest a forwarded request waits for the owner's answer (ms). */
  readonly requestTimeoutMs: number;
}

type Pending = (message: ChannelMessage | undefined) => void;

/**
 * Requests for sessions held by another node, carried by the channel layer (docs/scale-out.md#routing):
 * each node opens one router channel, the directory names the owner's channel, a request carries the
 * asker's channel and an id, the answer comes back there. `GET /outputs` is a subscription: the owner
 * sends every output to the asker's channel until the session ends or the asker says stop (or its
 * channel is gone: a send that reaches nobody ends the subscription).
 */
export class SessionRouter implements RemoteSessions {
  readonly channel: string;
  private readonly pending = new Map<string, Pending>();
  /** Output streams this node reads from other nodes, by subscription id. */
  private readonly reading = new Map<string, { id: string; node: string; listener: (data: unknown) => void; onEnd: () => void }>();
  /** Checks that the owners of the streams read here still hold their sessions (an owner that died says nothing). */
  private ownerCheck: NodeJS.Timeout | undefined;
  /** Output streams this node's sessions feed to other nodes, by subscription id. */
  private readonly feeding = new Map<string, () => void>();
  private counter = 0;
  readonly counts = { forwarded: 0, served: 0, timedOut: 0 };

  constructor(
    private readonly layer: ChannelLayer,
    private readonly directory: SessionDirectory,
    private readonly local: LocalSessions,
    private readonly options: SessionRouterOptions,
  ) {
    this.channel = layer.newChannel((message) => this.onMessage(message));
  }

  async setInput(id: string, args: Readonly<Record<string, unknown>>): Promise<RemoteResult> {
    const answer = await this.request(id, { type: 'wg.input', id, args });
    if (answer === undefined) return 'not_found';
    if (typeof answer === 'string') return answer;
    return answer.found ? 'ok' : 'not_found';
  }

  async subscribeOutputs(id: string, listener: (data: unknown) => void, onEnd: () => void): Promise<(() => void) | Exclude<RemoteResult, 'ok'>> {
    const sid = this.nextId();
    const reader = { id, node: '', listener, onEnd };
    this.reading.set(sid, reader);
    const answer = await this.request(id, { type: 'wg.outputs', id, sid });
    if (answer === undefined || typeof answer === 'string' || !answer.found) {
      this.reading.delete(sid);
      return typeof answer === 'string' ? answer : 'not_found';
    }
    const owner = String(answer.from);
    reader.node = String(answer.node ?? '');
    this.watchOwners();
    return () => {
      if (!this.reading.delete(sid)) return;
      void this.layer.send(owner, { type: 'wg.outputs_stop', sid });
    };
  }

  async addCandidate(id: string, candidate: unknown): Promise<{ found: true; answer: unknown } | { found: false }> {
    const answer = await this.request(id, { type: 'wg.candidate', id, candidate });
    if (answer === undefined || typeof answer === 'string' || !answer.found) return { found: false };
    return { found: true, answer: answer.answer };
  }

  async ownerUrl(id: string): Promise<string | undefined> {
    return (await this.directory.remoteOwner(id))?.url || undefined;
  }

  close(): void {
    clearInterval(this.ownerCheck);
    for (const stop of this.feeding.values()) stop();
    this.feeding.clear();
    for (const { onEnd } of this.reading.values()) onEnd();
    this.reading.clear();
    for (const resolve of this.pending.values()) resolve(undefined);
    void this.layer.closeChannel(this.channel);
  }

  /** undefined: no other node holds it; 'unavailable': the owner did not answer in time. */
  private async request(id: string, body: Omit<ChannelMessage, 'rid' | 'replyTo'>): Promise<ChannelMessage | 'unavailable' | undefined> {
    const owner = await this.directory.remoteOwner(id);
    // With the directory lost, "not here" may be "held elsewhere": say unavailable (503), not 404.
    if (!owner) return this.directory.stats().degraded ? 'unavailable' : undefined;
    const rid = this.nextId();
    this.counts.forwarded++;
    const answer = new Promise<ChannelMessage | undefined>((resolve) => {
      const timer = setTimeout(() => {
        this.counts.timedOut++;
        done(undefined);
      }, this.options.requestTimeoutMs);
      const done: Pending = (message) => {
        clearTimeout(timer);
        this.pending.delete(rid);
        resolve(message);
      };
      this.pending.set(rid, done);
    });
    const sent = await this.layer.send(owner.channel, { ...body, type: String(body.type), rid, replyTo: this.channel });
    if (!sent) this.pending.get(rid)?.(undefined);
    return (await answer) ?? 'unavailable';
  }

  private onMessage(message: ChannelMessage): void {
    switch (message.type) {
      case 'wg.reply':
        this.pending.get(String(message.rid))?.(message);
        return;
      case 'wg.output':
        this.reading.get(String(message.sid))?.listener(message.data);
        return;
      case 'wg.outputs_end': {
        const reader = this.reading.get(String(message.sid));
        this.reading.delete(String(message.sid));
        reader?.onEnd();
        return;
      }
      case 'wg.outputs_stop':
        this.feeding.get(String(message.sid))?.();
        return;
      case 'wg.input':
      case 'wg.outputs':
      case 'wg.candidate':
        // Not awaited: a candidate the peer takes seconds to apply must not hold up outputs and replies behind it.
        void this.serve(message);
        return;
      default:
        return;
    }
  }

  private async serve(message: ChannelMessage): Promise<void> {
    const replyTo = String(message.replyTo);
    const id = String(message.id);
    this.counts.served++;
    const reply = (fields: Record<string, unknown>) => void this.layer.send(replyTo, { type: 'wg.reply', rid: message.rid, from: this.channel, node: this.directory.nodeId, ...fields });
    if (message.type === 'wg.input') {
      const args = typeof message.args === 'object' && message.args !== null ? (message.args as Record<string, unknown>) : {};
      reply({ found: this.local.setInput(id, args) });
    } else if (message.type === 'wg.candidate') {
      const pending = this.local.addCandidate(id, message.candidate);
      if (pending === undefined) reply({ found: false });
      else reply({ found: true, answer: await pending });
    } else {
      const sid = String(message.sid);
      const stop = () => {
        if (!this.feeding.delete(sid)) return;
        unsubscribe?.();
      };
      const unsubscribe = this.local.subscribeOutputs(
        id,
        (data) => {
          void this.layer.send(replyTo, { type: 'wg.output', sid, data }).then((reached) => reached || stop());
        },
        () => {
          if (!this.feeding.delete(sid)) return;
          void this.layer.send(replyTo, { type: 'wg.outputs_end', sid });
        },
      );
      if (!unsubscribe) return reply({ found: false });
      this.feeding.set(sid, stop);
      reply({ found: true });
    }
  }

  /** Every `requestTimeoutMs`, ends the streams whose owner no longer holds the session (it died: its lease lapsed). */
  private watchOwners(): void {
    if (this.ownerCheck) return;
    this.ownerCheck = setInterval(() => {
      if (this.reading.size === 0) {
        clearInterval(this.ownerCheck);
        this.ownerCheck = undefined;
        return;
      }
      for (const [sid, reader] of this.reading) {
        void this.directory.remoteOwner(reader.id).then((entry) => {
          if (entry?.node === reader.node || this.directory.stats().degraded || !this.reading.has(sid)) return;
          this.reading.delete(sid);
          reader.onEnd();
        });
      }
    }, this.options.requestTimeoutMs);
    this.ownerCheck.unref();
  }

  private nextId(): string {
    return `${randomBytes(4).toString('hex')}${++this.counter}`;
  }
}
