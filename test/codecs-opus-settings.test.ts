import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpusStreamEncoder } from '../src/codecs/opus.js';
import { DEFAULT_OPUS_SETTINGS, parseClientOpusSettings, resolveGatewayOpusSettings, sessionOpusSettings } from '../src/codecs/opus-settings.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import type { WavegateError } from '../src/errors/wavegate-error.js';
import echo from '../handlers/echo.js';
import { WsTestClient } from './support/ws-test-client.js';

const OPUS_48K = { encoding: 'audio/opus', sampleRate: 48_000, channels: 1 } as const;

describe('Opus settings (gateway defaults, client overrides)', () => {
  it('checks every gateway setting, naming the offending value', () => {
    expect(resolveGatewayOpusSettings(undefined)).toEqual(DEFAULT_OPUS_SETTINGS);
    expect(resolveGatewayOpusSettings({ complexity: 4, bitrate: 24_000 })).toMatchObject({ complexity: 4, bitrate: 24_000, application: DEFAULT_OPUS_SETTINGS.application });
    expect(() => resolveGatewayOpusSettings({ complexity: 11 })).toThrow('Expected `opus.complexity` to be an integer from 0 to 10, got `11`');
    expect(() => resolveGatewayOpusSettings({ application: 'music' as never })).toThrow("Expected `opus.application` to be 'audio', 'voip' or 'lowdelay', got `\"music\"`");
    expect(() => resolveGatewayOpusSettings({ fec: 'yes' as never })).toThrow(/opus.fec.*got `"yes"`/);
    expect(() => resolveGatewayOpusSettings({ bitrate: 100 })).toThrow('Expected `opus.bitrate` to be null or an integer from 6000 to 510000, got `100`');
    expect(() => resolveGatewayOpusSettings({ loud: true } as never)).toThrow(/Unknown Opus setting `opus.loud`/);
  });

  it("takes a client's settings one by one and refuses bad ones with WG_ERR_UNSUPPORTED_FORMAT", () => {
    expect(parseClientOpusSettings({ complexity: 3, fec: true })).toEqual({ complexity: 3, fec: true });
    const codeAndMessage = (value: unknown) => {
      try {
        parseClientOpusSettings(value);
      } catch (err) {
        return `${(err as WavegateError).code}: ${(err as Error).message}`;
      }
      return 'accepted';
    };
    expect(codeAndMessage({ complexity: -1 })).toMatch(/^WG_ERR_UNSUPPORTED_FORMAT: .*outputFormat.opus.complexity must be an integer from 0 to 10, got -1/);
    expect(codeAndMessage({ dtx: 'on' })).toMatch(/outputFormat.opus.dtx must be true or false, got "on"/);
    expect(codeAndMessage({ gain: 3 })).toMatch(/outputFormat.opus.gain is not an Opus setting/);
    expect(codeAndMessage([1])).toMatch(/outputFormat.opus must be an object/);
    expect(() => sessionOpusSettings({ ...DEFAULT_OPUS_SETTINGS, maxComplexity: 2 }, { complexity: 5 })).toThrow("outputFormat.opus.complexity 5 is above this gateway's maximum of 2");
  });

  it('turns in-band FEC on while the far end reports loss (fec auto), and off again', () => {
    const encoder = new OpusStreamEncoder(48_000, 1, { fec: 'auto' });
    expect(encoder.fecActive).toBe(false);
    encoder.setPacketLossPercent(15);
    expect(encoder.fecActive).toBe(true);
    expect(encoder.packetLossPercent).toBe(15);
    encoder.setPacketLossPercent(0);
    expect(encoder.fecActive).toBe(false);
    expect(new OpusStreamEncoder(48_000, 1, { fec: 'auto', packetLossPercent: 5 }).fecActive).toBe(true);
    expect(new OpusStreamEncoder(48_000, 1, { fec: false, packetLossPercent: 5 }).fecActive).toBe(false);
    expect(() => encoder.setPacketLossPercent(2.5)).toThrow('Opus option packetLossPercent must be an integer in 0..100, got 2.5');
  });
});

describe('Opus settings reach the session encoder', () => {
  let gateway: Gateway;
  let wsUrl: string;
  beforeAll(async () => {
    gateway = createGateway({ handler: echo, port: 0, opus: { maxComplexity: 8 } });
    wsUrl = `${(await gateway.listen()).url.replace('http', 'ws')}/websocket/offer`;
  });
  afterAll(() => gateway.close());

  /** Echoes `frames` frames of `pcm` (one 20 ms frame, repeated) with these settings; the packets that come back. */
  async function echoPackets(id: string, opus: Record<string, unknown> | undefined, pcm: Int16Array, frames: number): Promise<Buffer[]> {
    const encoder = new OpusStreamEncoder(48_000, 1, { application: 'audio' });
    const client = await WsTestClient.connect(wsUrl);
    client.send({ event: 'start', websocket_id: id, mediaFormat: OPUS_48K, outputFormat: { ...OPUS_48K, ...(opus && { opus }) } });
    for (let k = 0; k < frames; k++) {
      client.send(Buffer.from(encoder.encode(pcm)));
      await new Promise((r) => setTimeout(r, 20));
    }
    const deadline = Date.now() + 10_000;
    while (client.messages.filter(Buffer.isBuffer).length < frames - 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    client.send({ event: 'stop' });
    await client.waitClose();
    return client.messages.filter((m): m is Buffer => Buffer.isBuffer(m));
  }

  const tone = Int16Array.from({ length: 960 }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 400 * i) / 48_000)));
  /** Opus TOC configurations 0–11 are SILK, 12–15 hybrid, 16–31 CELT (RFC 6716 §3.1). */
  const config = (packet: Buffer) => packet[0]! >> 3;

  it("'audio' codes speech-rate audio in CELT, 'voip' in SILK or hybrid", { timeout: 60_000 }, async () => {
    const celt = await echoPackets('opus-audio', { application: 'audio' }, tone, 20);
    const voip = await echoPackets('opus-voip', { application: 'voip', complexity: 5 }, tone, 20);
    expect(celt.length).toBeGreaterThan(10);
    expect(voip.length).toBeGreaterThan(10);
    expect(celt.slice(5).every((p) => config(p) >= 16)).toBe(true);
    expect(voip.slice(5).every((p) => config(p) < 16)).toBe(true);
  });

  it('echoed digital silence costs a few bytes: CELT (the default) codes it in 3, voip with DTX in 1', { timeout: 60_000 }, async () => {
    const silence = new Int16Array(960);
    const celt = await echoPackets('opus-silence', undefined, silence, 30);
    const dtx = await echoPackets('opus-dtx', { application: 'voip', dtx: true }, silence, 40);
    const full = await echoPackets('opus-nodtx', { application: 'voip', dtx: false }, silence, 40);
    expect(celt.length).toBeGreaterThan(20);
    expect(celt.every((p) => p.length <= 3)).toBe(true);
    expect(dtx.filter((p) => p.length <= 2).length).toBeGreaterThan(dtx.length / 2);
    expect(full.filter((p) => p.length <= 2).length).toBe(0);
  });

  it('refuses a complexity above the gateway maximum and bad settings, with a coded error', { timeout: 30_000 }, async () => {
    for (const [opus, pattern] of [
      [{ complexity: 9 }, /above this gateway's maximum of 8/],
      [{ application: 'music' }, /outputFormat.opus.application must be/],
    ] as const) {
      const client = await WsTestClient.connect(wsUrl);
      client.send({ event: 'start', websocket_id: `bad-${String(opus.complexity ?? opus.application)}`, mediaFormat: OPUS_48K, outputFormat: { ...OPUS_48K, opus } });
      const error = await client.waitFor((m) => m.type === 'error');
      expect(error.code).toBe('WG_ERR_UNSUPPORTED_FORMAT');
      expect(error.message).toMatch(pattern);
      await client.waitClose();
    }
  });
});
