import { describe, expect, it } from 'vitest';
import { createEncoder } from '../src/codecs/codec-factory.js';
import { WavegateError } from '../src/errors/wavegate-error.js';
import { dataChannelMessage } from '../src/transport/webrtc/data-channel-messages.js';
import { HeldCandidates } from '../src/transport/webrtc/held-candidates.js';
import { checkOfferSdp, parseOfferBody } from '../src/transport/webrtc/offer-body.js';
import { failureName, offerFailure } from '../src/transport/webrtc/offer-failure.js';
import { OpusRtpPacketizer } from '../src/transport/webrtc/opus-rtp-packetizer.js';
import { RtpTimestampUnwrapper } from '../src/transport/webrtc/rtp-timestamp-unwrapper.js';
import { SeededLoss } from '../src/transport/webrtc/seeded-loss.js';
import { checkWebRtcOptions, DEFAULT_WEBRTC_OPTIONS, parsePortRange } from '../src/transport/webrtc/webrtc-options.js';

const opus20 = (() => {
  const encoder = createEncoder({ encoding: 'audio/opus', sampleRate: 48_000, channels: 1 });
  const packet = encoder.encode(new Int16Array(960));
  encoder.close();
  return packet;
})();

describe('OpusRtpPacketizer', () => {
  it('counts sequence +1 and timestamp +960 per 20 ms packet, marker on the first', () => {
    const p = new OpusRtpPacketizer({ sequenceNumber: 65_534, timestamp: 0xffff_ff00 });
    const a = p.next(opus20, 0);
    const b = p.next(opus20, 20);
    const c = p.next(opus20, 40);
    expect([a.sequenceNumber, b.sequenceNumber, c.sequenceNumber]).toEqual([65_534, 65_535, 0]);
    expect([a.timestamp, b.timestamp, c.timestamp]).toEqual([0xffff_ff00, (0xffff_ff00 + 960) >>> 0, (0xffff_ff00 + 1920) >>> 0]);
    expect([a.marker, b.marker, c.marker]).toEqual([true, false, false]);
  });

  it('a burst sent ahead of real time (the output lead) is numbered as continuous audio', () => {
    const p = new OpusRtpPacketizer({ sequenceNumber: 0, timestamp: 0 });
    const fields = [0, 0, 0, 20, 40].map((t) => p.next(opus20, t));
    expect(fields.map((f) => f.timestamp)).toEqual([0, 960, 1920, 2880, 3840]);
    expect(fields.filter((f) => f.marker)).toHaveLength(1);
  });

  it('after a silence the timestamp jumps by the silent time and the marker is set', () => {
    const p = new OpusRtpPacketizer({ sequenceNumber: 10, timestamp: 1000 });
    p.next(opus20, 0); // audio until 20 ms
    const after = p.next(opus20, 520); // 500 ms of silence
    expect(after.marker).toBe(true);
    expect(after.sequenceNumber).toBe(11);
    expect(after.timestamp).toBe(1000 + 960 + 500 * 48);
  });
});

describe('RtpTimestampUnwrapper', () => {
  it('maps 48 kHz RTP time to ms from the first packet, across the 32-bit wrap and out of order', () => {
    const u = new RtpTimestampUnwrapper(48_000);
    expect(u.toMs(0xffff_fc40)).toBe(0); // 960 before the wrap
    expect(u.toMs(0)).toBe(20);
    expect(u.toMs(1920)).toBe(60);
    expect(u.toMs(960)).toBe(40); // late packet
    expect(u.toMs(2880)).toBe(80);
  });
});

describe('HeldCandidates', () => {
  it('holds per id up to its bounds, hands them over in order, expires the old', () => {
    const held = new HeldCandidates<number>({ perId: 2, maxIds: 2, holdMs: 1000 });
    expect(held.hold('a', 1, 0)).toBe('held');
    expect(held.hold('a', 2, 10)).toBe('held');
    expect(held.hold('a', 3, 20)).toBe('too_many_for_id');
    expect(held.hold('b', 4, 500)).toBe('held');
    expect(held.hold('c', 5, 600)).toBe('too_many_ids');
    expect(held.nextExpiry()).toBe(1000);
    expect(held.expire(999)).toEqual([]);
    expect(held.expire(1000)).toEqual([1, 2]);
    expect(held.take('b')).toEqual([4]);
    expect(held.take('b')).toEqual([]);
    expect(held.size).toBe(0);
  });
});

describe('SeededLoss', () => {
  it('drops about the asked share, the same packets for the same seed, none when off', () => {
    const run = (seed: number) => {
      const loss = new SeededLoss(5, seed);
      return Array.from({ length: 10_000 }, () => loss.drop());
    };
    const a = run(7);
    const b = run(7);
    const c = run(8);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    const share = a.filter(Boolean).length / a.length;
    expect(share).toBeGreaterThan(0.04);
    expect(share).toBeLessThan(0.06);
    const off = new SeededLoss(0, 1);
    expect(Array.from({ length: 1000 }, () => off.drop()).some(Boolean)).toBe(false);
  });
});

describe('offer body', () => {
  const ice = 'a=ice-ufrag:u\r\na=ice-pwd:p\r\na=fingerprint:sha-256 AA\r\n';
  const sdp = `v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n${ice}m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n`;
  it('reads offers and candidates as FastRTC sends them', () => {
    expect(parseOfferBody({ sdp, type: 'offer', webrtc_id: 'abc' })).toEqual({ kind: 'offer', id: 'abc', sdp });
    const candidate = { candidate: 'candidate:1 1 udp 2122260223 abcd.local 54321 typ host generation 0 ufrag x network-id 1', sdpMid: '0', sdpMLineIndex: 0, usernameFragment: 'x' };
    expect(parseOfferBody({ candidate, type: 'ice-candidate', webrtc_id: 'abc' })).toEqual({ kind: 'candidate', id: 'abc', candidate });
    expect(parseOfferBody({ candidate: { candidate: '' }, type: 'ice-candidate', webrtc_id: 'abc' })).toMatchObject({ kind: 'candidate' });
  });
  it('names what is wrong', () => {
    const code = (body: Record<string, unknown>) => {
      try {
        parseOfferBody(body);
      } catch (err) {
        return (err as WavegateError).code;
      }
      return 'ok';
    };
    expect(code({ sdp, type: 'offer' })).toBe('WG_ERR_INVALID_ID');
    expect(code({ sdp, type: 'offer', webrtc_id: '../x' })).toBe('WG_ERR_INVALID_ID');
    expect(code({ sdp, type: 'answer', webrtc_id: 'a' })).toBe('WG_ERR_MALFORMED_MESSAGE');
    expect(code({ sdp: 42, type: 'offer', webrtc_id: 'a' })).toBe('WG_ERR_INVALID_SDP');
    expect(code({ candidate: { candidate: 'candidate:garbage' }, type: 'ice-candidate', webrtc_id: 'a' })).toBe('WG_ERR_INVALID_CANDIDATE');
    expect(code({ candidate: 'x', type: 'ice-candidate', webrtc_id: 'a' })).toBe('WG_ERR_INVALID_CANDIDATE');
    expect(() => checkOfferSdp('hello')).toThrow(/not an SDP/);
    expect(() => checkOfferSdp(sdp.replace(/a=fingerprint.*\r\n/, ''))).toThrow(/no a=fingerprint/);
    expect(() => checkOfferSdp(`v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\n${ice}m=video 9 UDP/TLS/RTP/SAVPF 96\r\n`)).toThrow(/no m=audio/);
    expect(() => checkOfferSdp(`v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\n${ice}m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=rtpmap:0 PCMU/8000\r\n`)).toThrow(/no Opus/);
  });
  it('answers refusals with FastRTC names plus our code', () => {
    expect(offerFailure('WG_ERR_CONCURRENCY_LIMIT', undefined, { limit: 3 })).toEqual({
      status: 'failed',
      meta: { error: 'concurrency_limit_reached', code: 'WG_ERR_CONCURRENCY_LIMIT', message: 'concurrency limit reached', limit: 3 },
    });
    expect(failureName('WG_ERR_DUPLICATE_SESSION')).toBe('connection_already_exists');
    expect(failureName('WG_ERR_UNKNOWN_CONNECTION')).toBe('unknown_connection');
    expect(failureName('WG_ERR_INVALID_CANDIDATE')).toBe('invalid_candidate_format');
    expect(failureName('WG_ERR_CONNECTION_CLOSED')).toBe('connection_closed');
  });
});

describe('data channel messages (FastRTC JSON)', () => {
  it('maps session messages', () => {
    expect(dataChannelMessage({ type: 'output', output: { type: 'log', data: 'pause_detected' } })).toBe('{"type":"log","data":"pause_detected"}');
    expect(dataChannelMessage({ type: 'output', output: { type: 'send_input' } })).toBe('{"type":"send_input","data":[]}');
    expect(JSON.parse(dataChannelMessage({ type: 'output', output: { type: 'transcript', text: 'hi', final: true } })!)).toEqual({ type: 'transcript', data: { text: 'hi', final: true } });
    expect(JSON.parse(dataChannelMessage({ type: 'error', code: 'WG_ERR_HANDLER_FAILED', message: 'x' })!)).toEqual({ type: 'error', message: 'x', code: 'WG_ERR_HANDLER_FAILED' });
    expect(dataChannelMessage({ type: 'clear' })).toBe('{"type":"clear"}');
    expect(JSON.parse(dataChannelMessage({ type: 'end_stream' })!).type).toBe('end_stream');
    expect(dataChannelMessage({ type: 'media', payload: new Uint8Array(3) })).toBeUndefined();
  });
});

describe('WebRTC options', () => {
  it('checks each option and names the value', () => {
    expect(() => checkWebRtcOptions({ ...DEFAULT_WEBRTC_OPTIONS })).not.toThrow();
    expect(() => checkWebRtcOptions({ ...DEFAULT_WEBRTC_OPTIONS, webrtcPortRange: [5000, 5000] })).toThrow(/webrtcPortRange.*\[5000,5000\]/);
    expect(() => checkWebRtcOptions({ ...DEFAULT_WEBRTC_OPTIONS, webrtcAnnouncedAddresses: ['example.com'] })).toThrow(/webrtcAnnouncedAddresses.*example\.com/);
    expect(() => checkWebRtcOptions({ ...DEFAULT_WEBRTC_OPTIONS, webrtcInboundLossPercent: 101 })).toThrow(/webrtcInboundLossPercent.*101/);
    expect(() => checkWebRtcOptions({ ...DEFAULT_WEBRTC_OPTIONS, webrtcConnectTimeoutS: 0 })).toThrow(/webrtcConnectTimeoutS/);
    expect(parsePortRange('40000-40999')).toEqual([40000, 40999]);
    expect(() => parsePortRange('40000')).toThrow(/MIN-MAX/);
  });
});
