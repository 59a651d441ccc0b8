import { defineHandler, type HandlerContext } from '../../src/handler/handler.js';

/**
 * The voice-agent shape the barge-in benchmark needs: after the caller's 5th frame it answers 3 s of
 * tone, and while answering, input louder than RMS 1500 (the caller talking) makes it send `clear`.
 */
export default defineHandler({
  name: 'barge-in-bench',
  create() {
    let ctx: HandlerContext | undefined;
    let frames = 0;
    let replying = false;
    return {
      startUp(context) {
        ctx = context;
      },
      receive(frame) {
        frames++;
        if (frames === 5 && ctx) {
          replying = true;
          const rate = ctx.outputSampleRate;
          const samples = new Int16Array(rate * 3);
          for (let i = 0; i < samples.length; i++) samples[i] = Math.round(6000 * Math.sin((2 * Math.PI * 300 * i) / rate));
          ctx.send({ type: 'audio', frame: { samples, sampleRate: rate, channels: 1, timestamp: 0 } });
          return;
        }
        if (!replying) return;
        let sum = 0;
        for (const s of frame.samples) sum += s * s;
        if (Math.sqrt(sum / frame.samples.length) > 1500) {
          replying = false;
          ctx?.send({ type: 'clear' });
        }
      },
    };
  },
});
