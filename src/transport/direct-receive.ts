import type { EventEmitter } from 'node:events';
import type { WebSocket } from 'ws';
import { ClientFrames } from './client-frames.js';

/** The parts of a ws 8 server-side WebSocket this module relies on (checked before anything is changed). */
interface WsInternals {
  readonly _socket?: EventEmitter & { pause(): void };
  readonly _receiver?: ReceiverInternals;
}

interface ReceiverInternals {
  readonly _state: number;
  readonly _bufferedBytes: number;
  readonly _fragmented: number;
  readonly _binaryType: string;
  readonly _isServer: boolean;
  readonly _maxPayload: number;
  readonly _skipUTF8Validation: boolean;
  write(chunk: Buffer): boolean;
}

type DataListener = (chunk: Buffer) => void;

/**
 * Reads a connection's data frames straight off its socket (client-frames.ts) and gives each message to
 * `onMessage`, instead of ws's receiver stream, its event hops and its byte-at-a-time unmask
 * (docs/architecture.md, "Inbound"). Control frames go to ws's receiver, so pings, pongs and the close
 * handshake stay ws's; a frame outside the common case hands ws the rest of the stream, and ws emits
 * `'message'` for it from then on, so keep that listener too.
 *
 * Only taken when ws is in the state it leaves a fresh connection in: open, no extension, its receiver
 * between frames, Buffers for binary data, and its own `'data'` listener on the socket. Returns whether
 * it was taken; if not, nothing was changed.
 */
export function receiveDirectly(ws: WebSocket, onMessage: (data: Buffer, isBinary: boolean) => void): boolean {
  const { _socket: socket, _receiver: receiver } = ws as unknown as WsInternals;
  if (socket === undefined || receiver === undefined || ws.readyState !== ws.OPEN || ws.extensions !== '') return false;
  if (receiver._state !== 0 || receiver._bufferedBytes !== 0 || receiver._fragmented !== 0) return false;
  if (receiver._binaryType !== 'nodebuffer' || !receiver._isServer || typeof receiver.write !== 'function') return false;
  const wsOnData = socket.listeners('data').find((f) => f.name === 'socketOnData') as DataListener | undefined;
  if (wsOnData === undefined) return false;

  const frames = new ClientFrames(
    { maxPayload: receiver._maxPayload, skipUtf8Validation: receiver._skipUTF8Validation },
    {
      message: onMessage,
      control: (frame) => {
        receiver.write(frame);
      },
      handOver: (rest) => {
        socket.removeListener('data', onData);
        socket.on('data', wsOnData);
        // What ws's own listener does with a chunk its receiver cannot take yet.
        if (!receiver.write(rest)) socket.pause();
      },
    },
  );
  const onData: DataListener = (chunk) => frames.push(chunk);
  socket.removeListener('data', wsOnData);
  socket.on('data', onData);
  return true;
}
