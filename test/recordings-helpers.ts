import { request, type IncomingHttpHeaders } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpServer } from '../src/http/http-server.js';
import { createRecordingsHttp, type RecordingsHttpOptions } from '../src/recordings/recordings-component.js';
import { RecordingStore } from '../src/recordings/recording-store.js';

export interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** Milliseconds from sending to the end of the body. */
  readonly ms: number;
}

/** One HTTP/1.1 request with the path sent exactly as given (no URL normalisation on the client side). */
export function rawRequest(port: number, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<RawResponse> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), ms: performance.now() - started }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** A 44-byte PCM16 header written by hand (independent of the code under test); `dataBytes` undefined = placeholder sizes. */
export function handWavHeader(sampleRate: number, channels: number, dataBytes: number | undefined): Buffer {
  const b = Buffer.alloc(44);
  b.write('RIFF', 0, 'latin1');
  b.writeUInt32LE(dataBytes === undefined ? 0xffffffff : 36 + dataBytes, 4);
  b.write('WAVEfmt ', 8, 'latin1');
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20);
  b.writeUInt16LE(channels, 22);
  b.writeUInt32LE(sampleRate, 24);
  b.writeUInt32LE(sampleRate * channels * 2, 28);
  b.writeUInt16LE(channels * 2, 32);
  b.writeUInt16LE(16, 34);
  b.write('data', 36, 'latin1');
  b.writeUInt32LE(dataBytes === undefined ? 0xffffffff : dataBytes, 40);
  return b;
}

/** `count` samples of a ramp (sample i = (i * 7) mod 65536 as int16): every byte position is recognisable. */
export function rampSamples(count: number, from = 0): Int16Array {
  const out = new Int16Array(count);
  for (let i = 0; i < count; i++) out[i] = (((from + i) * 7) & 0xffff) << 16 >> 16;
  return out;
}

export function pcmBytes(samples: Int16Array): Buffer {
  return Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
}

export async function tempDir(prefix: string): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `wavegate-${prefix}-`));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export interface RecordingsServer {
  readonly port: number;
  readonly store: RecordingStore;
  /** Every request seen: method, URL and Range header. */
  readonly requests: Array<{ method: string; url: string; range: string | undefined }>;
  close(): Promise<void>;
}

/** The recordings routes alone on a real HTTP server on port 0. */
export async function startRecordingsServer(dir: string, options: Partial<RecordingsHttpOptions> = {}, now?: () => number): Promise<RecordingsServer> {
  const store = new RecordingStore(dir);
  await store.open();
  const http = new HttpServer([createRecordingsHttp(store, options, now)]);
  const requests: RecordingsServer['requests'] = [];
  http.server.prependListener('request', (req) => requests.push({ method: req.method ?? '', url: req.url ?? '', range: req.headers.range }));
  const { port } = await http.listen(0, '127.0.0.1');
  return { port, store, requests, close: () => http.close() };
}
