/**
 * Speech to text through CMU PocketSphinx's command-line recognizer (Debian packages `pocketsphinx`
 * and `pocketsphinx-en-us`): a WAV file in, the hypothesis text out. `pocketsphinx_continuous -infile
 * X.wav` prints one line per utterance it finds; they are joined with single spaces. Its log (stderr)
 * is kept only to explain a failure.
 *
 * The default US English model is trained on 16 kHz mono speech; give it that (transcribePcm writes
 * raw samples to a temporary WAV first). Every run is a separate process, bounded by `timeoutMs` and
 * cancellable with an AbortSignal.
 */
import { execFile, type ExecFileException } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WavegateError } from '../errors/wavegate-error.js';
import { encodeWav } from '../wav/wav-file.js';

export interface PocketsphinxOptions {
  /** Program to run; a name on PATH or a path. */
  command: string;
  /** Extra arguments, e.g. ['-hmm', dir, '-lm', file, '-dict', file] for another model. */
  args: readonly string[];
  /** Kill the process after this long (ms). */
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

export const DEFAULT_POCKETSPHINX_OPTIONS: PocketsphinxOptions = {
  command: 'pocketsphinx_continuous',
  args: [],
  timeoutMs: 60_000,
};

function check(ok: boolean, name: string, value: unknown, expected: string): void {
  if (!ok) throw new TypeError(`Expected \`${name}\` to be ${expected}, got \`${String(value)}\` (${typeof value})`);
}

function resolveOptions(options: Partial<PocketsphinxOptions>): PocketsphinxOptions {
  const o: PocketsphinxOptions = { ...DEFAULT_POCKETSPHINX_OPTIONS, ...options };
  check(typeof o.command === 'string' && o.command.length > 0, 'command', o.command, 'a non-empty string');
  check(Array.isArray(o.args) && o.args.every((a) => typeof a === 'string'), 'args', o.args, 'an array of strings');
  check(Number.isFinite(o.timeoutMs) && o.timeoutMs > 0, 'timeoutMs', o.timeoutMs, 'a number > 0');
  return o;
}

/** The recognizer's stdout as one line of text. */
export function joinHypothesisLines(stdout: string): string {
  return stdout
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .join(' ');
}

function lastLogLines(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l.trim().length > 0);
  const errors = lines.filter((l) => /^(ERROR|FATAL)/.test(l));
  return (errors.length > 0 ? errors : lines).slice(-3).join(' | ');
}

/** Recognizes the speech in the WAV file at `path`. */
export async function transcribeFile(path: string, options: Partial<PocketsphinxOptions> = {}): Promise<string> {
  const o = resolveOptions(options);
  check(typeof path === 'string' && path.length > 0, 'path', path, 'a non-empty string');
  return await new Promise((resolve, reject) => {
    execFile(
      o.command,
      ['-infile', path, ...o.args],
      { timeout: o.timeoutMs, maxBuffer: 16 * 1024 * 1024, signal: o.signal, encoding: 'utf8' },
      (err: ExecFileException | null, stdout: string, stderr: string) => {
        if (!err) return resolve(joinHypothesisLines(stdout));
        if (err.code === 'ENOENT') {
          return reject(new WavegateError('WG_ERR_HANDLER_UNAVAILABLE', `${o.command} not found (Debian: apt-get install pocketsphinx pocketsphinx-en-us)`, { cause: err }));
        }
        if (err.name === 'AbortError') return reject(err);
        const why = err.killed ? `killed after ${o.timeoutMs} ms` : `exit code ${String(err.code)}`;
        reject(new WavegateError('WG_ERR_HANDLER_FAILED', `${o.command} on ${path}: ${why}: ${lastLogLines(stderr)}`, { cause: err }));
      },
    );
  });
}

/** Recognizes mono PCM16 samples (16 kHz for the default model) by way of a temporary WAV file. */
export async function transcribePcm(samples: Int16Array, sampleRate = 16_000, options: Partial<PocketsphinxOptions> = {}): Promise<string> {
  check(samples instanceof Int16Array, 'samples', samples, 'an Int16Array');
  if (!Number.isInteger(sampleRate) || sampleRate < 8000 || sampleRate > 48_000) {
    throw new WavegateError('WG_ERR_UNSUPPORTED_FORMAT', `sample rate ${String(sampleRate)} for pocketsphinx (8000–48000 Hz; the default model wants 16000)`);
  }
  const dir = await mkdtemp(join(tmpdir(), 'wavegate-asr-'));
  try {
    const file = join(dir, 'speech.wav');
    await writeFile(file, encodeWav({ samples, sampleRate, channels: 1 }));
    const o = resolveOptions(options);
    const args = sampleRate === 16_000 ? o.args : ['-samprate', String(sampleRate), ...o.args];
    return await transcribeFile(file, { ...o, args });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
