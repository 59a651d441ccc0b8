// The WebSocket fallback: FastRTC's `WS websocket/offer` with wavegate's extensions (docs/protocol.md):
// `start` names binary `audio/x-l16` at the AudioContext's rate both ways; the microphone goes out
// through an AudioWorklet (pcm-capture-worklet.js) as one binary message per 20 ms, and the gateway's
// frames play through an AudioWorklet with a small jitter buffer (pcm-playback-worklet.js).
// Round trip comes from ping/pong, jitter from frame arrival times (RFC 3550's estimator).

const PING_EVERY_MS = 1000;
/** Frames are not sent while this much is still waiting in the socket: the gateway would drop them anyway. */
const MAX_BUFFERED_BYTES = 64 * 1024;

/** @typedef {import('./talk-messages.js').TransportEvents} TransportEvents */

export class WebSocketTransport {
  /**
   * @param {{ id: string, stream: MediaStream, context: AudioContext, url: URL, events: TransportEvents, jitterTargetMs: number, room?: string | null }} o
   */
  constructor(o) {
    this.name = 'websocket';
    this.o = o;
    /** @type {WebSocket|null} */ this.socket = null;
    /** @type {AudioWorkletNode|null} */ this.capture = null;
    /** @type {AudioWorkletNode|null} */ this.playback = null;
    /** @type {MediaStreamAudioSourceNode|null} */ this.micSource = null;
    this.remoteDestination = o.context.createMediaStreamDestination();
    /** The gateway's audio as a track (what plays), for meters and tests. */
    this.remoteStream = this.remoteDestination.stream;
    this.playbackStats = null;
    this.rttMs = null;
    this.pingSentAt = 0;
    this.jitterS = 0;
    this.lastArrival = 0;
    this.lastDurationS = 0;
    this.framesReceived = 0;
    this.framesSent = 0;
    this.framesHeld = 0;
    this.closed = false;
    this.pinger = 0;
  }

  async start() {
    const { context, stream, url, id, events } = this.o;
    await Promise.all([
      context.audioWorklet.addModule(new URL('pcm-capture-worklet.js', import.meta.url)),
      context.audioWorklet.addModule(new URL('pcm-playback-worklet.js', import.meta.url)),
    ]);
    this.playback = new AudioWorkletNode(context, 'wavegate-pcm-playback', { numberOfInputs: 0, outputChannelCount: [1], processorOptions: { targetMs: this.o.jitterTargetMs } });
    this.playback.port.onmessage = ({ data }) => (this.playbackStats = data);
    this.playback.connect(context.destination);
    this.playback.connect(this.remoteDestination);
    this.capture = new AudioWorkletNode(context, 'wavegate-pcm-capture', { numberOfOutputs: 0, channelCount: 1, channelCountMode: 'explicit' });
    this.capture.port.onmessage = ({ data }) => this.sendFrame(data);
    this.attachMic(stream);

    const format = { encoding: 'audio/x-l16', sampleRate: context.sampleRate, channels: 1 };
    const socket = new WebSocket(url);
    socket.binaryType = 'arraybuffer';
    this.socket = socket;
    await new Promise((resolve, reject) => {
      socket.onopen = resolve;
      socket.onerror = () => reject(Object.assign(new Error('WebSocket failed'), { kind: 'unreachable' }));
      socket.onclose = (e) => reject(Object.assign(new Error(`WebSocket closed (${e.code})`), { kind: 'unreachable' }));
    });
    socket.onerror = null;
    socket.onclose = (e) => this.onClose(e);
    socket.onmessage = (e) => this.onMessage(e);
    socket.send(JSON.stringify({ event: 'start', websocket_id: id, mediaFormat: format, outputFormat: format, ...(this.o.room && { room: this.o.room }) }));
    events.state('connected');
    this.pinger = setInterval(() => this.ping(), PING_EVERY_MS);
    this.ping();
  }

  /** @param {MediaStream} stream */
  attachMic(stream) {
    this.micSource?.disconnect();
    this.micSource = this.o.context.createMediaStreamSource(stream);
    if (this.capture) this.micSource.connect(this.capture);
  }

  /** Another microphone mid-conversation. @param {MediaStream} stream */
  async replaceMic(stream) {
    this.attachMic(stream);
  }

  /** @param {ArrayBuffer} frame */
  sendFrame(frame) {
    const socket = this.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) return;
    if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.framesHeld++;
      return;
    }
    socket.send(frame);
    this.framesSent++;
  }

  ping() {
    if (this.socket?.readyState !== WebSocket.OPEN) return;
    this.pingSentAt = performance.now();
    this.socket.send('{"event":"ping"}');
  }

  /** @param {MessageEvent} e */
  onMessage(e) {
    if (typeof e.data !== 'string') {
      this.onAudio(e.data);
      return;
    }
    let message;
    try {
      message = JSON.parse(e.data);
    } catch {
      this.o.events.message({ type: 'warning', message: `unreadable message from the gateway: ${String(e.data).slice(0, 80)}` });
      return;
    }
    if (message.event === 'pong') {
      if (this.pingSentAt) this.rttMs = performance.now() - this.pingSentAt;
      return;
    }
    if (message.event === 'clear') this.playback?.port.postMessage('clear');
    this.o.events.message(message);
  }

  /** @param {ArrayBuffer} data */
  onAudio(data) {
    const now = performance.now() / 1000;
    const durationS = data.byteLength / 2 / this.o.context.sampleRate;
    if (this.framesReceived > 0) {
      // RFC 3550 §6.4.1: D = (arrival difference) - (media time difference), J += (|D| - J) / 16.
      const d = now - this.lastArrival - this.lastDurationS;
      this.jitterS += (Math.abs(d) - this.jitterS) / 16;
    }
    this.lastArrival = now;
    this.lastDurationS = durationS;
    this.framesReceived++;
    this.playback?.port.postMessage(data, [data]);
  }

  /** @param {CloseEvent} e */
  onClose(e) {
    if (this.closed) return;
    this.teardown();
    this.o.events.closed({ code: e.code, reason: e.reason });
  }

  async stats() {
    const p = this.playbackStats;
    return {
      rttMs: this.rttMs,
      jitterMs: this.framesReceived > 1 ? this.jitterS * 1000 : null,
      packetsLost: null, // TCP: nothing is lost, late audio is counted as concealment below
      packetsReceived: this.framesReceived,
      packetsSent: this.framesSent,
      concealedMs: p ? (p.concealedSamples / p.sampleRate) * 1000 : null,
      concealedRatio: p && p.totalSamplesPlayed + p.concealedSamples > 0 ? p.concealedSamples / (p.totalSamplesPlayed + p.concealedSamples) : null,
      concealmentEvents: p?.concealmentEvents ?? null,
      playoutDelayMs: p ? (p.queuedSamples / p.sampleRate) * 1000 : null,
      droppedMs: p ? (p.droppedSamples / p.sampleRate) * 1000 : null,
    };
  }

  teardown() {
    this.closed = true;
    clearInterval(this.pinger);
    this.micSource?.disconnect();
    this.capture?.port.close();
    this.capture?.disconnect();
    this.playback?.port.close();
    this.playback?.disconnect();
    this.remoteStream.getTracks().forEach((t) => t.stop());
  }

  /** Ends the session: `stop` (the gateway runs the handler's shutdown), then the socket closes. */
  stop() {
    if (this.closed) return;
    const socket = this.socket;
    this.teardown();
    if (socket?.readyState === WebSocket.OPEN) {
      socket.send('{"event":"stop"}');
      socket.close(1000);
    } else socket?.close();
  }
}
