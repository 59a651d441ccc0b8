import { describe, expect, it } from 'vitest';
import { WavegateError } from '../src/errors/wavegate-error.js';
import { FastRtcSerializer } from '../src/transport/fastrtc/fastrtc-serializer.js';

const text = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));
const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as WavegateError).code;
  }
  return undefined;
};

describe('FastRTC serializer', () => {
  const s = new FastRtcSerializer();

  it("parses FastRTC's exact start/media/stop/ping shapes", () => {
    expect(s.parse(text({ event: 'start', websocket_id: 'abc123' }), false)).toEqual({
      type: "start", sessionId: "abc123", inputFormat: undefined, outputFormat: undefined, phone: undefined, handlerOptions: undefined,
    });
    const media = s.parse(text({ event: 'media', media: { payload: Buffer.from([1, 2, 255]).toString('base64') } }), false);
    expect(media.type === 'media' && [...media.payload]).toEqual([1, 2, 255]);
    expect(s.parse(text({ event: 'stop' }), false)).toEqual({ type: 'stop' });
    expect(s.parse(text({ event: 'ping' }), false)).toEqual({ type: 'ping' });
  });

  it('parses the wavegate extensions', () => {
    const start = s.parse(text({ event: 'start', websocket_id: 'x', mediaFormat: { encoding: 'audio/x-l16', sampleRate: 16000, channels: 1 }, outputFormat: { encoding: 'audio/opus', sampleRate: 48000 } }), false);
    expect(start).toMatchObject({ inputFormat: { encoding: 'audio/x-l16', sampleRate: 16000, channels: 1 }, outputFormat: { encoding: 'audio/opus', sampleRate: 48000, channels: 1 } });
    expect(s.parse(text({ event: 'media', sequenceNumber: '7', timestamp: 140, media: { payload: 'AAAA' } }), false)).toMatchObject({ seq: 7, timestamp: 140 });
    expect(s.parse(text({ event: 'mark', mark: { name: 'm1' } }), false)).toEqual({ type: 'client_mark', name: 'm1' });
    expect(s.parse(Buffer.from([1, 2]), true)).toMatchObject({ type: 'media' });
  });

  it('rejects bad input with registry codes', () => {
    expect(codeOf(() => s.parse(text('{nope'), false))).toBe('WG_ERR_MALFORMED_JSON');
    expect(codeOf(() => s.parse(text('[1]'), false))).toBe('WG_ERR_MALFORMED_MESSAGE');
    expect(codeOf(() => s.parse(text({ event: 'dance' }), false))).toBe('WG_ERR_UNKNOWN_EVENT');
    expect(codeOf(() => s.parse(text({ event: 'media', media: { payload: 'ab$=' } }), false))).toBe('WG_ERR_BAD_BASE64');
    expect(codeOf(() => s.parse(text({ event: 'media', media: { payload: 'abc' } }), false))).toBe('WG_ERR_BAD_BASE64');
    expect(codeOf(() => s.parse(text({ event: 'media' }), false))).toBe('WG_ERR_MALFORMED_MESSAGE');
    expect(codeOf(() => s.parse(text({ event: 'start', websocket_id: '../../etc' }), false))).toBe('WG_ERR_INVALID_ID');
    expect(codeOf(() => s.parse(text({ event: 'start', websocket_id: 'a', mediaFormat: { encoding: 'audio/mp3', sampleRate: 8000 } }), false))).toBe('WG_ERR_UNSUPPORTED_FORMAT');
    expect(codeOf(() => s.parse(text({ event: 'start', websocket_id: 'a', mediaFormat: { encoding: 'audio/x-l16', sampleRate: 16000, channels: 2 } }), false))).toBe('WG_ERR_UNSUPPORTED_FORMAT');
  });

  it("serializes FastRTC's shapes", () => {
    expect(JSON.parse(s.serialize({ type: 'media', payload: new Uint8Array([255, 0]) }) as string)).toEqual({ event: 'media', media: { payload: '/wA=' } });
    expect(JSON.parse(s.serialize({ type: 'refused', limit: 3 }) as string)).toEqual({ status: 'failed', meta: { error: 'concurrency_limit_reached', limit: 3 } });
    expect(JSON.parse(s.serialize({ type: 'output', output: { type: 'send_input' } }) as string)).toEqual({ type: 'send_input', data: [] });
    expect(JSON.parse(s.serialize({ type: 'output', output: { type: 'log', data: 'pause_detected' } }) as string)).toEqual({ type: 'log', data: 'pause_detected' });
    expect(JSON.parse(s.serialize({ type: 'output', output: { type: 'transcript', text: 'hi', final: true } }) as string)).toEqual({ type: 'transcript', data: { text: 'hi', final: true } });
    expect(JSON.parse(s.serialize({ type: 'error', code: 'WG_ERR_BAD_BASE64', message: 'm' }) as string)).toEqual({ type: 'error', code: 'WG_ERR_BAD_BASE64', message: 'm' });
  });
});
