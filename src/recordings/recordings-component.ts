import type { IncomingMessage, ServerResponse } from 'node:http';
import { WavegateError } from '../errors/wavegate-error.js';
import { refuseRequest } from '../http/refuse-request.js';
import { sendError, sendJson } from '../http/respond.js';
import type { GatewayComponent, Mount, RouteAccess } from '../http/routes.js';
import { requestGrant } from '../auth/request-grant.js';
import { allowsSession } from '../auth/token-claims.js';
import { isValidRecordingId } from './recording-file.js';
import { RecordingStore } from './recording-store.js';
import { serveRecording } from './serve-recording.js';
import { checkSignedQuery, LISTING_SUBJECT, signQuery } from './signed-url.js';

export interface RecordingsHttpOptions {
  /** When set, every request needs `?expires=&signature=` (HMAC-SHA256, see signed-url.ts). */
  readonly secret: string | null;
  /** Longest a request at the live end waits for more audio, and longest a live body idles (ms). */
  readonly liveWaitMs: number;
  /** Lifetime of the signed URLs the listing hands out (seconds). */
  readonly signedUrlTtlS: number;
}

export const DEFAULT_RECORDINGS_HTTP_OPTIONS = {
  secret: null,
  liveWaitMs: 10_000,
  signedUrlTtlS: 3600,
} as const satisfies RecordingsHttpOptions;

export function resolveRecordingsHttpOptions(input: Partial<RecordingsHttpOptions>): RecordingsHttpOptions {
  const o: RecordingsHttpOptions = { ...DEFAULT_RECORDINGS_HTTP_OPTIONS, ...input };
  const fail = (name: string, value: unknown, expected: string): never => {
    throw new TypeError(`Expected \`${name}\` to be ${expected}, got \`${String(value)}\` (${typeof value})`);
  };
  if (o.secret !== null && (typeof o.secret !== 'string' || o.secret.length < 16)) fail('secret', o.secret === null ? null : '<hidden>', 'null or a string of at least 16 characters');
  if (!Number.isInteger(o.liveWaitMs) || o.liveWaitMs < 0 || o.liveWaitMs > 120_000) fail('liveWaitMs', o.liveWaitMs, 'an integer from 0 to 120000');
  if (!Number.isInteger(o.signedUrlTtlS) || o.signedUrlTtlS < 1) fail('signedUrlTtlS', o.signedUrlTtlS, 'an integer ≥ 1');
  return o;
}

/** Path of a recording, with a signed query when `secret` is set. */
export function recordingPath(id: string, secret: string | null, expiresAtS: number): string {
  const path = `/recordings/${encodeURIComponent(id)}.wav`;
  return secret === null ? path : `${path}?${signQuery(secret, id, expiresAtS)}`;
}

/**
 * `GET /recordings` (JSON list) and `GET|HEAD /recordings/{id}.wav` over a RecordingStore. Anything
 * else under /recordings/ is refused before the file system is touched.
 */
export function createRecordingsHttp(store: RecordingStore, input: Partial<RecordingsHttpOptions> = {}, now: () => number = Date.now): GatewayComponent {
  const options = resolveRecordingsHttpOptions(input);

  const authorized = (req: IncomingMessage, res: ServerResponse, subject: string, query: URLSearchParams): boolean => {
    // A verified access token with `recordings` scope stands in for a signed URL (docs/security.md).
    if (options.secret === null || requestGrant(req) !== undefined) return true;
    const check = checkSignedQuery(options.secret, subject, query, now());
    if (check === 'ok') return true;
    sendError(res, check === 'expired' ? 'WG_ERR_URL_EXPIRED' : 'WG_ERR_BAD_SIGNATURE', check);
    return false;
  };

  const list = async (req: IncomingMessage, res: ServerResponse, url: URL, _match: RegExpMatchArray | null, mount: Mount): Promise<void> => {
    if (!authorized(req, res, LISTING_SUBJECT, url.searchParams)) return;
    const expiresAtS = Math.floor(now() / 1000) + options.signedUrlTtlS;
    const grant = requestGrant(req);
    // A token for one session (`sub`) lists that session's recording only.
    const recordings = (await store.list()).filter((info) => allowsSession(grant, info.id)).map((info) => ({ ...info, url: `${mount.prefix}${recordingPath(info.id, options.secret, expiresAtS)}` }));
    sendJson(res, 200, { recordings }, { 'cache-control': 'no-store' });
  };

  const one = async (req: IncomingMessage, res: ServerResponse, url: URL, match: RegExpMatchArray | null): Promise<void> => {
    const name = match?.[1] ?? '';
    if (!name.endsWith('.wav')) {
      sendError(res, 'WG_ERR_RECORDING_NOT_FOUND', 'recordings are served as /recordings/{id}.wav');
      return;
    }
    let id: string;
    try {
      id = decodeURIComponent(name.slice(0, -'.wav'.length));
    } catch {
      sendError(res, 'WG_ERR_INVALID_ID', 'malformed percent-encoding');
      return;
    }
    if (!isValidRecordingId(id)) {
      sendError(res, 'WG_ERR_INVALID_ID', `${JSON.stringify(id.slice(0, 140))} (allowed: [A-Za-z0-9_.:-]{1,128} without "..")`);
      return;
    }
    if (!allowsSession(requestGrant(req), id)) {
      refuseRequest(req, res, 'WG_ERR_FORBIDDEN', `the token is for another session than ${JSON.stringify(id)}`);
      return;
    }
    if (!authorized(req, res, id, url.searchParams)) return;
    try {
      await serveRecording(req, res, id, url.searchParams, store, options);
    } catch (err) {
      if (err instanceof WavegateError) sendError(res, err.code, err.message);
      else throw err;
    }
  };

  // With access tokens on, a validly signed URL is enough on its own: that is what signed links are for.
  const signed = (subject: (url: URL) => string | undefined) => (_req: IncomingMessage, url: URL) => {
    if (options.secret === null) return false;
    const s = subject(url);
    return s !== undefined && checkSignedQuery(options.secret, s, url.searchParams, now()) === 'ok';
  };
  const listAccess: RouteAccess = { scope: 'recordings', alsoAllow: signed(() => LISTING_SUBJECT) };
  const oneAccess: RouteAccess = { scope: 'recordings', alsoAllow: signed(recordingIdOf) };
  return {
    name: 'recordings',
    httpRoutes: [
      { method: ['GET', 'HEAD'], path: /^\/recordings\/?$/, handle: list, access: listAccess },
      { method: ['GET', 'HEAD'], path: /^\/recordings\/([^/]+)$/, handle: one, access: oneAccess },
    ],
  };
}

/** The recording id of a `/recordings/{id}.wav` path, or undefined. */
function recordingIdOf(url: URL): string | undefined {
  const name = /^\/recordings\/([^/]+)\.wav$/.exec(url.pathname)?.[1];
  if (name === undefined) return undefined;
  try {
    return decodeURIComponent(name);
  } catch {
    return undefined;
  }
}
