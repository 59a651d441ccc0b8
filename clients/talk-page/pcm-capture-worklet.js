// AudioWorklet (WebSocket transport): the microphone as 20 ms frames of PCM16 little-endian at the
// AudioContext's rate, each posted to the main thread as a transferred ArrayBuffer, ready to send as
// one binary `audio/x-l16` media message (docs/protocol.md). Plain script, no imports.

class PcmCaptureProcessor extends AudioWorkletProcessor {
  constructor() {
    super();
    this.frameLength = Math.round(sampleRate / 50);
    this.frame = new Int16Array(this.frameLength);
    this.filled = 0;
  }

  process(inputs) {
    const channel = inputs[0]?.[0];
    // No input connected yet (or the track ended): keep the node alive, send nothing.
    if (!channel) return true;
    for (let i = 0; i < channel.length; i++) {
      const x = Math.max(-1, Math.min(1, channel[i]));
      this.frame[this.filled++] = x < 0 ? Math.round(x * 32768) : Math.round(x * 32767);
      if (this.filled === this.frameLength) {
        // Int16Array is in the platform's byte order: little-endian on every browser platform.
        this.port.postMessage(this.frame.buffer, [this.frame.buffer]);
        this.frame = new Int16Array(this.frameLength);
        this.filled = 0;
      }
    }
    return true;
  }
}

registerProcessor('wavegate-pcm-capture', PcmCaptureProcessor);
