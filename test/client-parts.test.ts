import { describe, expect, test } from 'vitest';
import { markMessage, mediaMessage, parseServerMessage, startMessage } from '../clients/client-wire.js';
import { DeadlineSchedule } from '../clients/deadline-schedule.js';
import { chunkFrames } from '../clients/frame-chunker.js';
import { mixToMono } from '../src/audio/mix-to-mono.js';
import { percentile, summarize } from '../clients/percentiles.js';
import { RoundTripTracker } from '../clients/round-trip-tracker.js';
import { DEFAULT_STREAM_OPTIONS, resolveStreamOptions } from '../clients/stream-audio.js';
import { FastRtcSerializer } from '../src/transport/fastrtc/fastrtc-serializer.js';

describe('frame chunker', () => {
  test('whole frames, the last padded with silence, as views', () => {
    const pcm = Int16Array.from({ length: 2050 }, (_, i) => i + 1);
    const frames = chunkFrames(pcm, 960);
    expect(frames.map((f) => f.length)).toEqual([960, 960, 960]);
    expect(frames[2]![129]).toBe(2050);
    expect(frames[2]![130]).toBe(0);
    expect(frames[2]!.at(-1)).toBe(0);
    expect(frames[1]![0]).toBe(961);
    const exact = new Int16Array(1920);
    expect(chunkFrames(exact, 960)[1]!.buffer).toBe(exact.buffer);
    expect(chunkFrames(new Int16Array(0), 960)).toEqual([]);
    expect(() => chunkFrames(pcm, 0)).toThrow('Expected `frameSamples` to be an integer > 0, got `0`');
  });

  test('stereo is mixed to mono by averaging', () => {
    expect(Array.from(mixToMono(Int16Array.of(100, 300, -5, -7, 32767, 32767), 2))).toEqual([200, -6, 32767]);
    const mono = Int16Array.of(1, 2);
    expect(mixToMono(mono, 1)).toBe(mono);
  });
});

describe('deadline schedule', () => {
  test('tick k is due at start + k·period, independent of when ticks ran', () => {
    const s = new DeadlineSchedule(1000, 20);
    expect(s.deadline(0)).toBe(1000);
    expect(s.deadline(150)).toBe(4000);
    expect(s.dueThrough(999.9)).toBe(-1);
    expect(s.dueThrough(1000)).toBe(0);
    expect(s.dueThrough(1019.99)).toBe(0);
    expect(s.dueThrough(1020)).toBe(1);
    // A wake-up 73 ms late: ticks 1..4 are all due now (caught up, none skipped).
    expect(s.dueThrough(1020 + 73)).toBe(4);
    expect(s.delayUntil(5, 1093)).toBe(7);
    expect(s.delayUntil(2, 1093)).toBe(0);
  });

  test('no drift: re-arming each timer from the late wake-up time still lands on the grid', () => {
    const s = new DeadlineSchedule(0, 20);
    // Simulate a timer that always fires 3 ms late: the k-th deadline stays k·20, errors never add up.
    let now = 0;
    const fired: number[] = [];
    for (let k = 0; k < 1000; k++) {
      const due = s.dueThrough(now);
      fired.push(due);
      now = now + s.delayUntil(due + 1, now) + 3;
    }
    expect(fired.at(-1)).toBe(999);
    expect(now).toBeCloseTo(1000 * 20 + 3, 6);
  });

  test('bad arguments are refused with the value', () => {
    expect(() => new DeadlineSchedule(0, 0)).toThrow('got `0`');
    expect(() => new DeadlineSchedule(Number.NaN, 20)).toThrow('startMs');
  });
});

describe('percentiles', () => {
  test('linear interpolation between closest ranks (numpy default)', () => {
    const sorted = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(percentile(sorted, 50)).toBe(5.5);
    expect(percentile(sorted, 95)).toBeCloseTo(9.55, 10);
    expect(percentile(sorted, 99)).toBeCloseTo(9.91, 10);
    expect(percentile(sorted, 0)).toBe(1);
    expect(percentile(sorted, 100)).toBe(10);
    expect(percentile([42], 99)).toBe(42);
    expect(percentile([], 50)).toBeNaN();
    expect(() => percentile(sorted, 101)).toThrow(RangeError);
  });

  test('summary sorts its input and reports count, min, max, mean', () => {
    const s = summarize([30, 10, 20, 40]);
    expect(s).toEqual({ count: 4, min: 10, p50: 25, p95: 38.5, p99: expect.closeTo(39.7, 10), max: 40, mean: 25 });
    expect(summarize([]).count).toBe(0);
  });
});

describe('round-trip tracker', () => {
  test('frame echo RTT pairs sent and received durations, across different rates', () => {
    const t = new RoundTripTracker(20);
    for (let k = 0; k < 5; k++) t.sent(20, k * 20);
    // The reply comes back 60 ms later in 20 ms pieces; a 3 ms resampler lag is absorbed.
    t.received(17, 60 + 20);
    t.received(20, 60 + 40);
    t.received(20, 60 + 60);
    expect(t.frameRtts()).toEqual([80, 80, 80]);
    // One 40 ms piece brings two frames back at once.
    t.received(40, 60 + 100);
    expect(t.frameRtts()).toEqual([80, 80, 80, 100, 80]);
    expect(t.sentMs).toBe(100);
    expect(t.receivedMs).toBe(97);
  });

  test('mark RTT is echo time minus send time; unknown names are ignored', () => {
    const t = new RoundTripTracker(20);
    t.markSent('a', 100);
    t.markSent('b', 600);
    expect(t.markEchoed('b', 640)).toBe(40);
    expect(t.markEchoed('a', 700)).toBe(600);
    expect(t.markEchoed('a', 800)).toBeUndefined();
    expect(t.markEchoed('zzz', 800)).toBeUndefined();
    expect(t.markRtts()).toEqual([40, 600]);
  });
});

describe('client wire messages', () => {
  test("what the client sends parses with the gateway's own FastRTC serializer", () => {
    const server = new FastRtcSerializer();
    expect(JSON.parse(startMessage('abc'))).toEqual({ event: 'start', websocket_id: 'abc' });
    const start = server.parse(Buffer.from(startMessage('abc', { encoding: 'audio/x-l16', sampleRate: 16000, channels: 1 }, { encoding: 'audio/x-l16', sampleRate: 24000, channels: 1 })), false);
    expect(start).toMatchObject({ type: 'start', sessionId: 'abc', inputFormat: { encoding: 'audio/x-l16', sampleRate: 16000 }, outputFormat: { sampleRate: 24000 } });
    const media = server.parse(Buffer.from(mediaMessage(Uint8Array.of(1, 2, 255), 7, 140)), false);
    expect(media).toMatchObject({ type: 'media', seq: 7, timestamp: 140 });
    expect(Array.from((media as { payload: Uint8Array }).payload)).toEqual([1, 2, 255]);
    expect(server.parse(Buffer.from(markMessage('m1')), false)).toEqual({ type: 'client_mark', name: 'm1' });
    expect(JSON.parse(mediaMessage(Uint8Array.of(0)))).toEqual({ event: 'media', media: { payload: 'AA==' } });
  });

  test('server messages are classified, never thrown on', () => {
    const parse = (text: string) => parseServerMessage(Buffer.from(text), false);
    expect(parse('{"event":"media","media":{"payload":"AQI="}}')).toEqual({ type: 'media', payload: Uint8Array.of(1, 2) });
    expect(parseServerMessage(Buffer.from([9, 8]), true)).toEqual({ type: 'media', payload: Uint8Array.of(9, 8) });
    expect(parse('{"event":"clear"}')).toEqual({ type: 'clear' });
    expect(parse('{"event":"mark","mark":{"name":"x"}}')).toEqual({ type: 'mark', name: 'x' });
    expect(parse('{"type":"end_stream"}')).toEqual({ type: 'end_stream' });
    expect(parse('{"status":"failed","meta":{"error":"concurrency_limit_reached","limit":3}}')).toEqual({ type: 'refused', limit: 3, reason: 'concurrency_limit_reached' });
    expect(parse('{"type":"error","code":"WG_ERR_BAD_BASE64","message":"bad"}')).toEqual({ type: 'error', code: 'WG_ERR_BAD_BASE64', message: 'bad' });
    expect(parse('{"type":"log","data":"pause_detected"}')).toEqual({ type: 'other', message: { type: 'log', data: 'pause_detected' } });
    expect(parse('not json')).toEqual({ type: 'malformed', text: 'not json' });
    expect(parse('[1]')).toEqual({ type: 'malformed', text: '[1]' });
  });
});

describe('stream options', () => {
  const required = {
    url: 'ws://127.0.0.1:8000/websocket/offer',
    id: 'a',
    input: { encoding: 'audio/x-mulaw', sampleRate: 48000, channels: 1 },
    output: { encoding: 'audio/x-mulaw', sampleRate: 24000, channels: 1 },
  } as const;

  test('defaults first, then the caller’s', () => {
    expect(resolveStreamOptions(required)).toEqual({ ...DEFAULT_STREAM_OPTIONS, ...required });
    expect(resolveStreamOptions({ ...required, quietMs: 0, negotiate: false })).toMatchObject({ quietMs: 0, negotiate: false, frameMs: 20 });
  });

  test('every option checked, naming the offending value', () => {
    expect(() => resolveStreamOptions({ ...required, url: 'http://x' })).toThrow('Expected `url` to be a ws:// or wss:// URL, got `http://x` (string)');
    expect(() => resolveStreamOptions({ ...required, id: '' })).toThrow(/`id`/);
    expect(() => resolveStreamOptions({ ...required, frameMs: 30 as 20 })).toThrow('Expected `frameMs` to be one of 10, 20, 40, 60, got `30` (number)');
    expect(() => resolveStreamOptions({ ...required, quietMs: -1 })).toThrow(/`quietMs`/);
    expect(() => resolveStreamOptions({ ...required, binary: 'yes' as unknown as boolean })).toThrow(/`binary`/);
  });
});
