// AudioWorklet (WebSocket transport): plays the gateway's PCM16 frames through a small jitter
// buffer. Frames arrive over TCP in order but not evenly in time; playback starts (and restarts
// after running dry) once `targetMs` is queued, and the queue is held under `maxMs` by dropping the
// oldest audio (counted). `clear` (barge-in, docs/protocol.md) drops everything queued at once.
// Counters are posted every 250 ms in the shape of webrtc-stats' inbound-rtp where one exists.

class PcmPlaybackProcessor extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const o = options.processorOptions ?? {};
    this.target = Math.round((o.targetMs ?? 60) * sampleRate / 1000);
    this.max = Math.round((o.maxMs ?? 400) * sampleRate / 1000);
    /** @type {Float32Array[]} */
    this.queue = [];
    this.offset = 0; // read position in queue[0]
    this.queued = 0; // samples queued
    this.playing = false;
    this.stats = { totalSamplesReceived: 0, totalSamplesPlayed: 0, concealedSamples: 0, concealmentEvents: 0, droppedSamples: 0, clears: 0 };
    this.sinceReport = 0;
    this.port.onmessage = ({ data }) => {
      if (data === 'clear') {
        this.stats.clears++;
        this.stats.droppedSamples += this.queued;
        this.queue = [];
        this.offset = 0;
        this.queued = 0;
        this.playing = false;
        return;
      }
      this.push(new Int16Array(data));
    };
  }

  /** @param {Int16Array} pcm */
  push(pcm) {
    const samples = new Float32Array(pcm.length);
    for (let i = 0; i < pcm.length; i++) samples[i] = pcm[i] / 32768;
    this.queue.push(samples);
    this.queued += samples.length;
    this.stats.totalSamplesReceived += samples.length;
    while (this.queued > this.max && this.queue.length > 1) {
      const dropped = this.queue.shift();
      const n = dropped.length - this.offset;
      this.queued -= n;
      this.stats.droppedSamples += n;
      this.offset = 0;
    }
  }

  process(_inputs, outputs) {
    const out = outputs[0]?.[0];
    if (!out) return true;
    if (!this.playing && this.queued >= this.target) this.playing = true;
    let written = 0;
    while (this.playing && written < out.length && this.queue.length > 0) {
      const head = this.queue[0];
      const n = Math.min(out.length - written, head.length - this.offset);
      out.set(head.subarray(this.offset, this.offset + n), written);
      written += n;
      this.offset += n;
      this.queued -= n;
      if (this.offset === head.length) {
        this.queue.shift();
        this.offset = 0;
      }
    }
    this.stats.totalSamplesPlayed += written;
    if (this.playing && written < out.length) {
      // Ran dry mid-stream: the rest of this block is silence, and we wait for `target` again.
      this.stats.concealedSamples += out.length - written;
      this.stats.concealmentEvents++;
      this.playing = false;
    }
    out.fill(0, written);
    for (let c = 1; c < outputs[0].length; c++) outputs[0][c].set(out);
    this.sinceReport += out.length;
    if (this.sinceReport >= sampleRate / 4) {
      this.sinceReport = 0;
      this.port.postMessage({ ...this.stats, queuedSamples: this.queued, sampleRate });
    }
    return true;
  }
}

registerProcessor('wavegate-pcm-playback', PcmPlaybackProcessor);
