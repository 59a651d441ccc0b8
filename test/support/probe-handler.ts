import { defineHandler, type CloseReason, type HandlerContext } from '../../src/handler/handler.js';

/** What the probe saw of one session. */
export interface ProbeRecord {
  created: number;
  startUps: number;
  frames: number;
  shutdowns: CloseReason[];
  events: unknown[];
}

export interface ProbeOptions {
  /** Key for the record in `probes` (default: the session id). */
  key?: string;
  throwOnFrame?: number;
  endStreamAfterFrames?: number;
  /** Makes startUp slow, to check frames wait for it. */
  startUpDelayMs?: number;
}

export const probes = new Map<string, ProbeRecord>();

/** An echo that records every lifecycle call, to check each happens exactly once and in order. */
export const probeHandler = defineHandler<ProbeOptions>({
  name: 'probe',
  clientOptions: ['key', 'throwOnFrame', 'endStreamAfterFrames', 'startUpDelayMs'],
  create(options) {
    let ctx: HandlerContext | undefined;
    let record: ProbeRecord | undefined;
    return {
      async startUp(context) {
        ctx = context;
        const key = options.key ?? context.sessionId;
        record = probes.get(key) ?? { created: 0, startUps: 0, frames: 0, shutdowns: [], events: [] };
        probes.set(key, record);
        record.created++;
        if (options.startUpDelayMs) await new Promise((r) => setTimeout(r, options.startUpDelayMs));
        record.startUps++;
      },
      receive(frame) {
        if (!record || !ctx) throw new Error('receive before startUp finished');
        record.frames++;
        if (options.throwOnFrame === record.frames) throw new Error(`probe fails on frame ${record.frames}`);
        ctx.send({ type: 'audio', frame });
        if (options.endStreamAfterFrames === record.frames) ctx.send({ type: 'end_stream' });
      },
      onEvent(event) {
        record?.events.push(event);
      },
      shutdown(reason) {
        record?.shutdowns.push(reason);
      },
    };
  },
});
