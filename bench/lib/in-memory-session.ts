/**
 * One whole FastRTC session in memory, for `bench:paths`, `frame-instructions` and the allocation probe
 * (the set-up is described in session-harness.ts): the real Session with the echo handler, a sink that
 * serializes every outbound message as the socket adapter does, a virtual clock. Imports no gateway and
 * no sockets, so a process that only needs this starts fast (it runs under callgrind).
 */
import echo from '../../handlers/echo.js';
import type { MediaFormat } from '../../src/codecs/media-format.js';
import type { SharedPacer } from '../../src/pacer/shared-pacer.js';
import { Session } from '../../src/session/session.js';
import type { SessionSink } from '../../src/media-path/session-sink.js';
import { FastRtcSerializer } from '../../src/transport/fastrtc/fastrtc-serializer.js';
import { ServerFrames } from '../../src/transport/server-frames.js';

export interface InMemorySession {
  /** Handles `messages` once each (parse → session → serialized replies); returns frames handled. */
  run(): Promise<number>;
  /** One message (parse → session → tick → serialized replies), then a turn of the event loop. */
  step(): Promise<void>;
  /** The same message's work without the turn of the event loop (a synchronous handler finishes in it). */
  stepNow(): void;
  readonly sentBytes: () => number;
  close(): Promise<void>;
}

/** `messages`: inbound wire messages (JSON text or binary) of 20 ms each, in order, replayed in a loop. */
export function inMemorySession(input: MediaFormat, output: MediaFormat, messages: readonly Buffer[], binary: boolean): InMemorySession {
  const serializer = new FastRtcSerializer();
  serializer.binaryOutput = output.encoding !== 'audio/x-mulaw' && output.encoding !== 'audio/x-alaw';
  let clock = 0;
  let bytes = 0;
  const frames = new ServerFrames();
  const sink: SessionSink = {
    sendMedia(payload) {
      // As the socket adapter does on a plain socket (websocket-sink.ts): media as bytes, copied into
      // the connection's WebSocket frame; the rest through serialize.
      const wire = serializer.serializeMedia(payload, true);
      bytes += frames.frame(wire.bytes, wire.binary).length;
      return true;
    },
    copiesMedia: true,
    send(message) {
      if (message.type === 'media') return this.sendMedia!(message.payload);
      const data = serializer.serialize(message);
      if (data !== undefined) bytes += data.length;
      return true;
    },
    bufferedAmount: 0,
    close() {},
  };
  const pacer = { join() {}, leave() {} } as unknown as SharedPacer;
  const session = new Session({
    id: 'bench',
    carrier: 'fastrtc',
    handler: echo.create({}),
    handlerInputRate: undefined,
    inputTiming: 'realtime',
    inputFormat: input,
    outputFormat: output,
    phone: undefined,
    carrierConfirmsMarks: false,
    frameMs: 20,
    outputLeadMs: 60,
    outputCapacityFrames: 6000,
    maxPendingFrames: 100,
    maxBufferedBytes: 256 * 1024,
    slowConsumerTimeoutMs: 5000,
    shutdownTimeoutMs: 5000,
    pacer,
    sink,
    taps: [],
    now: () => clock,
  });
  session.start();
  let at = 0;
  const stepNow = (): void => {
    clock += 20;
    session.onInbound(serializer.parse(messages[at]!, binary), binary);
    session.onTick(clock, true);
    at = (at + 1) % messages.length;
  };
  const step = async (): Promise<void> => {
    stepNow();
    await new Promise(setImmediate);
  };
  return {
    async run() {
      for (let i = 0; i < messages.length; i++) await step();
      return messages.length;
    },
    step,
    stepNow,
    sentBytes: () => bytes,
    close: () => session.close('server_shutdown'),
  };
}
