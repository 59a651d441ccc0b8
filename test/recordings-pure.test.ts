import { describe, expect, it } from 'vitest';
import { GrowthSignal } from '../src/recordings/growth-signal.js';
import { idFromFileName, isValidRecordingId } from '../src/recordings/recording-file.js';
import { RecordingTrack } from '../src/recordings/recording-track.js';
import { checkSignedQuery, signQuery } from '../src/recordings/signed-url.js';
import { StereoInterleaver } from '../src/recordings/stereo-interleaver.js';
import { buildWavHeader, parseWavLayout, wavDurationS } from '../src/recordings/wav-layout.js';
import { handWavHeader } from './recordings-helpers.js';

describe('signed URLs', () => {
  const secret = 'sixteen-chars-at-least';
  const now = Date.UTC(2026, 5, 1);
  const exp = now / 1000 + 60;
  const q = (text: string) => new URLSearchParams(text);

  it('accepts its own signature until it expires, and only for its subject', () => {
    const query = signQuery(secret, 'abc', exp);
    expect(query).toMatch(/^expires=\d+&signature=[A-Za-z0-9_-]{43}$/);
    expect(checkSignedQuery(secret, 'abc', q(query), now)).toBe('ok');
    expect(checkSignedQuery(secret, 'abc', q(query), exp * 1000)).toBe('expired');
    expect(checkSignedQuery(secret, 'abd', q(query), now)).toBe('mismatch');
    expect(checkSignedQuery(secret, '', q(query), now)).toBe('mismatch');
    expect(checkSignedQuery('another-secret-value', 'abc', q(query), now)).toBe('mismatch');
  });

  it('tells missing and malformed apart from wrong, and checks the signature before the expiry', () => {
    expect(checkSignedQuery(secret, 'abc', q(''), now)).toBe('missing');
    expect(checkSignedQuery(secret, 'abc', q(`expires=${exp}`), now)).toBe('missing');
    expect(checkSignedQuery(secret, 'abc', q(`expires=-1&signature=${'A'.repeat(43)}`), now)).toBe('malformed');
    expect(checkSignedQuery(secret, 'abc', q(`expires=${exp}&signature=short`), now)).toBe('malformed');
    expect(checkSignedQuery(secret, 'abc', q(`expires=1&signature=${'A'.repeat(43)}`), now)).toBe('mismatch');
  });
});

describe('recording ids', () => {
  it('follow the session id pattern and map to one plain file name', () => {
    for (const ok of ['abc', 'a.b', 'A-Z_0:9', 'x'.repeat(128)]) expect(isValidRecordingId(ok), ok).toBe(true);
    for (const bad of ['', '..', 'a..b', 'a/b', 'a\\b', 'a\0b', 'é', 'x'.repeat(129), ' a']) expect(isValidRecordingId(bad), JSON.stringify(bad)).toBe(false);
    expect(idFromFileName('abc.wav')).toBe('abc');
    expect(idFromFileName('abc.wav.owner')).toBeUndefined();
    expect(idFromFileName('a..b.wav')).toBeUndefined();
    expect(idFromFileName('.wav')).toBeUndefined();
  });
});

describe('parseWavLayout / buildWavHeader', () => {
  const data = Buffer.alloc(3200);

  it('reads a canonical header, and a placeholder one as "to the end of the file" in whole frames', () => {
    const finished = parseWavLayout(Buffer.concat([handWavHeader(16_000, 2, 3200), data]), 44 + 3200);
    expect(finished).toMatchObject({ dataOffset: 44, declaredDataBytes: 3200, dataBytes: 3200, format: { channels: 2, sampleRate: 16_000, blockAlign: 4, bitsPerSample: 16, formatTag: 1 } });
    expect(wavDurationS(finished)).toBe(0.05);
    const live = parseWavLayout(handWavHeader(16_000, 2, undefined), 44 + 3203);
    expect(live).toMatchObject({ declaredDataBytes: undefined, dataBytes: 3200 });
    const pastEnd = parseWavLayout(handWavHeader(16_000, 1, 10_000), 44 + 100);
    expect(pastEnd).toMatchObject({ declaredDataBytes: undefined, dataBytes: 100 });
  });

  it('walks other chunks (odd sizes padded) before data, and refuses what is not a WAV', () => {
    const header = handWavHeader(8000, 1, 160);
    const list = Buffer.concat([Buffer.from('LIST'), Buffer.from([3, 0, 0, 0]), Buffer.from('abc'), Buffer.alloc(1)]);
    const file = Buffer.concat([header.subarray(0, 36), list, header.subarray(36), Buffer.alloc(160)]);
    expect(parseWavLayout(file, file.length)).toMatchObject({ dataOffset: 56, dataBytes: 160 });
    expect(() => parseWavLayout(Buffer.from('not a wav file at all'), 21)).toThrow(/RIFF/);
    const dataFirst = Buffer.concat([header.subarray(0, 12), header.subarray(36, 44), header.subarray(12, 36)]);
    expect(() => parseWavLayout(dataFirst, dataFirst.length)).toThrow(/before fmt/);
  });

  it('builds a header around the original fmt chunk, with sizes or placeholders', () => {
    const layout = parseWavLayout(handWavHeader(24_000, 1, 4800), 44 + 4800);
    expect(buildWavHeader(layout.fmtChunk, 960).equals(handWavHeader(24_000, 1, 960))).toBe(true);
    expect(buildWavHeader(layout.fmtChunk, undefined).equals(handWavHeader(24_000, 1, undefined))).toBe(true);
  });
});

describe('GrowthSignal', () => {
  it('settles at once when the answer is known, else on growth, finish, timeout or abort, and cleans up', async () => {
    const signal = new GrowthSignal(100);
    expect(await signal.waitBeyond(50, 1000)).toBe('grown');
    expect(await signal.waitBeyond(100, 0)).toBe('timeout');
    const grown = signal.waitBeyond(100, 10_000);
    expect(signal.waiting).toBe(1);
    signal.grew(100); // not beyond: keeps waiting
    signal.grew(150);
    expect(await grown).toBe('grown');
    const aborter = new AbortController();
    const aborted = signal.waitBeyond(150, 10_000, aborter.signal);
    aborter.abort();
    expect(await aborted).toBe('aborted');
    const timedOut = signal.waitBeyond(150, 20);
    expect(await timedOut).toBe('timeout');
    const finished = signal.waitBeyond(150, 10_000);
    signal.finish(150);
    expect(await finished).toBe('finished');
    expect(await signal.waitBeyond(150, 10_000)).toBe('finished');
    expect(signal.waiting).toBe(0);
    signal.grew(500); // no growth after the end
    expect(signal.size).toBe(150);
  });
});

describe('StereoInterleaver', () => {
  it('interleaves as far as both sides go and pads the shorter side at the end', () => {
    const s = new StereoInterleaver();
    s.push(0, Int16Array.from([1, 2, 3]));
    expect(Array.from(s.take())).toEqual([]);
    s.push(1, Int16Array.from([10]));
    s.push(1, Int16Array.from([20]));
    expect(Array.from(s.take())).toEqual([1, 10, 2, 20]);
    expect(s.waiting).toEqual([1, 0]);
    s.push(0, Int16Array.from([4]));
    expect(Array.from(s.drain())).toEqual([3, 0, 4, 0]);
    expect(s.waiting).toEqual([0, 0]);
  });
});

describe('RecordingTrack', () => {
  const frame = (n: number, timestamp: number, rate = 8000) => ({ samples: new Int16Array(n).fill(1000), sampleRate: rate, channels: 1, timestamp });
  const track = () => new RecordingTrack({ sampleRate: 8000, gapToleranceMs: 10, maxGapMs: 1000 });

  it('appends contiguous frames untouched, fills gaps with silence, appends late frames and counts them', () => {
    const t = track();
    expect(t.push(frame(160, 0)).length).toBe(160);
    expect(t.push(frame(160, 25)).length).toBe(160); // 5 ms off: within tolerance
    const afterGap = t.push(frame(160, 100)); // 60 ms gap
    expect(afterGap.length).toBe(480 + 160);
    expect(afterGap.subarray(0, 480).every((v) => v === 0)).toBe(true);
    expect(t.push(frame(160, 50)).length).toBe(160); // late
    expect(t.counters).toEqual({ receivedSamples: 640, paddedSamples: 480, lateSamples: 160, cappedGaps: 0 });
    expect(t.endMs).toBe(140);
  });

  it('caps long gaps, pads to a time, mixes stereo down, resamples other rates with exact length', () => {
    const t = track();
    expect(t.push(frame(80, 5000)).length).toBe(8000 + 80);
    expect(t.counters.cappedGaps).toBe(1);
    expect(t.padTo(t.endMs + 50).length).toBe(400);
    expect(t.padTo(0).length).toBe(0);
    expect(Array.from(t.push({ samples: Int16Array.from([100, 300, -100, -300]), sampleRate: 8000, channels: 2, timestamp: t.endMs }))).toEqual([200, -200]);
    const r = track();
    let out = 0;
    for (let k = 0; k < 50; k++) out += r.push(frame(320, k * 20, 16_000)).length;
    out += r.flush().length;
    expect(out).toBe(50 * 160);
  });
});
