import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { WavegateError } from '../errors/wavegate-error.js';
import { sendError } from '../http/respond.js';
import { contentRange } from './byte-range.js';
import { isNotModified } from './conditional-request.js';
import type { GrowthSignal } from './growth-signal.js';
import { planRange, type RangePlan, type RepresentationState } from './range-plan.js';
import { RecordingBody } from './recording-body.js';
import { openRecording, type OpenedRecording } from './recording-file.js';
import { readLayout, type RecordingStore } from './recording-store.js';
import { buildWavHeader, type WavLayout } from './wav-layout.js';

export interface ServeRecordingOptions {
  /** Longest a request at the live end waits for the recording to grow, and longest a live body idles (ms). */
  readonly liveWaitMs: number;
}

/** What is served: `prefix` (a fresh header for `?pos=`) then the file from `fileStart`. */
interface Representation {
  readonly prefix: Buffer;
  readonly fileStart: number;
  /** File bytes that belong to it (finished files; a live one runs to the growing end). */
  readonly fileEnd: number | undefined;
  readonly tag: string;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

const POS = /^[0-9]{1,9}(\.[0-9]{1,9})?$/;

/**
 * `GET|HEAD /recordings/{id}.wav[?pos=SECONDS]` (RFC 9110 ranges and preconditions; the live rules
 * are in range-plan.ts and docs/recordings.md). The id is already validated and the signature checked.
 */
export async function serveRecording(req: IncomingMessage, res: ServerResponse, id: string, query: URLSearchParams, store: RecordingStore, options: ServeRecordingOptions): Promise<void> {
  const aborter = new AbortController();
  res.once('close', () => aborter.abort());
  let opened: OpenedRecording | undefined;
  try {
    opened = await openRecording(store.realDir, id);
    const { stat } = opened;
    const signal = store.liveSignal(id);
    const layout = await readLayout(opened.handle, signal?.size ?? opened.stat.size);
    if (layout === undefined) throw new WavegateError('WG_ERR_BAD_WAV', `recording ${id} has no readable header`);
    const rep = await representation(layout, query.get('pos'), signal, options.liveWaitMs, aborter.signal);
    if (rep === undefined) return;
    const live = (): boolean => signal !== undefined && !signal.finished;
    const fileSize = (): number => (rep.fileEnd !== undefined ? rep.fileEnd : (signal?.size ?? stat.size));
    const started = live();
    const lastModified = started ? undefined : stat.mtime.toUTCString();
    const etag = started ? undefined : `"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}${rep.tag}"`;
    const state = (): RepresentationState => ({ size: rep.prefix.length + fileSize() - rep.fileStart, live: live(), etag, lastModified });
    const headers: Record<string, string> = {
      'content-type': 'audio/wav',
      'accept-ranges': 'bytes',
      'cache-control': started ? 'no-store' : 'no-cache',
      'x-recording-state': started ? 'live' : 'finished',
      ...(etag !== undefined && { etag }),
      ...(lastModified !== undefined && { 'last-modified': lastModified }),
    };
    const method = req.method ?? 'GET';
    if (isNotModified({ ifNoneMatch: header(req, 'if-none-match'), ifModifiedSince: header(req, 'if-modified-since') }, state())) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    const request = { method, range: header(req, 'range'), ifRange: header(req, 'if-range') };
    let plan = planRange(request, state(), { mayWait: started });
    if (plan.kind === 'wait' && signal !== undefined) plan = await waitForRange(plan, request, state, signal, rep, options.liveWaitMs, aborter.signal);
    if (aborter.signal.aborted) return;
    const now = state();
    let body: RecordingBody | undefined;
    if (plan.kind === 'unsatisfiable') {
      sendError(res, 'WG_ERR_RANGE_NOT_SATISFIABLE', `${req.headers.range} of ${now.size} bytes`, { ...headers, 'content-range': `bytes */${now.size}` });
      return;
    } else if (plan.kind === 'partial') {
      res.writeHead(206, { ...headers, 'content-range': contentRange(plan.range, now.live ? undefined : now.size), 'content-length': String(plan.range.end - plan.range.start + 1) });
      if (method === 'GET') body = new RecordingBody({ handle: opened.handle, prefix: rep.prefix, fileStart: rep.fileStart, start: plan.range.start, end: plan.range.end });
    } else if (now.live && signal !== undefined) {
      // The whole growing body: no length yet, so chunked; it follows the file until it finishes.
      res.writeHead(200, headers);
      if (method === 'GET') body = new RecordingBody({ handle: opened.handle, prefix: rep.prefix, fileStart: rep.fileStart, start: 0, follow: { signal, idleTimeoutMs: options.liveWaitMs } });
    } else {
      res.writeHead(200, { ...headers, 'content-length': String(now.size) });
      if (method === 'GET' && now.size > 0) body = new RecordingBody({ handle: opened.handle, prefix: rep.prefix, fileStart: rep.fileStart, start: 0, end: now.size - 1 });
    }
    if (body === undefined) {
      res.end();
      return;
    }
    opened = undefined; // the body closes the handle
    await pipeline(body, res).catch(() => {
      // The client went away or the disk failed mid-body; either way the response is already torn down.
    });
  } catch (err) {
    if (err instanceof WavegateError) sendError(res, err.code, err.message);
    else throw err;
  } finally {
    await opened?.handle.close();
  }
}

/**
 * The representation for `?pos=` (a fresh header and the audio from the frame at that time) or the
 * file itself. A live file waits (bounded) for audio to reach `pos`; answers and returns undefined
 * on a bad position.
 */
async function representation(layout: WavLayout, posText: string | null, signal: GrowthSignal | undefined, liveWaitMs: number, abort: AbortSignal): Promise<Representation | undefined> {
  const dataEnd = (): number => layout.dataOffset + (signal === undefined ? layout.dataBytes : signal.size - layout.dataOffset);
  if (posText === null) return { prefix: Buffer.alloc(0), fileStart: 0, fileEnd: undefined, tag: '' };
  if (!POS.test(posText)) throw new WavegateError('WG_ERR_BAD_SEEK_POSITION', `pos=${JSON.stringify(posText.slice(0, 40))}`);
  const { blockAlign, sampleRate } = layout.format;
  const frame = Math.floor(Number(posText) * sampleRate + 1e-6);
  const fileStart = layout.dataOffset + frame * blockAlign;
  if (signal !== undefined && fileStart > dataEnd()) await signal.waitBeyond(fileStart - 1, liveWaitMs, abort);
  const end = dataEnd();
  if (fileStart > end) throw new WavegateError('WG_ERR_BAD_SEEK_POSITION', `pos=${posText} is past the end (${((end - layout.dataOffset) / blockAlign / sampleRate).toFixed(3)} s)`);
  const live = signal !== undefined && !signal.finished;
  const fileEnd = live ? undefined : layout.dataOffset + layout.dataBytes;
  const prefix = buildWavHeader(layout.fmtChunk, fileEnd === undefined ? undefined : fileEnd - fileStart);
  return { prefix, fileStart, fileEnd, tag: `-${frame.toString(16)}` };
}

async function waitForRange(
  first: RangePlan & { kind: 'wait' },
  request: Parameters<typeof planRange>[0],
  state: () => RepresentationState,
  signal: GrowthSignal,
  rep: Representation,
  liveWaitMs: number,
  abort: AbortSignal,
): Promise<RangePlan> {
  const deadline = Date.now() + liveWaitMs;
  let plan: RangePlan = first;
  while (plan.kind === 'wait') {
    const needFileSize = rep.fileStart + plan.untilSize - rep.prefix.length;
    const result = await signal.waitBeyond(needFileSize - 1, deadline - Date.now(), abort);
    plan = planRange(request, state(), { mayWait: result === 'grown' && Date.now() < deadline });
  }
  return plan;
}
