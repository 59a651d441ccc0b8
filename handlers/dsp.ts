import { DspChain } from '../src/dsp/dsp-chain.js';
import { resolveDspSteps, type DspStep } from '../src/dsp/dsp-spec.js';
import { WavegateError } from '../src/errors/wavegate-error.js';
import { defineHandler, type Handler, type HandlerContext } from '../src/handler/handler.js';

export interface DspHandlerOptions {
  /** `"gain=6,highpass=120"` (the CLI's `--dsp`) or a list of steps: names or processor objects. */
  dsp?: string | readonly DspStep[];
}

function buildChain(options: DspHandlerOptions, onFailure?: ConstructorParameters<typeof DspChain>[1]): DspChain {
  try {
    return new DspChain(resolveDspSteps(options.dsp ?? ''), onFailure);
  } catch (err) {
    throw new WavegateError('WG_ERR_HANDLER_UNAVAILABLE', `dsp: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Echo through a DSP chain: every frame that comes in goes back out processed. A processor that
 * throws is bypassed for that frame and counted; the client gets one warning per failing processor.
 */
export default defineHandler<DspHandlerOptions>({
  name: 'dsp',
  clientOptions: ['dsp'],
  check(options) {
    buildChain(options);
  },
  validateOptions(options) {
    buildChain(options);
  },
  create(options): Handler {
    let ctx: HandlerContext | undefined;
    const warned = new Set<string>();
    const chain = buildChain(options, (stats, error) => {
      if (warned.has(stats.name)) return;
      warned.add(stats.name);
      const message = error instanceof Error ? error.message : String(error);
      ctx?.send({ type: 'warning', message: `dsp processor ${stats.name} failed and is bypassed for failing frames: ${message}` });
    });
    return {
      startUp(context) {
        ctx = context;
      },
      receive(frame) {
        ctx?.send({ type: 'audio', frame: chain.process(frame) });
      },
    };
  },
});
