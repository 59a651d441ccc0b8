import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkOption, inRange } from '../dsp/option-check.js';
import { WavegateError } from '../errors/wavegate-error.js';
import { findExecutable } from './find-executable.js';
import type { SpeechSynthesizer, SynthesisOptions } from './speech-synthesizer.js';
import { parseWavPcm16, type Pcm16Audio } from './wav-pcm16.js';

export interface FliteOptions {
  /** The synthesiser program (Debian package `flite`). */
  executable: string;
  /** Default voice: one flite has built in (`flite -lv`). slt is 16 kHz; kal is 8 kHz. */
  voice: string;
  /** Longest a synthesis may take (ms). */
  timeoutMs: number;
  /** Longest text accepted (characters); longer text is cut at a word boundary. */
  maxTextLength: number;
}

export const DEFAULT_FLITE_OPTIONS: FliteOptions = { executable: 'flite', voice: 'slt', timeoutMs: 10_000, maxTextLength: 1000 };

/** The voices a flite binary has built in, from `flite -lv`. */
function builtInVoices(executable: string): string[] {
  const listing = execFileSync(executable, ['-lv'], { encoding: 'utf8', timeout: 5000 });
  return listing.replace(/^.*?:/s, '').trim().split(/\s+/).filter(Boolean);
}

/**
 * Debian's `flite` (CMU Flite), one short process per utterance: ~30–50 ms for a sentence. Only
 * built-in voice names are accepted (flite would also load a voice from a path or URL). Output goes
 * to a temporary WAV (flite cannot write to a socket-backed stdout), read back and deleted at once.
 */
export class FliteSynthesizer implements SpeechSynthesizer {
  readonly name = 'flite';
  readonly voices: readonly string[];
  private readonly o: FliteOptions;
  private readonly executablePath: string;

  constructor(options: Partial<FliteOptions> = {}) {
    const o: FliteOptions = { ...DEFAULT_FLITE_OPTIONS, ...options };
    checkOption(typeof o.executable === 'string' && o.executable.length > 0, 'executable', o.executable, 'a program name or path');
    checkOption(inRange(o.timeoutMs, 100, 600_000), 'timeoutMs', o.timeoutMs, 'a number of ms from 100 to 600000');
    checkOption(Number.isInteger(o.maxTextLength) && o.maxTextLength >= 1, 'maxTextLength', o.maxTextLength, 'a positive integer');
    const path = findExecutable(o.executable);
    if (!path) throw new WavegateError('WG_ERR_HANDLER_UNAVAILABLE', `speech synthesis needs ${o.executable} on PATH (Debian: apt-get install flite)`);
    this.executablePath = path;
    this.voices = builtInVoices(path);
    this.o = o;
    this.checkVoice(o.voice);
  }

  checkVoice(voice: unknown): string {
    checkOption(typeof voice === 'string' && this.voices.includes(voice), 'voice', voice, `one of flite's voices: ${this.voices.join(', ')}`);
    return voice as string;
  }

  async synthesize(text: string, options: SynthesisOptions = {}): Promise<Pcm16Audio> {
    const voice = this.checkVoice(options.voice ?? this.o.voice);
    const spoken = clip(text.replace(/\s+/g, ' ').trim(), this.o.maxTextLength);
    if (spoken === '') return { samples: new Int16Array(0), sampleRate: 16_000, channels: 1 };
    const file = join(tmpdir(), `wavegate-flite-${process.pid}-${randomBytes(6).toString('hex')}.wav`);
    try {
      await new Promise<void>((resolve, reject) => {
        execFile(this.executablePath, ['-voice', voice, '-t', spoken, '-o', file], { timeout: this.o.timeoutMs, signal: options.signal }, (err, _stdout, stderr) => {
          if (err) reject(new Error(`flite failed: ${err.name === 'AbortError' ? 'aborted' : (String(stderr).trim() || err.message)}`, { cause: err }));
          else resolve();
        });
      });
      return parseWavPcm16(await readFile(file));
    } finally {
      await rm(file, { force: true });
    }
  }
}

function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.lastIndexOf(' ', max);
  return text.slice(0, cut > 0 ? cut : max);
}
