import type { AudioFrame } from '../audio/audio-frame.js';
import { blockFromFrame, frameFromBlock, type DspBlock, type FrameProcessor } from './dsp-block.js';

export interface ProcessorStats {
  readonly name: string;
  /** Frames the processor handled. */
  frames: number;
  /** Frames on which it threw or returned bad samples; those frames bypassed it. */
  failures: number;
  lastError: string | undefined;
}

/** Called the first time a processor fails, and every time after if the caller wants. */
export type ProcessorFailureListener = (stats: Readonly<ProcessorStats>, error: unknown) => void;

function checkBlock(input: DspBlock, output: unknown): string | undefined {
  const block = output as DspBlock | undefined;
  if (!block || !(block.samples instanceof Float32Array)) return 'returned no Float32Array samples';
  if (block.channels !== input.channels) return `changed channels from ${input.channels} to ${String(block.channels)}`;
  if (!Number.isInteger(block.sampleRate) || block.sampleRate <= 0) return `returned sample rate ${String(block.sampleRate)}`;
  if (block.samples.length % block.channels !== 0) return 'returned a partial sample frame';
  for (let i = 0; i < block.samples.length; i++) {
    if (!Number.isFinite(block.samples[i]!)) return `returned a non-finite sample at ${i}`;
  }
  return undefined;
}

/**
 * A chain of per-frame processors, applied in order. Each processor works on its own copy, so one
 * that throws (or returns NaN, a wrong channel count…) is bypassed for that frame — the audio goes
 * on unchanged from the previous stage — its failure is counted and its state reset. Never fatal.
 */
export class DspChain {
  readonly processors: readonly FrameProcessor[];
  readonly stats: readonly ProcessorStats[];
  private readonly onFailure: ProcessorFailureListener | undefined;

  constructor(processors: readonly FrameProcessor[], onFailure?: ProcessorFailureListener) {
    this.processors = [...processors];
    this.stats = processors.map((p) => ({ name: p.name, frames: 0, failures: 0, lastError: undefined }));
    this.onFailure = onFailure;
  }

  /** Total failures over all processors. */
  get failures(): number {
    return this.stats.reduce((sum, s) => sum + s.failures, 0);
  }

  process(frame: AudioFrame): AudioFrame {
    if (this.processors.length === 0) return frame;
    let block = blockFromFrame(frame);
    for (let i = 0; i < this.processors.length; i++) {
      const processor = this.processors[i]!;
      const stats = this.stats[i] as ProcessorStats;
      stats.frames++;
      const input: DspBlock = { ...block, samples: block.samples.slice() };
      let problem: unknown;
      try {
        const output = processor.process(input);
        const bad = checkBlock(block, output);
        if (bad === undefined) {
          block = output;
          continue;
        }
        problem = new Error(`processor ${processor.name} ${bad}`);
      } catch (err) {
        problem = err;
      }
      stats.failures++;
      stats.lastError = problem instanceof Error ? problem.message : String(problem);
      try {
        processor.reset?.();
      } catch {
        // a processor that cannot even reset stays bypassed frame by frame
      }
      this.onFailure?.(stats, problem);
    }
    return frameFromBlock(block, frame.timestamp);
  }

  reset(): void {
    for (const p of this.processors) {
      try {
        p.reset?.();
      } catch {
        // see process()
      }
    }
  }
}
