import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { checkOption, inRange } from '../dsp/option-check.js';
import { WavegateError } from '../errors/wavegate-error.js';
import { findExecutable } from './find-executable.js';
import { PocketsphinxProcess } from './pocketsphinx-process.js';
import type { RecognitionStream, SpeechRecognizer, SpeechRecognizerFactory, UtteranceOptions } from './speech-recognizer.js';

export interface PocketsphinxRecognizerOptions {
  /** The decoder program (Debian package `pocketsphinx`). */
  executable: string;
  /** Model folder holding `en-us/` (acoustic model), `en-us.lm.bin` and `cmudict-en-us.dict` (package `pocketsphinx-en-us`). */
  modelDir: string;
  /** Extra decoder arguments, e.g. `['-vad_postspeech', '30']`. */
  args: readonly string[];
  /** Keep one decoder loaded ahead of the next utterance (saves ~1 s of model loading per turn). */
  keepWarm: boolean;
  /** Longest wait for the final hypothesis after the end of an utterance (ms). */
  finishTimeoutMs: number;
}

export const DEFAULT_POCKETSPHINX_RECOGNIZER_OPTIONS: PocketsphinxRecognizerOptions = {
  executable: 'pocketsphinx_continuous',
  modelDir: '/usr/share/pocketsphinx/model/en-us',
  // Close the decoder's own segments after 0.3 s of silence instead of 0.5 s, so the last segment is
  // decoded by the time the turn-taking pause (≥ 0.5 s) is detected.
  args: ['-vad_postspeech', '30'],
  keepWarm: true,
  finishTimeoutMs: 15_000,
};

export interface ResolvedPocketsphinx extends PocketsphinxRecognizerOptions {
  readonly executablePath: string;
  readonly decoderArgs: readonly string[];
}

/**
 * Checks that the decoder and its model are installed, synchronously and without loading them,
 * so a missing engine fails at handler creation. Throws WG_ERR_HANDLER_UNAVAILABLE naming what is missing.
 */
export function resolvePocketsphinx(options: Partial<PocketsphinxRecognizerOptions> = {}): ResolvedPocketsphinx {
  const o: PocketsphinxRecognizerOptions = { ...DEFAULT_POCKETSPHINX_RECOGNIZER_OPTIONS, ...options };
  checkOption(typeof o.executable === 'string' && o.executable.length > 0, 'executable', o.executable, 'a program name or path');
  checkOption(typeof o.modelDir === 'string' && o.modelDir.length > 0, 'modelDir', o.modelDir, 'a folder path');
  checkOption(Array.isArray(o.args) && o.args.every((a) => typeof a === 'string'), 'args', o.args, 'an array of strings');
  checkOption(typeof o.keepWarm === 'boolean', 'keepWarm', o.keepWarm, 'a boolean');
  checkOption(inRange(o.finishTimeoutMs, 100, 600_000), 'finishTimeoutMs', o.finishTimeoutMs, 'a number of ms from 100 to 600000');
  const executablePath = findExecutable(o.executable);
  if (!executablePath) {
    throw new WavegateError('WG_ERR_HANDLER_UNAVAILABLE', `speech recognition needs ${o.executable} on PATH (Debian: apt-get install pocketsphinx pocketsphinx-en-us)`);
  }
  const hmm = join(o.modelDir, 'en-us');
  const lm = join(o.modelDir, 'en-us.lm.bin');
  const dict = join(o.modelDir, 'cmudict-en-us.dict');
  for (const [what, path] of [
    ['acoustic model', join(hmm, 'mdef')],
    ['language model', lm],
    ['dictionary', dict],
  ] as const) {
    if (!existsSync(path)) {
      throw new WavegateError('WG_ERR_HANDLER_UNAVAILABLE', `pocketsphinx ${what} not found at ${path} (Debian: apt-get install pocketsphinx-en-us, or set modelDir)`);
    }
  }
  return { ...o, executablePath, decoderArgs: ['-samprate', '16000', '-hmm', hmm, '-lm', lm, '-dict', dict, ...o.args] };
}

/**
 * CMU PocketSphinx through Debian's `pocketsphinx_continuous`, one process per utterance, started
 * before it is needed and fed while the user talks. Measured on the speech fixtures (bench/turn-latency-asr.ts):
 * a process started at the pause costs ~1 s of model loading before decoding even begins; a warm one
 * fed in real time has the text ~0.1–0.3 s after the end of its input. A single long-lived decoder
 * would save the spare process but cannot be told where one utterance ends except by feeding silence,
 * and ties every session's turns to one stdout. Processes are cheap next to the latency.
 */
export class PocketsphinxRecognizer implements SpeechRecognizer {
  readonly name = 'pocketsphinx';
  readonly sampleRate = 16_000;
  private readonly o: ResolvedPocketsphinx;
  private spare: PocketsphinxProcess | undefined;
  private readonly live = new Set<PocketsphinxProcess>();
  private closed = false;

  constructor(options: ResolvedPocketsphinx) {
    this.o = options;
    if (options.keepWarm) this.spare = this.spawn();
  }

  startUtterance(options: UtteranceOptions = {}): RecognitionStream {
    if (this.closed) throw new Error('the recogniser is closed');
    const proc = this.spare ?? this.spawn();
    this.spare = undefined;
    // The next decoder loads once this one is done, not beside it: loading (~0.4 s of CPU) would
    // compete with the live decoding, and a next turn starts ≥ 0.5 s after this one ends anyway.
    const replenish = () => {
      if (this.o.keepWarm && !this.closed && this.spare === undefined) this.spare = this.spawn();
    };
    const heard: string[] = [];
    proc.onLine = (line) => {
      heard.push(line);
      options.onPartial?.(heard.join(' '));
    };
    let state: 'open' | 'finishing' | 'aborted' = 'open';
    return {
      write: (samples) => {
        if (state === 'open') proc.write(samples);
      },
      finish: async () => {
        if (state === 'aborted') throw new Error('the utterance was aborted');
        if (state === 'finishing') throw new Error('finish() was already called');
        state = 'finishing';
        try {
          return await proc.finish(this.o.finishTimeoutMs);
        } finally {
          replenish();
        }
      },
      abort: () => {
        state = 'aborted';
        proc.kill(); // it leaves `live` when it has exited, so close() still waits for it
        replenish();
      },
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const all = [...this.live];
    this.spare = undefined;
    this.live.clear();
    for (const proc of all) proc.kill();
    await Promise.all(all.map((p) => p.exited));
  }

  private spawn(): PocketsphinxProcess {
    const proc = new PocketsphinxProcess(this.o.executablePath, this.o.decoderArgs);
    this.live.add(proc);
    void proc.exited.then(() => this.live.delete(proc));
    return proc;
  }
}

/** A recogniser factory for the ASR and voice-loop handlers; checks the engine at once. */
export function pocketsphinx(options: Partial<PocketsphinxRecognizerOptions> = {}): SpeechRecognizerFactory {
  const resolved = resolvePocketsphinx(options);
  return () => new PocketsphinxRecognizer(resolved);
}
