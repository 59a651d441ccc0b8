// A level meter: an AnalyserNode on a stream, read every 50 ms into a <meter> as the
// block's RMS on a dB scale (−60 dBFS → 0, 0 dBFS → 1), with a quick rise and a slow fall.

export class LevelMeter {
  /** @param {AudioContext} context @param {MediaStream} stream @param {HTMLMeterElement} meter */
  constructor(context, stream, meter) {
    this.meter = meter;
    this.source = context.createMediaStreamSource(stream);
    this.analyser = context.createAnalyser();
    this.analyser.fftSize = 1024;
    this.source.connect(this.analyser);
    this.buffer = new Float32Array(this.analyser.fftSize);
    this.value = 0;
    /** Peak of the level since it was last read (for tests and the console). */
    this.peak = 0;
    this.timer = setInterval(() => this.read(), 50);
  }

  read() {
    this.analyser.getFloatTimeDomainData(this.buffer);
    let sum = 0;
    for (let i = 0; i < this.buffer.length; i++) sum += this.buffer[i] * this.buffer[i];
    const rms = Math.sqrt(sum / this.buffer.length);
    const level = rms > 0 ? Math.max(0, Math.min(1, 1 + (20 * Math.log10(rms)) / 60)) : 0;
    this.value = level > this.value ? level : this.value * 0.85 + level * 0.15;
    this.peak = Math.max(this.peak, level);
    this.meter.value = this.value;
  }

  close() {
    clearInterval(this.timer);
    this.source.disconnect();
    this.meter.value = 0;
    this.value = 0;
  }
}
