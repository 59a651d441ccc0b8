// AudioWorklet (WebSocket transport): plays the gateway's PCM16 frames through a small jitter
// buffer. Frames arrive over TCP in order but not evenly in time; playback starts (and restarts
// after running dry) once the target is queued. The target starts at `targetMs`, grows by 20 ms
// each time the buffer runs dry (up to 4×) and shrinks back by 10 ms per 10 s without that. Audio
// queued well past the target is caught up in quiet blocks only (speech is never skipped), and the
// queue is held under `maxMs` by dropping the oldest audio. `clear` (barge-in, docs/protocol.md)
// drops everything queued at once. Counters are posted every 250 ms, named as webrtc-stats'
// inbound-rtp where one exists.

class PcmPlaybackProcessor extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const o = options.processorOptions ?? {};
    this.baseTarget = Math.round((o.targetMs ?? 60) * sampleRate / 1000);
    this.target = this.baseTarget;
    this.step = Math.round(sampleRate / 50);
    this.sinceUnderrun = 0;
    this.max = Math.round((o.maxMs ?? 400) * sampleRate / 1000);
    /** @type {Float32Array[]} */
    this.queue = [];
    this.offset = 0; // read position in queue[0]
    this.queued = 0; // samples queued
    this.playing = false;
    /** Silence played while rebuffering after running dry: counted as concealed if the audio resumes within 1 s. */
    this.waited = 0;
    this.stats = { totalSamplesReceived: 0, totalSamplesPlayed: 0, concealedSamples: 0, concealmentEvents: 0, removedSamplesForAcceleration: 0, droppedSamples: 0, clears: 0 };
    this.sinceReport = 0;
    this.port.onmessage = ({ data }) => {
      if (data === 'clear') {
        this.stats.clears++;
        this.stats.droppedSamples += this.queued;
        this.queue = [];
        this.offset = 0;
        this.queued = 0;
        this.playing = false;
        this.waited = 0;
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

  /** Far behind the target: skip the next `n` samples if they are quiet (a pause), never speech. @param {number} n */
  catchUp(n) {
    if (this.queued < this.target + 2 * this.step + n) return;
    const head = this.queue[0];
    if (!head || head.length - this.offset < n) return;
    let sum = 0;
    for (let i = this.offset; i < this.offset + n; i++) sum += head[i] * head[i];
    if (sum / n > 1e-5) return; // above −50 dBFS: keep it
    this.offset += n;
    this.queued -= n;
    this.stats.removedSamplesForAcceleration += n;
    if (this.offset === head.length) {
      this.queue.shift();
      this.offset = 0;
    }
  }

  process(_inputs, outputs) {
    const out = outputs[0]?.[0];
    if (!out) return true;
    if (!this.playing && this.queued >= this.target) {
      this.playing = true;
      // A wait of up to 1 s was the audio being late; longer, the gateway had simply paused (between turns).
      if (this.waited <= sampleRate) this.stats.concealedSamples += this.waited;
      this.waited = 0;
    }
    if (this.playing) this.catchUp(out.length);
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
    if (!this.playing && this.stats.concealmentEvents > 0 && this.waited <= sampleRate) this.waited += out.length - written;
    if (this.playing && written < out.length) {
      // Ran dry mid-stream: the rest of this block is silence, and we wait for `target` again.
      this.stats.concealedSamples += out.length - written;
      this.stats.concealmentEvents++;
      this.playing = false;
      this.target = Math.min(4 * this.baseTarget, this.target + this.step);
      this.sinceUnderrun = 0;
    } else if ((this.sinceUnderrun += out.length) >= 10 * sampleRate && this.target > this.baseTarget) {
      this.target = Math.max(this.baseTarget, this.target - this.step / 2);
      this.sinceUnderrun = 0;
    }
    out.fill(0, written);
    for (let c = 1; c < outputs[0].length; c++) outputs[0][c].set(out);
    this.sinceReport += out.length;
    if (this.sinceReport >= sampleRate / 4) {
      this.sinceReport = 0;
      this.port.postMessage({ ...this.stats, queuedSamples: this.queued, targetSamples: this.target, sampleRate });
    }
    return true;
  }
}

registerProcessor('wavegate-pcm-playback', PcmPlaybackProcessor);
