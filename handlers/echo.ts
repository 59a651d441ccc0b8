import { defineHandler, type Handler, type HandlerContext } from '../src/handler/handler.js';

export interface EchoOptions {
  /** Gain applied to the echo, in dB (default 0: the input exactly). */
  gainDb?: number;
}

/** The demo handler: every frame that comes in goes back out, paced like it arrived. */
export default defineHandler<EchoOptions>({
  name: 'echo',
  clientOptions: ['gainDb'],
  validateOptions(options) {
    gainDbOf(options);
  },
  create(options): Handler {
    const gainDb = gainDbOf(options);
    const gain = 10 ** (gainDb / 20);
    let ctx: HandlerContext | undefined;
    return {
      startUp(context) {
        ctx = context;
      },
      receive(frame) {
        if (gain === 1) {
          ctx?.send({ type: 'audio', frame });
          return;
        }
        const samples = new Int16Array(frame.samples.length);
        for (let i = 0; i < samples.length; i++) samples[i] = Math.max(-32768, Math.min(32767, Math.round(frame.samples[i]! * gain)));
        ctx?.send({ type: 'audio', frame: { ...frame, samples } });
      },
    };
  },
});

function gainDbOf(options: EchoOptions): number {
  const gainDb = options.gainDb ?? 0;
  if (typeof gainDb !== 'number' || !Number.isFinite(gainDb) || Math.abs(gainDb) > 60) {
    throw new TypeError(`Expected \`gainDb\` to be a number from -60 to 60, got \`${String(gainDb)}\``);
  }
  return gainDb;
}
