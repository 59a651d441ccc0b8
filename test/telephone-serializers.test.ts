import { describe, expect, it } from 'vitest';
import type { WavegateError } from '../src/errors/wavegate-error.js';
import { PlivoSerializer, parseExtraHeaders } from '../src/transport/plivo/plivo-serializer.js';
import { CarrierDetectingSerializer, detectCarrier } from '../src/transport/telephone/carrier-detect.js';
import { TelnyxSerializer } from '../src/transport/telnyx/telnyx-serializer.js';
import { TwilioSerializer } from '../src/transport/twilio/twilio-serializer.js';

const text = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));
const b64 = (bytes: number[]) => Buffer.from(bytes).toString('base64');
const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as WavegateError).code;
  }
  return undefined;
};

// The message examples of Twilio's "Media Streams - WebSocket Messages" page, field for field.
const STREAM_SID = 'MZ18ad3ab5a668481ce02b83e7395059f0';
const CALL_SID = 'CA5a1ebd8dcc0ff4c2a2ea3fcbbdf3a1c4';
const twilioStart = {
  event: 'start',
  sequenceNumber: '1',
  start: {
    accountSid: 'AC0000000000000000000000000000000',
    streamSid: STREAM_SID,
    callSid: CALL_SID,
    tracks: ['inbound'],
    mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
    customParameters: { FirstName: 'Jane', LastName: 'Doe', RemoteParty: 'Bob' },
  },
  streamSid: STREAM_SID,
};

describe('Twilio serializer', () => {
  it("parses Twilio's documented messages", () => {
    const s = new TwilioSerializer();
    expect(s.parse(text({ event: 'connected', protocol: 'Call', version: '1.0.0' }), false)).toEqual({ type: 'noop' });
    expect(s.parse(text(twilioStart), false)).toEqual({
      type: 'start',
      sessionId: STREAM_SID,
      inputFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
      outputFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
      phone: { carrier: 'twilio', callId: CALL_SID, streamId: STREAM_SID, customParameters: { FirstName: 'Jane', LastName: 'Doe', RemoteParty: 'Bob' } },
    });
    const media = s.parse(text({ event: 'media', sequenceNumber: '4', media: { track: 'inbound', chunk: '2', timestamp: '5', payload: b64([0xff, 0x7f]) }, streamSid: STREAM_SID }), false);
    expect(media.type === 'media' && { payload: [...media.payload], seq: media.seq, timestamp: media.timestamp }).toEqual({ payload: [0xff, 0x7f], seq: 2, timestamp: 5 });
    // Our own audio echoed on the outbound track (tracks="both_tracks") is not caller audio.
    expect(s.parse(text({ event: 'media', sequenceNumber: '3', media: { track: 'outbound', chunk: '1', timestamp: '5', payload: b64([1]) }, streamSid: STREAM_SID }), false)).toEqual({ type: 'noop' });
    expect(s.parse(text({ event: 'dtmf', streamSid: STREAM_SID, sequenceNumber: '5', dtmf: { track: 'inbound_track', digit: '1' } }), false)).toEqual({ type: 'dtmf', digit: '1' });
    expect(s.parse(text({ event: 'mark', sequenceNumber: '4', streamSid: STREAM_SID, mark: { name: 'my label' } }), false)).toEqual({ type: 'played_mark', name: 'my label' });
    expect(s.parse(text({ event: 'stop', sequenceNumber: '5', stop: { accountSid: 'AC0', callSid: CALL_SID }, streamSid: STREAM_SID }), false)).toEqual({ type: 'stop' });
  });

  it('uses media.chunk for ordering, falling back to sequenceNumber', () => {
    const s = new TwilioSerializer();
    s.parse(text(twilioStart), false);
    expect(s.parse(text({ event: 'media', sequenceNumber: '9', media: { payload: 'AA==' } }), false)).toMatchObject({ seq: 9, timestamp: undefined });
  });

  it("serializes Twilio's outbound shapes with the streamSid", () => {
    const s = new TwilioSerializer();
    expect(s.serialize({ type: 'media', payload: new Uint8Array(160) })).toBeUndefined(); // no stream yet
    s.parse(text(twilioStart), false);
    expect(JSON.parse(s.serialize({ type: 'media', payload: new Uint8Array([0xff, 0]) })!)).toEqual({ event: 'media', streamSid: STREAM_SID, media: { payload: '/wA=' } });
    expect(JSON.parse(s.serialize({ type: 'mark', name: 'seg-1' })!)).toEqual({ event: 'mark', streamSid: STREAM_SID, mark: { name: 'seg-1' } });
    expect(JSON.parse(s.serialize({ type: 'clear' })!)).toEqual({ event: 'clear', streamSid: STREAM_SID });
    expect(JSON.parse(s.serialize({ type: 'refused', limit: 2 })!)).toEqual({ status: 'failed', meta: { error: 'concurrency_limit_reached', limit: 2 } });
    for (const m of [{ type: 'pong' }, { type: 'end_stream' }, { type: 'warning', code: 'WG_ERR_QUEUE_OVERFLOW', message: 'x' }, { type: 'output', output: { type: 'send_input' } }] as const) {
      expect(s.serialize(m)).toBeUndefined();
    }
  });

  it('rejects bad input with registry codes', () => {
    const s = new TwilioSerializer();
    expect(codeOf(() => s.parse(text('{"event":'), false))).toBe('WG_ERR_MALFORMED_JSON');
    expect(codeOf(() => s.parse(Buffer.from([1, 2]), true))).toBe('WG_ERR_BINARY_NOT_ALLOWED');
    expect(codeOf(() => s.parse(text({ event: 'hello' }), false))).toBe('WG_ERR_UNKNOWN_EVENT');
    expect(codeOf(() => s.parse(text({ ...twilioStart, start: { ...twilioStart.start, streamSid: '../x' } }), false))).toBe('WG_ERR_INVALID_ID');
    expect(codeOf(() => s.parse(text({ ...twilioStart, streamSid: 'MZother' }), false))).toBe('WG_ERR_MALFORMED_MESSAGE');
    expect(codeOf(() => s.parse(text({ ...twilioStart, start: { ...twilioStart.start, mediaFormat: { encoding: 'audio/mpeg', sampleRate: 8000, channels: 1 } } }), false))).toBe('WG_ERR_UNSUPPORTED_FORMAT');
    expect(codeOf(() => s.parse(text({ ...twilioStart, start: { ...twilioStart.start, customParameters: { a: { b: 1 } } } }), false))).toBe('WG_ERR_MALFORMED_MESSAGE');
    s.parse(text(twilioStart), false);
    expect(codeOf(() => s.parse(text({ event: 'media', streamSid: 'MZother', media: { payload: 'AA==' } }), false))).toBe('WG_ERR_MALFORMED_MESSAGE');
    expect(codeOf(() => s.parse(text({ event: 'media', media: { payload: '@@@@' } }), false))).toBe('WG_ERR_BAD_BASE64');
    expect(codeOf(() => s.parse(text({ event: 'media', media: { payload: 'AA==', chunk: 'two' } }), false))).toBe('WG_ERR_MALFORMED_MESSAGE');
    expect(codeOf(() => s.parse(text({ event: 'dtmf', dtmf: { digit: '12' } }), false))).toBe('WG_ERR_MALFORMED_MESSAGE');
    expect(codeOf(() => s.parse(text({ event: 'mark', mark: {} }), false))).toBe('WG_ERR_MALFORMED_MESSAGE');
  });
});

// Telnyx's media streaming page (AsyncAPI "Stream call media over WebSocket") examples.
const TELNYX_STREAM = '32DE0DEA-53CB-4B21-89A4-9E1819C043BC';
const TELNYX_CALL = 'v2:T02llQxIyaRkhfRKxgAP8nY511EhFLizdvdUKJiSw8d6A9BborherQ';
const telnyxStart = (encoding = 'PCMU', sample_rate = 8000) => ({
  event: 'start',
  sequence_number: '1',
  stream_id: TELNYX_STREAM,
  start: {
    user_id: '3E6F995F-85F7-4705-9741-53B116D28237',
    call_control_id: TELNYX_CALL,
    call_session_id: 'ff55a038-6f5d-11ef-9692-02420aeffb1f',
    from: '+13122010094',
    to: '+13122123456',
    tags: ['TAG1', 'TAG2'],
    client_state: 'aGF2ZSBhIG5pY2UgZGF5ID1d',
    custom_parameters: { customer_id: 'customer_123' },
    media_format: { encoding, sample_rate, channels: 1 },
  },
});

describe('Telnyx serializer', () => {
  it("parses Telnyx's documented messages", () => {
    const s = new TelnyxSerializer();
    expect(s.parse(text({ event: 'connected', version: '1.0.0' }), false)).toEqual({ type: 'noop' });
    expect(s.parse(text(telnyxStart()), false)).toEqual({
      type: 'start',
      sessionId: TELNYX_STREAM,
      inputFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
      outputFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
      phone: { carrier: 'telnyx', callId: TELNYX_CALL, streamId: TELNYX_STREAM, customParameters: { customer_id: 'customer_123' } },
    });
    const media = s.parse(text({ event: 'media', sequence_number: '4', media: { track: 'inbound', chunk: '2', timestamp: '5', payload: b64([1, 2]) }, stream_id: TELNYX_STREAM }), false);
    expect(media).toMatchObject({ type: 'media', seq: 2, timestamp: 5 });
    expect(s.parse(text({ event: 'media', sequence_number: '5', media: { track: 'outbound', chunk: '3', timestamp: '25', payload: b64([1]) }, stream_id: TELNYX_STREAM }), false)).toEqual({ type: 'noop' });
    expect(s.parse(text({ event: 'dtmf', stream_id: TELNYX_STREAM, occurred_at: '2025-06-05T08:54:19.698408Z', sequence_number: '6', dtmf: { digit: '#' } }), false)).toEqual({ type: 'dtmf', digit: '#' });
    expect(s.parse(text({ event: 'mark', sequence_number: '7', stream_id: TELNYX_STREAM, mark: { name: 'seg-1' } }), false)).toEqual({ type: 'played_mark', name: 'seg-1' });
    expect(s.parse(text({ event: 'error', sequence_number: '8', stream_id: TELNYX_STREAM, error: { title: 'rate_limit_reached', code: '100005', detail: 'Too many requests' } }), false)).toEqual({ type: 'noop' });
    expect(s.parse(text({ event: 'stop', sequence_number: '9', stop: { user_id: 'u', call_control_id: TELNYX_CALL }, stream_id: TELNYX_STREAM }), false)).toEqual({ type: 'stop' });
  });

  it('serializes media, mark and clear', () => {
    const s = new TelnyxSerializer();
    s.parse(text(telnyxStart()), false);
    expect(JSON.parse(s.serialize({ type: 'media', payload: new Uint8Array([0xff, 0]) })!)).toEqual({ event: 'media', media: { payload: '/wA=' } });
    expect(JSON.parse(s.serialize({ type: 'mark', name: 'seg-1' })!)).toEqual({ event: 'mark', mark: { name: 'seg-1' } });
    expect(JSON.parse(s.serialize({ type: 'clear' })!)).toEqual({ event: 'clear' });
    expect(s.serialize({ type: 'pong' })).toBeUndefined();
  });

  it("maps PCMA and swaps RTP's big-endian L16 both ways", () => {
    const alaw = new TelnyxSerializer();
    expect(alaw.parse(text(telnyxStart('PCMA')), false)).toMatchObject({ inputFormat: { encoding: 'audio/x-alaw', sampleRate: 8000 } });
    const l16 = new TelnyxSerializer();
    expect(l16.parse(text(telnyxStart('L16', 16000)), false)).toMatchObject({ inputFormat: { encoding: 'audio/x-l16', sampleRate: 16000 }, outputFormat: { encoding: 'audio/x-l16', sampleRate: 16000 } });
    // 1000 = 0x03E8: on the wire (big-endian) 03 E8; inside wavegate (little-endian) E8 03.
    const media = l16.parse(text({ event: 'media', media: { track: 'inbound', payload: b64([0x03, 0xe8]) } }), false);
    expect(media.type === 'media' && [...media.payload]).toEqual([0xe8, 0x03]);
    expect(JSON.parse(l16.serialize({ type: 'media', payload: new Uint8Array([0xe8, 0x03]) })!).media.payload).toBe(b64([0x03, 0xe8]));
    expect(codeOf(() => l16.parse(text({ event: 'media', media: { payload: b64([1, 2, 3]) } }), false))).toBe('WG_ERR_BAD_PAYLOAD');
  });

  it('refuses codecs and rates it cannot carry', () => {
    expect(codeOf(() => new TelnyxSerializer().parse(text(telnyxStart('G722', 16000)), false))).toBe('WG_ERR_UNSUPPORTED_FORMAT');
    expect(codeOf(() => new TelnyxSerializer().parse(text(telnyxStart('PCMU', 16000)), false))).toBe('WG_ERR_UNSUPPORTED_FORMAT');
    expect(codeOf(() => new TelnyxSerializer().parse(text({ ...telnyxStart(), stream_id: undefined }), false))).toBe('WG_ERR_INVALID_ID');
    expect(codeOf(() => new TelnyxSerializer().parse(text({ event: 'media' }), false))).toBe('WG_ERR_MALFORMED_MESSAGE');
  });
});

// Plivo's "Stream Event Protocol" page examples.
const PLIVO_STREAM = '87654321-4321-4321-4321-cba987654321';
const PLIVO_CALL = '12345678-1234-1234-1234-123456789abc';
const plivoStart = (encoding = 'audio/x-mulaw', sampleRate = 8000) => ({
  event: 'start',
  sequenceNumber: 1,
  start: { callId: PLIVO_CALL, streamId: PLIVO_STREAM, accountId: 'MAXXXXXXXXXXXXXXXXXX', tracks: ['inbound'], mediaFormat: { encoding, sampleRate } },
  extra_headers: 'userId=12345;sessionId=abc-xyz',
});

describe('Plivo serializer', () => {
  it("parses Plivo's documented messages", () => {
    const s = new PlivoSerializer();
    expect(s.parse(text(plivoStart()), false)).toEqual({
      type: 'start',
      sessionId: PLIVO_STREAM,
      inputFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
      outputFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
      phone: { carrier: 'plivo', callId: PLIVO_CALL, streamId: PLIVO_STREAM, customParameters: { userId: '12345', sessionId: 'abc-xyz' } },
    });
    const media = { event: 'media', sequenceNumber: 42, streamId: PLIVO_STREAM, media: { track: 'inbound', timestamp: '1705312200000', chunk: 41, payload: b64([0xff]) }, extra_headers: 'userId=12345;sessionId=abc-xyz' };
    expect(s.parse(text(media), false)).toMatchObject({ type: 'media', seq: 41, timestamp: 1705312200000 });
    expect(s.parse(text({ event: 'dtmf', sequenceNumber: 50, streamId: PLIVO_STREAM, dtmf: { track: 'inbound', digit: '5', timestamp: '1705312250000' } }), false)).toEqual({ type: 'dtmf', digit: '5' });
    expect(s.parse(text({ event: 'playedStream', sequenceNumber: 75, streamId: PLIVO_STREAM, name: 'customer greeting audio' }), false)).toEqual({ type: 'played_mark', name: 'customer greeting audio' });
    expect(s.parse(text({ event: 'clearedAudio', sequenceNumber: 80, streamId: PLIVO_STREAM }), false)).toEqual({ type: 'noop' });
  });

  it('serializes playAudio, checkpoint and clearAudio', () => {
    const s = new PlivoSerializer();
    s.parse(text(plivoStart('audio/x-l16', 16000)), false);
    expect(JSON.parse(s.serialize({ type: 'media', payload: new Uint8Array([1, 0]) })!)).toEqual({ event: 'playAudio', media: { contentType: 'audio/x-l16', sampleRate: 16000, payload: 'AQA=' } });
    expect(JSON.parse(s.serialize({ type: 'mark', name: 'c1' })!)).toEqual({ event: 'checkpoint', streamId: PLIVO_STREAM, name: 'c1' });
    expect(JSON.parse(s.serialize({ type: 'clear' })!)).toEqual({ event: 'clearAudio', streamId: PLIVO_STREAM });
  });

  it('reads extraHeaders in either separator and refuses other formats', () => {
    expect(parseExtraHeaders('test1=12,test2=123')).toEqual({ test1: '12', test2: '123' });
    expect(parseExtraHeaders(undefined)).toEqual({});
    expect(codeOf(() => parseExtraHeaders('=x'))).toBe('WG_ERR_MALFORMED_MESSAGE');
    expect(codeOf(() => new PlivoSerializer().parse(text(plivoStart('audio/x-mulaw', 16000)), false))).toBe('WG_ERR_UNSUPPORTED_FORMAT');
    expect(codeOf(() => new PlivoSerializer().parse(text(plivoStart('audio/x-l16', 48000)), false))).toBe('WG_ERR_UNSUPPORTED_FORMAT');
  });
});

describe('carrier auto-detection', () => {
  it('tells the carrier from the start message', () => {
    expect(detectCarrier(twilioStart)).toBe('twilio');
    expect(detectCarrier(telnyxStart())).toBe('telnyx');
    expect(detectCarrier(plivoStart())).toBe('plivo');
    expect(detectCarrier({ event: 'start', websocket_id: 'x' })).toBeUndefined();
    expect(detectCarrier({ event: 'media' })).toBeUndefined();
  });

  it('delegates to the detected carrier after start', () => {
    for (const [start, carrier, mark] of [
      [twilioStart, 'twilio', { event: 'mark', streamSid: STREAM_SID, mark: { name: 'a' } }],
      [telnyxStart(), 'telnyx', { event: 'mark', mark: { name: 'a' } }],
      [plivoStart(), 'plivo', { event: 'playedStream', name: 'a' }],
    ] as const) {
      const s = new CarrierDetectingSerializer();
      expect(s.parse(text({ event: 'connected', version: '1.0.0' }), false)).toEqual({ type: 'noop' });
      expect(s.parse(text(start), false)).toMatchObject({ type: 'start', phone: { carrier } });
      expect(s.name).toBe(carrier);
      expect(s.parse(text(mark), false)).toEqual({ type: 'played_mark', name: 'a' });
    }
  });

  it('refuses media before start and starts it cannot place', () => {
    const s = new CarrierDetectingSerializer();
    expect(codeOf(() => s.parse(text({ event: 'media', media: { payload: 'AA==' } }), false))).toBe('WG_ERR_MEDIA_BEFORE_START');
    expect(codeOf(() => s.parse(Buffer.from([0]), true))).toBe('WG_ERR_MEDIA_BEFORE_START');
    expect(codeOf(() => s.parse(text({ event: 'start', start: {} }), false))).toBe('WG_ERR_MALFORMED_MESSAGE');
    expect(codeOf(() => s.parse(text({ event: 'bogus' }), false))).toBe('WG_ERR_UNKNOWN_EVENT');
    expect(JSON.parse(s.serialize({ type: 'refused', limit: 1 }) as string)).toEqual({ status: 'failed', meta: { error: 'concurrency_limit_reached', limit: 1 } });
  });
});
