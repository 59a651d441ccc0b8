import { encodeMulaw } from '../src/codecs/g711.js';
import { defineHandler, type CloseReason, type HandlerContext, type PhoneCallInfo } from '../src/handler/handler.js';

/**
 * What each carrier puts on the wire, for conformance tests: the messages a carrier sends (as its
 * documentation shows them) and how to read the ones it receives.
 */
export interface CarrierDialect {
  readonly name: 'twilio' | 'telnyx' | 'plivo';
  /** Sent before start (Twilio and Telnyx `connected`), if any. */
  connected(): object | undefined;
  start(streamId: string, callId: string, params: Record<string, string>): object;
  /** Media message k (0-based) of the call; k + 2 is the message's sequence number. */
  media(streamId: string, k: number, payload: Buffer): object;
  dtmf(streamId: string, seq: number, digit: string): object;
  /** The carrier's confirmation that our mark `name` was played. */
  markPlayed(streamId: string, seq: number, name: string): object;
  /** The carrier's stop message, or undefined when it just closes the socket (Plivo). */
  stop(streamId: string, seq: number): object | undefined;
  /** Reads one outbound message: the payload of media, the name of a mark, or a clear. */
  read(message: Record<string, any>): { kind: 'media'; payload: Buffer; streamId?: string } | { kind: 'mark'; name: string; streamId?: string } | { kind: 'clear'; streamId?: string } | undefined;
}

const b64 = (payload: Buffer) => payload.toString('base64');

export const twilio: CarrierDialect = {
  name: 'twilio',
  connected: () => ({ event: 'connected', protocol: 'Call', version: '1.0.0' }),
  start: (streamSid, callSid, customParameters) => ({
    event: 'start',
    sequenceNumber: '1',
    start: { accountSid: 'AC00000000000000000000000000000000', streamSid, callSid, tracks: ['inbound'], mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 }, customParameters },
    streamSid,
  }),
  media: (streamSid, k, payload) => ({
    event: 'media',
    sequenceNumber: String(k + 2),
    media: { track: 'inbound', chunk: String(k + 1), timestamp: String(k * 20), payload: b64(payload) },
    streamSid,
  }),
  dtmf: (streamSid, seq, digit) => ({ event: 'dtmf', streamSid, sequenceNumber: String(seq), dtmf: { track: 'inbound_track', digit } }),
  markPlayed: (streamSid, seq, name) => ({ event: 'mark', sequenceNumber: String(seq), streamSid, mark: { name } }),
  stop: (streamSid, seq) => ({ event: 'stop', sequenceNumber: String(seq), stop: { accountSid: 'AC00000000000000000000000000000000', callSid: 'CA0' }, streamSid }),
  read: (m) => {
    if (m.event === 'media') return { kind: 'media', payload: Buffer.from(m.media.payload, 'base64'), streamId: m.streamSid };
    if (m.event === 'mark') return { kind: 'mark', name: m.mark.name, streamId: m.streamSid };
    if (m.event === 'clear') return { kind: 'clear', streamId: m.streamSid };
    return undefined;
  },
};

export const telnyx: CarrierDialect = {
  name: 'telnyx',
  connected: () => ({ event: 'connected', version: '1.0.0' }),
  start: (stream_id, call_control_id, custom_parameters) => ({
    event: 'start',
    sequence_number: '1',
    stream_id,
    start: {
      user_id: '3E6F995F-85F7-4705-9741-53B116D28237',
      call_control_id,
      call_session_id: 'ff55a038-6f5d-11ef-9692-02420aeffb1f',
      from: '+13122010094',
      to: '+13122123456',
      custom_parameters,
      media_format: { encoding: 'PCMU', sample_rate: 8000, channels: 1 },
    },
  }),
  media: (stream_id, k, payload) => ({
    event: 'media',
    sequence_number: String(k + 2),
    media: { track: 'inbound', chunk: String(k + 1), timestamp: String(k * 20), payload: b64(payload) },
    stream_id,
  }),
  dtmf: (stream_id, seq, digit) => ({ event: 'dtmf', stream_id, occurred_at: '2025-06-05T08:54:19.698408Z', sequence_number: String(seq), dtmf: { digit } }),
  markPlayed: (stream_id, seq, name) => ({ event: 'mark', sequence_number: String(seq), stream_id, mark: { name } }),
  stop: (stream_id, seq) => ({ event: 'stop', sequence_number: String(seq), stop: { user_id: 'u', call_control_id: 'c' }, stream_id }),
  read: (m) => {
    if (m.event === 'media') return { kind: 'media', payload: Buffer.from(m.media.payload, 'base64') };
    if (m.event === 'mark') return { kind: 'mark', name: m.mark.name };
    if (m.event === 'clear') return { kind: 'clear' };
    return undefined;
  },
};

export const plivo: CarrierDialect = {
  name: 'plivo',
  connected: () => undefined,
  start: (streamId, callId, params) => ({
    event: 'start',
    sequenceNumber: 1,
    start: { callId, streamId, accountId: 'MAXXXXXXXXXXXXXXXXXX', tracks: ['inbound'], mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000 } },
    extra_headers: Object.entries(params).map(([k, v]) => `${k}=${v}`).join(';'),
  }),
  media: (streamId, k, payload) => ({
    event: 'media',
    sequenceNumber: k + 2,
    streamId,
    media: { track: 'inbound', timestamp: String(1_705_312_200_000 + k * 20), chunk: k + 1, payload: b64(payload) },
  }),
  dtmf: (streamId, seq, digit) => ({ event: 'dtmf', sequenceNumber: seq, streamId, dtmf: { track: 'inbound', digit, timestamp: '1705312250000' } }),
  markPlayed: (streamId, seq, name) => ({ event: 'playedStream', sequenceNumber: seq, streamId, name }),
  stop: () => undefined,
  read: (m) => {
    if (m.event === 'playAudio') return { kind: 'media', payload: Buffer.from(m.media.payload, 'base64') };
    if (m.event === 'checkpoint') return { kind: 'mark', name: m.name, streamId: m.streamId };
    if (m.event === 'clearAudio') return { kind: 'clear', streamId: m.streamId };
    return undefined;
  },
};

export const DIALECTS = [twilio, telnyx, plivo] as const;

/** `n` 20 ms μ-law frames (160 bytes) of a sine at `hz`, amplitude `amp`, continuous across frames. */
export function mulawTone(n: number, hz: number, amp: number, rate = 8000): Buffer[] {
  const frames: Buffer[] = [];
  const per = rate / 50;
  for (let f = 0; f < n; f++) {
    const pcm = new Int16Array(per);
    for (let i = 0; i < per; i++) pcm[i] = Math.round(amp * Math.sin((2 * Math.PI * hz * (f * per + i)) / rate));
    frames.push(Buffer.from(encodeMulaw(pcm)));
  }
  return frames;
}

/** What a phone test handler saw of one call. */
export interface CallRecord {
  phone: PhoneCallInfo | undefined;
  outputSampleRate: number;
  frames: number;
  events: Array<{ type: string; at: number; [k: string]: unknown }>;
  shutdowns: CloseReason[];
  sentReplyAt: number | undefined;
  clearedAt: number | undefined;
}

export const calls = new Map<string, CallRecord>();

export interface PhoneProbeOptions {
  /** echo: every frame back. reply: after `replyAfterFrames` frames, `replyMs` of tone then mark "reply-1". */
  mode?: 'echo' | 'reply';
  replyAfterFrames?: number;
  replyMs?: number;
  /** While replying, input louder than this RMS is the caller talking: the handler sends `clear`. */
  bargeInRms?: number;
}

/** Option sets a call picks with its custom parameter `probe` (letters and digits: Plivo allows no more). */
export const PROBE_PRESETS: Record<string, PhoneProbeOptions> = {
  reply300: { mode: 'reply', replyAfterFrames: 5, replyMs: 300 },
  bargein: { mode: 'reply', replyAfterFrames: 5, replyMs: 3000, bargeInRms: 1500 },
  bargein10: { mode: 'reply', replyAfterFrames: 10, replyMs: 3000, bargeInRms: 1500 },
};

/**
 * A handler for phone tests: records context, events and shutdowns per call; echoes, replies, barges
 * in. A call's custom parameter `probe` picks a preset, so one gateway serves every test.
 */
export const phoneProbe = defineHandler<PhoneProbeOptions>({
  name: 'phone-probe',
  create(created) {
    let options: PhoneProbeOptions = created;
    let ctx: HandlerContext | undefined;
    let record: CallRecord | undefined;
    let replying = false;
    return {
      startUp(context) {
        ctx = context;
        const custom = context.phone?.customParameters.probe;
        if (custom !== undefined) {
          const preset = PROBE_PRESETS[custom];
          if (!preset) throw new Error(`unknown probe preset ${custom}`);
          options = { ...options, ...preset };
        }
        record = { phone: context.phone, outputSampleRate: context.outputSampleRate, frames: 0, events: [], shutdowns: [], sentReplyAt: undefined, clearedAt: undefined };
        calls.set(context.sessionId, record);
      },
      receive(frame) {
        if (!ctx || !record) throw new Error('receive before startUp');
        record.frames++;
        if ((options.mode ?? 'echo') === 'echo') {
          ctx.send({ type: 'audio', frame });
          return;
        }
        if (!replying && record.sentReplyAt === undefined && record.frames >= (options.replyAfterFrames ?? 5)) {
          replying = true;
          record.sentReplyAt = performance.now();
          const rate = ctx.outputSampleRate;
          const samples = new Int16Array(Math.round((rate * (options.replyMs ?? 300)) / 1000));
          for (let i = 0; i < samples.length; i++) samples[i] = Math.round(6000 * Math.sin((2 * Math.PI * 300 * i) / rate));
          ctx.send({ type: 'audio', frame: { samples, sampleRate: rate, channels: 1, timestamp: 0 } });
          ctx.send({ type: 'mark', name: 'reply-1' });
          return;
        }
        if (replying && options.bargeInRms !== undefined && rms(frame.samples) > options.bargeInRms && record.clearedAt === undefined) {
          record.clearedAt = performance.now();
          replying = false;
          ctx.send({ type: 'clear' });
        }
      },
      onEvent(event) {
        record?.events.push({ ...event, at: performance.now() });
      },
      shutdown(reason) {
        record?.shutdowns.push(reason);
      },
    };
  },
});

export function rms(samples: Int16Array): number {
  let sum = 0;
  for (const s of samples) sum += s * s;
  return Math.sqrt(sum / Math.max(1, samples.length));
}

export async function until(check: () => boolean, timeoutMs = 8000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
