import { execFileSync } from 'node:child_process';
import { link, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signQuery } from '../src/recordings/signed-url.js';
import { handWavHeader, pcmBytes, rampSamples, rawRequest, startRecordingsServer, tempDir, type RecordingsServer } from './recordings-helpers.js';

const RATE = 16_000;
const SAMPLES = RATE * 2; // 2 s mono
const samples = rampSamples(SAMPLES);
const file = Buffer.concat([handWavHeader(RATE, 1, SAMPLES * 2), pcmBytes(samples)]);
const SIZE = file.length;

let folder: Awaited<ReturnType<typeof tempDir>>;
let outside: Awaited<ReturnType<typeof tempDir>>;
let server: RecordingsServer;

beforeAll(async () => {
  folder = await tempDir('rec-http');
  outside = await tempDir('rec-outside');
  await writeFile(join(folder.dir, 'call-1.wav'), file);
  await writeFile(join(outside.dir, 'secret.wav'), file);
  await writeFile(join(folder.dir, 'notes.txt'), 'not a recording');
  await symlink(join(outside.dir, 'secret.wav'), join(folder.dir, 'escape.wav'));
  await symlink(join(folder.dir, 'call-1.wav'), join(folder.dir, 'alias.wav'));
  await writeFile(join(outside.dir, 'linked.wav'), file);
  await link(join(outside.dir, 'linked.wav'), join(folder.dir, 'hardlink.wav'));
  await mkdir(join(folder.dir, 'folder.wav'));
  execFileSync('mkfifo', [join(folder.dir, 'fifo.wav')]);
  server = await startRecordingsServer(folder.dir);
});

afterAll(async () => {
  await server?.close();
  await folder?.remove();
  await outside?.remove();
});

const get = (path: string, headers: Record<string, string> = {}, method = 'GET') => rawRequest(server.port, path, headers, method);
const errorCode = (body: Buffer): string => (JSON.parse(body.toString('utf8')) as { error: { code: string } }).error.code;

describe('GET|HEAD /recordings/{id}.wav on a finished recording', () => {
  it('GET: 200 with the whole file, length, strong ETag, Last-Modified, Accept-Ranges', async () => {
    const res = await get('/recordings/call-1.wav');
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBe(String(SIZE));
    expect(res.headers['accept-ranges']).toBe('bytes');
    expect(res.headers['content-type']).toBe('audio/wav');
    expect(res.headers.etag).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
    expect(Date.parse(res.headers['last-modified'] ?? '')).toBeGreaterThan(0);
    expect(res.headers['x-recording-state']).toBe('finished');
    expect(res.body.equals(file)).toBe(true);
  });

  it('HEAD: the same headers, no body; a Range on HEAD is ignored', async () => {
    const full = await get('/recordings/call-1.wav');
    for (const headers of [{}, { range: 'bytes=0-9' }] as Array<Record<string, string>>) {
      const res = await get('/recordings/call-1.wav', headers, 'HEAD');
      expect(res.status).toBe(200);
      expect(res.body.length).toBe(0);
      expect(res.headers['content-length']).toBe(String(SIZE));
      expect(res.headers.etag).toBe(full.headers.etag);
      expect(res.headers['accept-ranges']).toBe('bytes');
    }
  });

  it('closed, open and suffix ranges: 206 with Content-Range and exactly those bytes', async () => {
    const cases: Array<[string, number, number]> = [
      ['bytes=0-43', 0, 43],
      ['bytes=44-1043', 44, 1043],
      ['bytes=60000-', 60000, SIZE - 1],
      ['bytes=-1000', SIZE - 1000, SIZE - 1],
      ['bytes=-999999', 0, SIZE - 1],
      ['bytes=100-999999', 100, SIZE - 1],
      [`bytes=${SIZE - 1}-`, SIZE - 1, SIZE - 1],
      ['bytes=0-10,5-20', 0, 20],
    ];
    for (const [range, start, end] of cases) {
      const res = await get('/recordings/call-1.wav', { range });
      expect(res.status, range).toBe(206);
      expect(res.headers['content-range'], range).toBe(`bytes ${start}-${end}/${SIZE}`);
      expect(res.headers['content-length'], range).toBe(String(end - start + 1));
      expect(res.body.equals(file.subarray(start, end + 1)), range).toBe(true);
    }
  });

  it('unsatisfiable ranges: 416 with Content-Range bytes */LEN', async () => {
    for (const range of [`bytes=${SIZE}-`, `bytes=${SIZE + 10}-${SIZE + 20}`, 'bytes=-0']) {
      const res = await get('/recordings/call-1.wav', { range });
      expect(res.status, range).toBe(416);
      expect(res.headers['content-range'], range).toBe(`bytes */${SIZE}`);
      expect(errorCode(res.body)).toBe('WG_ERR_RANGE_NOT_SATISFIABLE');
    }
  });

  it('invalid Range, other units and several disjoint ranges: the whole file (200)', async () => {
    for (const range of ['bytes=9-3', 'bytes=abc', 'items=0-5', 'bytes=0-0,-1', 'bytes=']) {
      const res = await get('/recordings/call-1.wav', { range });
      expect(res.status, range).toBe(200);
      expect(res.body.length, range).toBe(SIZE);
    }
  });

  it('If-Range: matching strong ETag or Last-Modified keeps the range; stale or weak validators get 200', async () => {
    const { headers } = await get('/recordings/call-1.wav', {}, 'HEAD');
    const etag = headers.etag ?? '';
    const lastModified = headers['last-modified'] ?? '';
    expect((await get('/recordings/call-1.wav', { range: 'bytes=0-9', 'if-range': etag })).status).toBe(206);
    expect((await get('/recordings/call-1.wav', { range: 'bytes=0-9', 'if-range': lastModified })).status).toBe(206);
    expect((await get('/recordings/call-1.wav', { range: 'bytes=0-9', 'if-range': '"stale"' })).status).toBe(200);
    expect((await get('/recordings/call-1.wav', { range: 'bytes=0-9', 'if-range': `W/${etag}` })).status).toBe(200);
    expect((await get('/recordings/call-1.wav', { range: 'bytes=0-9', 'if-range': 'Thu, 01 Jan 1970 00:00:00 GMT' })).status).toBe(200);
  });

  it('If-None-Match / If-Modified-Since: 304 without a body', async () => {
    const { headers } = await get('/recordings/call-1.wav', {}, 'HEAD');
    const res = await get('/recordings/call-1.wav', { 'if-none-match': headers.etag ?? '' });
    expect(res.status).toBe(304);
    expect(res.body.length).toBe(0);
    expect((await get('/recordings/call-1.wav', { 'if-modified-since': headers['last-modified'] ?? '' })).status).toBe(304);
    expect((await get('/recordings/call-1.wav', { 'if-none-match': '"other"' })).status).toBe(200);
  });

  it('?pos=SECONDS: a valid WAV from that frame with a fresh header; ranges apply to it', async () => {
    const res = await get('/recordings/call-1.wav?pos=0.5');
    expect(res.status).toBe(200);
    const remaining = (SAMPLES - RATE / 2) * 2;
    expect(res.headers['content-length']).toBe(String(44 + remaining));
    expect(res.body.subarray(0, 44).equals(handWavHeader(RATE, 1, remaining))).toBe(true);
    expect(res.body.subarray(44).equals(file.subarray(44 + RATE, SIZE))).toBe(true);
    // a time between two frames snaps to the frame at or before it
    const between = await get('/recordings/call-1.wav?pos=0.00003');
    expect(between.body.subarray(44).equals(file.subarray(44, SIZE))).toBe(true);
    // the end is a valid empty WAV
    const end = await get('/recordings/call-1.wav?pos=2');
    expect(end.body.equals(handWavHeader(RATE, 1, 0))).toBe(true);
    const ranged = await get('/recordings/call-1.wav?pos=1', { range: 'bytes=40-99' });
    expect(ranged.status).toBe(206);
    expect(ranged.headers['content-range']).toBe(`bytes 40-99/${44 + RATE * 2}`);
    expect(ranged.body.equals(Buffer.concat([handWavHeader(RATE, 1, RATE * 2).subarray(40), file.subarray(44 + RATE * 2, 44 + RATE * 2 + 56)]))).toBe(true);
  });

  it('?pos= refuses negative, non-numeric, exponent and past-the-end values', async () => {
    for (const pos of ['-1', 'abc', '1e3', '2.1', '', 'NaN', 'Infinity', '0x10']) {
      const res = await get(`/recordings/call-1.wav?pos=${encodeURIComponent(pos)}`);
      expect(res.status, pos).toBe(400);
      expect(errorCode(res.body), pos).toBe('WG_ERR_BAD_SEEK_POSITION');
    }
  });

  it('unknown ids are 404; ids off the pattern are 400 before the disk is touched', async () => {
    const missing = await get('/recordings/nope.wav');
    expect(missing.status).toBe(404);
    expect(errorCode(missing.body)).toBe('WG_ERR_RECORDING_NOT_FOUND');
    expect((await get('/recordings/notes.txt')).status).toBe(404);
  });

  it('traversal attempts are all refused: encoded .., slashes, NUL, absolute paths, bad encodings', async () => {
    const invalid = [
      '/recordings/..%2F..%2Fetc%2Fpasswd.wav',
      '/recordings/%2e%2e%2f%2e%2e%2fetc%2fpasswd.wav',
      '/recordings/%2E%2E.wav',
      '/recordings/..wav.wav',
      '/recordings/%2Fetc%2Fpasswd.wav',
      '/recordings/a%00b.wav',
      '/recordings/%00.wav',
      '/recordings/..%5C..%5Csecret.wav',
      '/recordings/%252e%252e%252fsecret.wav',
      '/recordings/%E0%A4%A.wav',
      '/recordings/caf%C3%A9.wav',
      `/recordings/${'a'.repeat(129)}.wav`,
    ];
    for (const path of invalid) {
      const res = await get(path);
      expect(res.status, path).toBe(400);
      expect(errorCode(res.body), path).toBe('WG_ERR_INVALID_ID');
    }
    // The server normalises dot segments before routing: these never reach the recordings routes.
    for (const path of ['/recordings/../secret.wav', '/recordings/%2e%2e/secret.wav', '/recordings//etc/passwd.wav', '/recordings/a/../../secret.wav']) {
      const res = await get(path);
      expect([400, 404], path).toContain(res.status);
      expect(res.body.includes(file.subarray(0, 44)), path).toBe(false);
    }
  });

  it('symbolic links (out of and within the folder), hard links, folders and FIFOs are refused with 403', async () => {
    for (const name of ['escape', 'alias', 'hardlink', 'folder', 'fifo']) {
      const res = await get(`/recordings/${name}.wav`);
      expect(res.status, name).toBe(403);
      expect(errorCode(res.body), name).toBe('WG_ERR_PATH_REFUSED');
    }
  });

  it('GET /recordings lists plain recordings only, with duration and bytes', async () => {
    const res = await get('/recordings');
    expect(res.status).toBe(200);
    const { recordings } = JSON.parse(res.body.toString('utf8')) as { recordings: Array<Record<string, unknown>> };
    expect(recordings).toEqual([
      expect.objectContaining({ id: 'call-1', bytes: SIZE, durationS: 2, live: false, sampleRate: RATE, channels: 1, url: '/recordings/call-1.wav' }),
    ]);
  });

  it('other methods are 405', async () => {
    expect((await get('/recordings/call-1.wav', {}, 'DELETE')).status).toBe(405);
    expect((await get('/recordings/call-1.wav', {}, 'POST')).status).toBe(405);
  });
});

describe('signed, expiring URLs', () => {
  const secret = 'a-test-secret-of-32-characters!!';
  let signed: RecordingsServer;
  let nowMs = Date.UTC(2026, 0, 1);

  beforeAll(async () => {
    signed = await startRecordingsServer(folder.dir, { secret }, () => nowMs);
  });
  afterAll(() => signed?.close());

  it('refuses missing, tampered, other-id and expired signatures; accepts a valid one', async () => {
    const exp = Math.floor(nowMs / 1000) + 60;
    const query = signQuery(secret, 'call-1', exp);
    const req = (path: string) => rawRequest(signed.port, path);
    expect((await req(`/recordings/call-1.wav?${query}`)).status).toBe(200);
    expect((await req(`/recordings/call-1.wav?${query}&pos=1`)).status).toBe(200);
    const missing = await req('/recordings/call-1.wav');
    expect([missing.status, errorCode(missing.body)]).toEqual([403, 'WG_ERR_BAD_SIGNATURE']);
    expect((await req(`/recordings/call-1.wav?expires=${exp + 1}&${query.split('&')[1]}`)).status).toBe(403);
    expect((await req(`/recordings/other.wav?${query}`)).status).toBe(403);
    expect((await req(`/recordings/call-1.wav?${query.slice(0, -2)}AA`)).status).toBe(403);
    nowMs += 61_000;
    const expired = await req(`/recordings/call-1.wav?${query}`);
    expect([expired.status, errorCode(expired.body)]).toEqual([403, 'WG_ERR_URL_EXPIRED']);
  });

  it('the listing needs its own signature and hands out signed URLs that work', async () => {
    expect((await rawRequest(signed.port, '/recordings')).status).toBe(403);
    const listing = await rawRequest(signed.port, `/recordings?${signQuery(secret, '', Math.floor(nowMs / 1000) + 60)}`);
    expect(listing.status).toBe(200);
    const { recordings } = JSON.parse(listing.body.toString('utf8')) as { recordings: Array<{ url: string }> };
    expect(recordings[0]?.url).toMatch(/^\/recordings\/call-1\.wav\?expires=\d+&signature=[A-Za-z0-9_-]{43}$/);
    expect((await rawRequest(signed.port, recordings[0]!.url)).status).toBe(200);
  });
});
