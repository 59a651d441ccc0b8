import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import WebSocket from 'ws';
import { WS_PATHS, type HttpProbe, type WsScript } from './fuzz-messages.js';

/**
 * Runs fuzz input (bench/lib/fuzz-messages.ts) against a gateway through real sockets and reports what
 * the gateway did: close codes, the codes of the errors it sent, HTTP statuses. Used by the property
 * tests and by `npm run fuzz` (docs/security.md, "Fuzzing").
 */
export interface WsOutcome {
  /** The close code the gateway sent, or undefined when the client ended first (its own close or reset). */
  readonly serverCloseCode: number | undefined;
  /** The close code seen by the client (1005/1006 for resets). */
  readonly closeCode: number | undefined;
  readonly errorCodes: readonly string[];
  /** Text messages that are not JSON or an error without a `code` (the gateway must always say which). */
  readonly uncoded: number;
  readonly sent: number;
  readonly connectFailed: string | undefined;
  /** The message of the last coded error the gateway sent (what a 1011 close is reported with). */
  readonly lastError: string | undefined;
}

/** How long a connection waits for the gateway's answer to its last message before its ending. */
const SETTLE_MS = 60;

export function runWsScript(baseUrl: string, script: WsScript, settleMs = SETTLE_MS): Promise<WsOutcome> {
  const url = `${baseUrl.replace(/^http/, 'ws')}${WS_PATHS[script.target]}`;
  return new Promise((resolve) => {
    const socket = new WebSocket(url, { maxPayload: 64 * 1024 * 1024 });
    const errorCodes: string[] = [];
    let uncoded = 0;
    let sent = 0;
    let clientEnded = false;
    let finished = false;
    let serverCloseCode: number | undefined;
    let lastError: string | undefined;
    const finish = (closeCode: number | undefined, connectFailed?: string) => {
      if (finished) return;
      finished = true;
      clearTimeout(guard);
      resolve({ serverCloseCode, closeCode, errorCodes, uncoded, sent, connectFailed, lastError });
    };
    const guard = setTimeout(() => {
      socket.terminate();
      finish(undefined, 'no close within 15 s');
    }, 15_000);
    socket.on('message', (data, isBinary) => {
      if (isBinary) return;
      let message: unknown;
      try {
        message = JSON.parse(data.toString());
      } catch {
        uncoded++;
        return;
      }
      const m = message as { type?: unknown; code?: unknown; status?: unknown; message?: unknown };
      if (m.type === 'error' || m.type === 'warning') {
        if (typeof m.code === 'string') errorCodes.push(m.code);
        if (m.type === 'error') lastError = `${String(m.code)}: ${String(m.message)}`;
        else uncoded++;
      }
    });
    socket.on('error', () => {
      // reported through close
    });
    socket.on('close', (code) => {
      if (!clientEnded) serverCloseCode = code;
      finish(code);
    });
    socket.on('unexpected-response', (_req, res) => {
      finish(undefined, `HTTP ${res.statusCode}`);
      socket.terminate();
    });
    socket.once('open', async () => {
      for (const message of script.messages) {
        if (socket.readyState !== WebSocket.OPEN) break;
        if (message.kind === 'text') socket.send(message.data);
        else socket.send(message.data, { binary: message.kind === 'binary' });
        sent++;
      }
      await new Promise((r) => setTimeout(r, settleMs));
      if (socket.readyState !== WebSocket.OPEN) return;
      clientEnded = true;
      switch (script.ending) {
        case 'stop':
          clientEnded = false; // the gateway answers a stop with its own close
          socket.send(script.target === 'signaling' ? '{"type":"hangup"}' : '{"event":"stop"}');
          setTimeout(() => {
            clientEnded = true;
            socket.close(1000);
          }, settleMs);
          break;
        case 'close':
          socket.close(1000);
          break;
        case 'terminate':
          socket.terminate();
          break;
        case 'linger':
          clientEnded = false;
          setTimeout(() => {
            clientEnded = true;
            socket.terminate();
          }, 3 * settleMs);
          break;
      }
    });
  });
}

export interface HttpOutcome {
  readonly status: number | undefined;
  /** The `code` of a JSON error body. */
  readonly code: string | undefined;
  readonly failed: string | undefined;
}

export function runHttpProbe(baseUrl: string, probe: HttpProbe): Promise<HttpOutcome> {
  const url = new URL(baseUrl);
  return new Promise((resolve) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, method: probe.method, path: probe.path, headers: { ...probe.headers, connection: 'close', ...(probe.body !== undefined && { 'content-length': String(Buffer.byteLength(probe.body)) }) }, timeout: 15_000 },
      (res) => {
        const chunks: Buffer[] = [];
        let length = 0;
        res.on('data', (c: Buffer) => {
          length += c.length;
          if (length < 64 * 1024) chunks.push(c);
          // A growing recording or an event stream: enough seen.
          if (length > 1024 * 1024 || res.headers['content-type']?.startsWith('text/event-stream')) res.destroy();
        });
        const done = () => {
          let code: string | undefined;
          try {
            const body = JSON.parse(Buffer.concat(chunks).toString()) as { code?: unknown; error?: { code?: unknown } };
            const c = body.code ?? body.error?.code;
            if (typeof c === 'string') code = c;
          } catch {
            // not JSON: a page, audio or an empty body
          }
          resolve({ status: res.statusCode, code, failed: undefined });
        };
        res.on('end', done);
        res.on('close', done);
        res.on('error', done);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => resolve({ status: undefined, code: undefined, failed: err.message }));
    if (probe.body !== undefined) req.end(probe.body);
    else req.end();
  });
}

/**
 * A WebSocket upgrade over a plain TCP socket, then `bytes` as frames (truncated, malformed) and an
 * abrupt end. Resolves with the close code of a close frame the gateway sent, if it sent one.
 */
export function runRawFrames(baseUrl: string, path: string, bytes: Uint8Array): Promise<number | undefined> {
  const url = new URL(baseUrl);
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), url.hostname);
    let upgraded = false;
    let closeCode: number | undefined;
    let buffer = Buffer.alloc(0);
    const timer = setTimeout(() => socket.destroy(), 1000);
    socket.on('connect', () => {
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (!upgraded) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        upgraded = buffer.subarray(0, 12).toString() === 'HTTP/1.1 101';
        buffer = buffer.subarray(end + 4);
        if (!upgraded) return socket.destroy();
        socket.write(bytes);
        setTimeout(() => socket.destroy(), 40);
      }
      // Server frames (unmasked): look for a close frame and read its code.
      for (;;) {
        if (buffer.length < 2) break;
        let length = buffer[1]! & 0x7f;
        let at = 2;
        if (length === 126) {
          if (buffer.length < 4) break;
          length = buffer.readUInt16BE(2);
          at = 4;
        } else if (length === 127) {
          if (buffer.length < 10) break;
          length = Number(buffer.readBigUInt64BE(2));
          at = 10;
        }
        if (buffer.length < at + length) break;
        if ((buffer[0]! & 0x0f) === 0x8 && length >= 2) closeCode = buffer.readUInt16BE(at);
        buffer = buffer.subarray(at + length);
      }
    });
    socket.on('error', () => {
      // reset by the server
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(closeCode);
    });
  });
}
