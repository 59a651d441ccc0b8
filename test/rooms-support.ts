import { decodeMulaw, encodeMulaw } from '../src/codecs/g711.js';
import { decodeL16, encodeL16 } from '../src/codecs/l16.js';
import { plivo, telnyx, twilio, type CarrierDialect } from './telephone-carrier-sim.js';

const PHONES: Record<string, CarrierDialect> = { twilio, telnyx, plivo };
import { sendPaced, WsTestClient } from './support/ws-test-client.js';

/** Power of `samples` at `freq` (Goertzel), per sample. */
export function goertzel(samples: ArrayLike<number>, sampleRate: number, freq: number): number {
  const w = (2 * Math.PI * freq) / sampleRate;
  const c = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i]! + c * s1 - s2;
    s2 = s1;
    s1 = s;
  }
  return (s1 * s1 + s2 * s2 - c * s1 * s2) / Math.max(1, samples.length) ** 2;
}

export const db = (ratio: number) => 10 * Math.log10(ratio);

export function tone(freq: number, sampleRate: number, seconds: number, amplitude = 6000): Int16Array {
  const out = new Int16Array(Math.round(sampleRate * seconds));
  for (let i = 0; i < out.length; i++) out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * freq * i) / sampleRate));
  return out;
}

export function frames(samples: Int16Array, frameSamples: number): Int16Array[] {
  const out: Int16Array[] = [];
  for (let i = 0; i + frameSamples <= samples.length; i += frameSamples) out.push(samples.subarray(i, i + frameSamples));
  return out;
}

/** A participant on a WebSocket: FastRTC (μ-law or L16) or Twilio; collects what it hears, decoded. */
export class WsParticipant {
  readonly client: WsTestClient;
  readonly kind: 'fastrtc-mulaw' | 'fastrtc-l16' | 'twilio' | 'telnyx' | 'plivo';
  readonly id: string;
  readonly rate: number;

  private constructor(client: WsTestClient, kind: WsParticipant['kind'], id: string) {
    this.client = client;
    this.kind = kind;
    this.id = id;
    this.rate = kind === 'fastrtc-l16' ? 16_000 : 8000;
  }

  static async join(baseUrl: string, kind: WsParticipant['kind'], id: string, room: string, options?: import('ws').ClientOptions): Promise<WsParticipant> {
    const ws = baseUrl.replace(/^http/, 'ws');
    const phone = PHONES[kind];
    if (phone) {
      const client = await WsTestClient.connect(`${ws}/telephone/${kind}`, options);
      const connected = phone.connected();
      if (connected) client.send(connected);
      client.send(phone.start(id, `CA-${id}`, { room }));
      return new WsParticipant(client, kind, id);
    }
    const client = await WsTestClient.connect(`${ws}/websocket/offer`, options);
    const format = kind === 'fastrtc-l16' ? { encoding: 'audio/x-l16', sampleRate: 16_000, channels: 1 } : { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 };
    client.send({ event: 'start', websocket_id: id, room, mediaFormat: format, outputFormat: format });
    return new WsParticipant(client, kind, id);
  }

  /** Sends `samples` (at this participant's rate) paced in real time, 20 ms a message. */
  async say(samples: Int16Array): Promise<void> {
    const per = this.rate / 50;
    await sendPaced(frames(samples, per), (frame, k) => this.sendFrame(frame as Int16Array, k));
  }

  private k = 0;
  get framesSent(): number {
    return this.k;
  }
  sendFrame(frame: Int16Array, _k?: number): void {
    const k = this.k++;
    if (this.kind === 'fastrtc-l16') this.client.send(Buffer.from(encodeL16(frame)));
    else if (this.kind === 'fastrtc-mulaw') this.client.send({ event: 'media', media: { payload: Buffer.from(encodeMulaw(frame)).toString('base64') } });
    else this.client.send(PHONES[this.kind]!.media(this.id, k, Buffer.from(encodeMulaw(frame))));
  }

  /** Everything heard so far, decoded at this participant's rate (frames in arrival order). */
  heard(): Int16Array {
    const parts: Int16Array[] = [];
    for (const m of this.client.messages) {
      if (Buffer.isBuffer(m)) parts.push(decodeL16(new Uint8Array(m)));
      else if (PHONES[this.kind]) {
        const read = PHONES[this.kind]!.read(m);
        if (read?.kind === 'media') parts.push(decodeMulaw(new Uint8Array(read.payload)));
      } else if (m.event === 'media') parts.push(decodeMulaw(new Uint8Array(Buffer.from(m.media.payload, 'base64'))));
    }
    const total = parts.reduce((n, p) => n + p.length, 0);
    const out = new Int16Array(total);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  /** Room events received (`{"type":"room","data":…}`). */
  roomEvents(): Array<Record<string, any>> {
    return this.client.json().filter((m) => m.type === 'room').map((m) => m.data);
  }

  waitRoomEvent(predicate: (e: Record<string, any>) => boolean, timeoutMs = 10_000): Promise<Record<string, any>> {
    return this.client.waitFor((m) => m.type === 'room' && predicate(m.data), timeoutMs).then((m) => m.data);
  }
}
