import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { decodeMulaw } from '../src/codecs/g711.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { defineHandler, type HandlerContext } from '../src/handler/handler.js';
import { calls, mulawTone, phoneProbe, rms, twilio, until } from './telephone-carrier-sim.js';
import { sendPaced, WsTestClient } from './support/ws-test-client.js';

/**
 * Conformance with Twilio Media Streams (docs/telephony.md), driving WS /telephone/handler with Twilio's
 * message sequence: connected → start → media every 20 ms (sequenceNumber, chunk, timestamp) → dtmf →
 * mark (echo of ours) → stop.
 */
const CALL_SID = 'CA5a1ebd8dcc0ff4c2a2ea3fcbbdf3a1c4';

async function call(gatewayUrl: string, streamSid: string, params: Record<string, string> = {}, path = '/telephone/handler'): Promise<WsTestClient> {
  const client = await WsTestClient.connect(`${gatewayUrl.replace('http', 'ws')}${path}`);
  client.send(twilio.connected());
  client.send(twilio.start(streamSid, CALL_SID, params));
  return client;
}

/** Twilio `media` messages with the μ-law `frames`, paced in real time. */
const sendMedia = (client: WsTestClient, sid: string, frames: readonly Buffer[]) => sendPaced(frames, (payload, k) => client.send(twilio.media(sid, k, payload as Buffer)));

/**
 * Like `sendMedia`, but before frame `stallAt` the process stalls for `stallMs` (gateway and this
 * client alike: a busy event loop); the frames the caller sent meanwhile then arrive together.
 */
async function sendMediaWithStall(client: WsTestClient, sid: string, frames: readonly Buffer[], stallAt = 20, stallMs = 150): Promise<void> {
  await sendPaced(frames, (payload, k) => {
    if (k === stallAt) {
      const end = performance.now() + stallMs;
      while (performance.now() < end) {
        // a stalled event loop
      }
    }
    client.send(twilio.media(sid, k, payload as Buffer));
  });
}

function outbound(client: WsTestClient) {
  return client.json().map((m) => ({ raw: m, out: twilio.read(m) }));
}

type Outbound = ReturnType<typeof outbound>[number];
const pcmOf = (m: Outbound) => decodeMulaw((m.out as { payload: Buffer }).payload);
/** Reply audio: a media message louder than the silence the tests send. */
const isLoudMedia = (m: Outbound) => m.out?.kind === 'media' && rms(pcmOf(m)) > 1000;

/** The caller's 440 Hz tone (amplitude 8000) came back: ≥ 40 frames, level ±1 dB (all but `trim` frames each end), frequency. */
function expectCallerTone(loud: Int16Array[], trim = 0): void {
  expect(loud.length).toBeGreaterThanOrEqual(40);
  const level = rms(Int16Array.from(loud.slice(trim, loud.length - trim).flatMap((pcm) => [...pcm])));
  expect(Math.abs(20 * Math.log10(level / (8000 / Math.SQRT2)))).toBeLessThan(1);
  expect(toneShare(loud[20]!, 440)).toBeGreaterThan(0.9);
}

/** Power of `hz` relative to the total power of `pcm` (Goertzel), 0..1. */
function toneShare(pcm: Int16Array, hz: number, rate = 8000): number {
  const w = (2 * Math.PI * hz) / rate;
  const c = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  let energy = 0;
  for (const x of pcm) {
    const s0 = x + c * s1 - s2;
    s2 = s1;
    s1 = s0;
    energy += x * x;
  }
  const power = s1 * s1 + s2 * s2 - c * s1 * s2;
  return (2 * power) / (pcm.length * energy);
}

describe('Twilio Media Streams on /telephone/handler', () => {
  let gateway: Gateway;
  let url: string;
  beforeAll(async () => {
    gateway = createGateway({ handler: phoneProbe, port: 0, idleTimeoutS: 30 });
    url = (await gateway.listen()).url;
  });
  afterAll(() => gateway.close());

  it("runs Twilio's whole sequence: echo in 160-byte μ-law frames with the streamSid, a mark after the reply, dtmf, stop", async () => {
    const sid = 'MZ00000000000000000000000000000001';
    const client = await call(url, sid, { FirstName: 'Jane', From: '+14155550100' });
    const input = mulawTone(50, 440, 8000);
    await sendMedia(client, sid, input);

    // The handler was told it is on a phone call, with Twilio's ids and the custom parameters.
    const record = calls.get(sid)!;
    expect(record.phone).toEqual({ carrier: 'twilio', callId: CALL_SID, streamId: sid, customParameters: { FirstName: 'Jane', From: '+14155550100' } });
    expect(record.outputSampleRate).toBe(8000);

    // When the echo runs dry the gateway marks the end of the reply segment.
    const mark = await client.waitFor((m) => m.event === 'mark', 5000);
    const messages = outbound(client);
    const media = messages.filter((m) => m.out?.kind === 'media');
    expect(client.messages.every((m) => !Buffer.isBuffer(m))).toBe(true); // text frames only
    expect(media.length).toBeGreaterThanOrEqual(45);
    for (const m of media) {
      expect(m.raw.streamSid).toBe(sid);
      expect((m.out as { payload: Buffer }).payload.length).toBe(160);
      expect(Object.keys(m.raw).sort()).toEqual(['event', 'media', 'streamSid']);
    }
    expect(mark.streamSid).toBe(sid);
    const markIndex = messages.findIndex((m) => m.raw === mark);
    expect(markIndex).toBeGreaterThan(messages.lastIndexOf(media.at(-1)!));

    // The echo is the caller's tone: same level (±1 dB) and frequency.
    expectCallerTone(media.map(pcmOf).filter((pcm) => rms(pcm) > 1000));

    // The handler hears of the mark only when Twilio says it was played.
    expect(record.events.some((e) => e.type === 'mark')).toBe(false);
    client.send(twilio.dtmf(sid, 60, '5'));
    client.send(twilio.markPlayed(sid, 61, mark.mark.name));
    await until(() => record.events.some((e) => e.type === 'mark'), 3000, 'mark event');
    expect(record.events.map(({ at: _, ...e }) => e)).toEqual([
      { type: 'dtmf', digit: '5' },
      { type: 'mark', name: mark.mark.name },
    ]);

    client.send(twilio.stop(sid, 62));
    expect(await client.waitClose()).toBe(1000);
    await until(() => record.shutdowns.length > 0, 3000, 'shutdown');
    await new Promise((r) => setTimeout(r, 100));
    expect(record.shutdowns).toEqual(['client_stop']);
  });
});

describe('Twilio marks and barge-in', () => {
  let gateway: Gateway;
  let url: string;
  beforeAll(async () => {
    gateway = createGateway({ handler: phoneProbe, port: 0, idleTimeoutS: 30 });
    url = (await gateway.listen()).url;
  });
  afterAll(() => gateway.close());

  it("sends the handler's mark only after the audio before it, and reports it played on Twilio's echo", async () => {
    const sid = 'MZ00000000000000000000000000000002';
    // The probe answers 300 ms of tone (15 frames) after 5 input frames, then marks "reply-1".
    const client = await call(url, sid, { probe: 'reply300' });
    const silence = mulawTone(10, 440, 0);
    await sendMedia(client, sid, silence);
    const mark = await client.waitFor((m) => m.event === 'mark' && m.mark.name === 'reply-1', 5000);
    const markArrived = performance.now();
    const record = calls.get(sid)!;
    const messages = outbound(client);
    const markIndex = messages.findIndex((m) => m.raw === mark);
    const replyFrames = messages.slice(0, markIndex).filter(isLoudMedia);
    expect(replyFrames.length).toBe(15);
    // Paced in real time: the mark cannot come before ~300 ms of audio minus the 60 ms lead.
    expect(markArrived - record.sentReplyAt!).toBeGreaterThan(150);
    expect(record.events).toEqual([]);
    client.send(twilio.markPlayed(sid, 40, 'reply-1'));
    await until(() => record.events.length > 0, 3000, 'mark event');
    expect(record.events[0]).toMatchObject({ type: 'mark', name: 'reply-1' });
    client.send(twilio.stop(sid, 41));
    await client.waitClose();
  }, 20_000);

  let oneMarkAttempt = 0;
  // Two retries, like the stall test below: its premise is one stall, and a machine that stalls the process
  // again by itself can end a second segment. Seen failing 1 run in 4 even on a quiet machine since the
  // input's sender pacing changed (issue 14's note): a second `wg-segment-2` after the injected stall.
  it('an event-loop stall mid-call does not end the echo early: one mark, after the last echoed frame', { retry: 2, timeout: 20_000 }, async () => {
    // A stream of its own per attempt: a failed attempt's call may still hold its id when the retry starts.
    const sid = `MZ0000000000000000000000000000006${oneMarkAttempt++}`;
    const client = await call(url, sid);
    onTestFinished(() => client.close());
    const input = mulawTone(40, 440, 8000);
    // The gateway's timers run before it reads the socket, so its first tick after the stall finds the
    // echo dry — it must not take that for the end of the reply.
    await sendMediaWithStall(client, sid, input);
    const mark = await client.waitFor((m) => m.event === 'mark', 5000);
    await new Promise((r) => setTimeout(r, 300));
    const messages = outbound(client);
    const marks = messages.filter((m) => m.raw.event === 'mark');
    const media = messages.filter((m) => m.out?.kind === 'media');
    expect(marks.map((m) => m.raw.mark.name)).toEqual([mark.mark.name]);
    expect(media.length).toBeGreaterThanOrEqual(38);
    expect(messages.findIndex((m) => m.raw === mark)).toBeGreaterThan(messages.lastIndexOf(media.at(-1)!));
    client.send(twilio.stop(sid, 50));
    await client.waitClose();
  });

  it('sends clear when the caller talks over the reply, and no reply audio after it', async () => {
    const sid = 'MZ00000000000000000000000000000003';
    const client = await call(url, sid, { probe: 'bargein' });
    // 0.6 s of silence (the probe starts a 3 s reply after 5 frames), then the caller talks.
    const frames = [...mulawTone(30, 440, 0), ...mulawTone(20, 440, 8000)];
    let talkAt = 0;
    await sendPaced(frames, (payload, k) => {
      if (k === 30) talkAt = performance.now();
      client.send(twilio.media(sid, k, payload as Buffer));
    });
    const clear = await client.waitFor((m) => m.event === 'clear', 5000);
    const clearAt = calls.get(sid)!.clearedAt!;
    expect(clear).toEqual({ event: 'clear', streamSid: sid });
    await new Promise((r) => setTimeout(r, 400));
    const messages = outbound(client);
    const clearIndex = messages.findIndex((m) => m.raw === clear);
    const replyFrames = messages.filter(isLoudMedia);
    // The caller was heard within half a second (jitter buffer + one tick), the 3 s reply was cut
    // short (150 frames), and no reply audio followed the clear.
    expect(clearAt - talkAt).toBeLessThan(500);
    expect(replyFrames.length).toBeGreaterThan(5);
    expect(replyFrames.length).toBeLessThan(100);
    expect(messages.slice(clearIndex + 1).filter((m) => m.out?.kind === 'media')).toEqual([]);
    client.send(twilio.stop(sid, 90));
    await client.waitClose();
  }, 20_000);
});

describe('a 16 kHz handler on an 8 kHz phone line', () => {
  const seen = { inputRate: 0, frameRates: new Set<number>() };
  // Wants 16 kHz in and answers at 16 kHz: the session resamples 8k → 16k in and 16k → 8k out.
  const wideband = defineHandler({
    name: 'wideband-echo',
    inputSampleRate: 16_000,
    create() {
      let ctx: HandlerContext | undefined;
      return {
        startUp(context) {
          ctx = context;
          seen.inputRate = context.inputSampleRate;
        },
        receive(frame) {
          seen.frameRates.add(frame.sampleRate);
          ctx?.send({ type: 'audio', frame });
        },
      };
    },
  });
  let gateway: Gateway;
  let url: string;
  beforeAll(async () => {
    gateway = createGateway({ handler: wideband, port: 0, idleTimeoutS: 30 });
    url = (await gateway.listen()).url;
  });
  afterAll(() => gateway.close());

  it('gets 16 kHz frames and its 16 kHz reply reaches the caller as 8 kHz μ-law, tone and level kept', async () => {
    const sid = 'MZ00000000000000000000000000000004';
    const client = await call(url, sid);
    await sendMedia(client, sid, mulawTone(50, 440, 8000));
    await client.waitFor((m) => m.event === 'mark', 5000);
    expect(seen.inputRate).toBe(16_000);
    expect([...seen.frameRates]).toEqual([16_000]);
    const media = outbound(client).filter((m) => m.out?.kind === 'media').map((m) => (m.out as { payload: Buffer }).payload);
    expect(media.every((p) => p.length === 160)).toBe(true);
    expectCallerTone(media.map((p) => decodeMulaw(p)).filter((pcm) => rms(pcm) > 1000), 5);
    client.send(twilio.stop(sid, 60));
    expect(await client.waitClose()).toBe(1000);
  }, 20_000);

  // The premise is one stall, the injected one; a machine that stalls this process again on its own
  // (another test file on the other core) can end a spurt legitimately, so a run gets two retries.
  let stallAttempt = 0;
  it('an event-loop stall mid-call does not cut the resampled reply into talk spurts', { retry: 2, timeout: 20_000 }, async () => {
    // A stream of its own per attempt: a failed attempt's call may still be open when the retry starts.
    const sid = `MZ0000000000000000000000000000005${stallAttempt++}`;
    const client = await call(url, sid);
    onTestFinished(() => client.close());
    const session = () => [...gateway.sessions.registry.all()].find((s) => s.carrier === 'twilio' && s.id === sid)!;
    await sendMediaWithStall(client, sid, mulawTone(50, 440, 8000));
    const spurtsBeforeEnd = session().stats().outputSpurts;
    await client.waitFor((m) => m.event === 'mark', 5000);
    // A spurt ended mid-stream would flush the 16 → 8 kHz resampler's tail and pad a partial frame.
    expect(spurtsBeforeEnd).toBe(0);
    expect(session().stats().outputSpurts).toBe(1);
    const media = outbound(client).filter((m) => m.out?.kind === 'media').map((m) => decodeMulaw((m.out as { payload: Buffer }).payload));
    expectCallerTone(media.filter((pcm) => rms(pcm) > 1000), 5);
    client.send(twilio.stop(sid, 60));
    expect(await client.waitClose()).toBe(1000);
  });
});
