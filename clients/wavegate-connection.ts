import WebSocket from 'ws';
import type { PayloadEncoder } from '../src/codecs/codec.js';
import { createEncoder } from '../src/codecs/codec-factory.js';
import type { Encoding, MediaFormat } from '../src/codecs/media-format.js';
import { markMessage, mediaMessage, parseServerMessage, startMessage, STOP_MESSAGE, type ServerEvent } from './client-wire.js';

/** The encodings the client speaks, by their CLI names. */
export const CLIENT_ENCODINGS = { mulaw: 'audio/x-mulaw', l16: 'audio/x-l16', opus: 'audio/opus' } as const satisfies Record<string, Encoding>;
export type ClientEncoding = keyof typeof CLIENT_ENCODINGS;

export interface ConnectionOptions {
  /** ws:// or wss:// URL of the gateway's FastRTC endpoint, e.g. ws://127.0.0.1:8000/websocket/offer. */
  url: string;
  /** The session id (FastRTC's websocket_id / webrtc_id). */
  id: string;
  /** What this client sends. */
  input: MediaFormat;
  /** What this client expects back. */
  output: MediaFormat;
  /** Put mediaFormat/outputFormat in `start` (false: FastRTC's plain start, server defaults apply). */
  negotiate: boolean;
  /** Send L16/Opus as binary frames (no sequence numbers); false sends base64 JSON like μ-law. */
  binary: boolean;
  /** Frame duration, ms (Opus encodes exactly this much per packet). */
  frameMs: 10 | 20 | 40 | 60;
  /** Give up connecting after this long, ms. */
  openTimeoutMs: number;
  onEvent: (event: ServerEvent) => void;
  onClose: (code: number, reason: string) => void;
}

/**
 * One WebSocket session with a wavegate (or FastRTC) server: opens the socket, sends `start`, then
 * encodes and sends audio frames, marks and `stop`; every server message goes to `onEvent` already
 * classified. Thin adapter: no timers besides the open timeout and the bounded close.
 */
export class WavegateConnection {
  /** wavegate echoes client marks on the WebSocket (a FastRTC server ignores them). */
  readonly supportsMarks = true;
  readonly options: ConnectionOptions;
  readonly #socket: WebSocket;
  readonly #encoder: PayloadEncoder;
  #closed = false;

  private constructor(socket: WebSocket, options: ConnectionOptions) {
    this.options = options;
    this.#socket = socket;
    this.#encoder = createEncoder(options.input, { frameMs: options.frameMs });
    socket.on('message', (data: Buffer, isBinary: boolean) => options.onEvent(parseServerMessage(data, isBinary)));
    socket.on('close', (code: number, reason: Buffer) => {
      this.#closed = true;
      this.#encoder.close();
      options.onClose(code, reason.toString());
    });
  }

  /** Connects and sends `start`. Rejects when the socket cannot be opened in time. */
  static open(options: ConnectionOptions): Promise<WavegateConnection> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(options.url, { handshakeTimeout: options.openTimeoutMs, perMessageDeflate: false });
      const fail = (err: Error) => {
        socket.removeAllListeners();
        socket.on('error', () => {});
        socket.terminate();
        reject(new Error(`cannot connect to ${options.url}: ${err.message}`, { cause: err }));
      };
      socket.once('error', fail);
      socket.once('unexpected-response', (_req, res) => fail(new Error(`HTTP ${res.statusCode} instead of a WebSocket upgrade`)));
      socket.once('open', () => {
        socket.removeListener('error', fail);
        socket.on('error', () => {}); // reported through 'close'
        const connection = new WavegateConnection(socket, options);
        const { negotiate, input, output } = options;
        socket.send(negotiate ? startMessage(options.id, input, output) : startMessage(options.id));
        resolve(connection);
      });
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Bytes queued in the socket, not yet handed to the OS (a growing number means the network is behind). */
  get bufferedAmount(): number {
    return this.#socket.bufferedAmount;
  }

  /** Encodes one frame of PCM16 at the input rate and sends it. */
  sendAudio(pcm: Int16Array, seq: number, timestampMs: number): void {
    if (this.#closed) return;
    const payload = this.#encoder.encode(pcm);
    if (this.options.binary && this.options.input.encoding !== 'audio/x-mulaw' && this.options.input.encoding !== 'audio/x-alaw') {
      this.#socket.send(payload, { binary: true });
    } else {
      this.#socket.send(mediaMessage(payload, seq, timestampMs));
    }
  }

  sendMark(name: string): void {
    if (!this.#closed) this.#socket.send(markMessage(name));
  }

  sendStop(): void {
    if (!this.#closed) this.#socket.send(STOP_MESSAGE);
  }

  /** Closes (1000) and waits for the close handshake, at most `timeoutMs`; then drops the socket. */
  close(timeoutMs = 2000): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#socket.terminate();
        resolve();
      }, timeoutMs);
      this.#socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.#socket.close(1000, 'client done');
    });
  }
}
