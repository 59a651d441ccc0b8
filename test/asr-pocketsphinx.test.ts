import { describe, expect, it } from 'vitest';
import { loadSpeechFixtures } from '../bench/vad-speech-fixtures.js';
import { PocketsphinxRecognizer, pocketsphinx, resolvePocketsphinx } from '../src/speech/pocketsphinx-recognizer.js';
import { recognizeAll } from '../src/speech/speech-recognizer.js';
import { findExecutable } from '../src/speech/find-executable.js';

const fixtures = loadSpeechFixtures();
const byFile = (name: string) => fixtures.find((f) => f.file === name)!;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('pocketsphinx recogniser (Debian pocketsphinx_continuous, one warm process per utterance)', () => {
  it('the engine this test needs is installed (CI installs it; a missing one fails here)', () => {
    expect(findExecutable('pocketsphinx_continuous')).toBeDefined();
    expect(() => resolvePocketsphinx()).not.toThrow();
  });

  it('recognises a spoken sentence', async () => {
    const recognizer = pocketsphinx()();
    try {
      expect(await recognizeAll(recognizer, byFile('s04-slt.wav').samples)).toBe('the weather is nice today and i would like to go outside');
      expect(await recognizeAll(recognizer, byFile('s01-rms.wav').samples)).toBe('please call me back tomorrow morning at nine');
      expect(await recognizeAll(recognizer, new Int16Array(16_000))).toBe('');
    } finally {
      await recognizer.close();
    }
  });

  it('reports partial text as its own VAD closes segments, then the whole as final', async () => {
    const recognizer = pocketsphinx()();
    try {
      const partials: string[] = [];
      const stream = recognizer.startUtterance({ onPartial: (text) => partials.push(text) });
      const a = byFile('s02-slt.wav').samples;
      const b = byFile('s03-slt.wav').samples;
      stream.write(a);
      stream.write(new Int16Array(16_000)); // 1 s of silence: the decoder closes the first segment
      stream.write(b);
      const text = await stream.finish();
      expect(partials[0]).toBe('turn off the lights in the kitchen');
      expect(text.startsWith(`${partials[0]} my account number`)).toBe(true);
      expect(text.endsWith('five six seven')).toBe(true);
    } finally {
      await recognizer.close();
    }
  });

  it('keeps one decoder warm, and leaves no process behind after abort and close', async () => {
    const recognizer = pocketsphinx()() as PocketsphinxRecognizer;
    const spare = (recognizer as unknown as { spare: { child: { pid: number } } }).spare.child.pid;
    expect(alive(spare)).toBe(true);
    const stream = recognizer.startUtterance();
    stream.write(byFile('s05-slt.wav').samples);
    stream.abort();
    await expect(stream.finish()).rejects.toThrow(/aborted/);
    const next = (recognizer as unknown as { spare: { child: { pid: number } } }).spare.child.pid;
    expect(next).not.toBe(spare);
    await recognizer.close();
    expect(alive(spare)).toBe(false);
    expect(alive(next)).toBe(false);
    expect(() => recognizer.startUtterance()).toThrow(/closed/);
  });

  it('a missing engine or model is a WG_ERR_HANDLER_UNAVAILABLE at creation, naming what is missing', () => {
    expect(() => pocketsphinx({ executable: 'no-such-pocketsphinx' })).toThrow(expect.objectContaining({ code: 'WG_ERR_HANDLER_UNAVAILABLE', message: expect.stringMatching(/no-such-pocketsphinx.*apt-get install pocketsphinx/) }));
    expect(() => pocketsphinx({ modelDir: '/nonexistent/model' })).toThrow(expect.objectContaining({ code: 'WG_ERR_HANDLER_UNAVAILABLE', message: expect.stringMatching(/acoustic model not found at \/nonexistent\/model/) }));
    expect(() => pocketsphinx({ finishTimeoutMs: -5 })).toThrow(/finishTimeoutMs.*-5/);
  });

  it('a decoder that fails reports why', async () => {
    const recognizer = pocketsphinx({ args: ['-no_such_flag', '1'], keepWarm: false })();
    try {
      const stream = recognizer.startUtterance();
      stream.write(new Int16Array(1600));
      await expect(stream.finish()).rejects.toThrow(/pocketsphinx exited with/);
    } finally {
      await recognizer.close();
    }
  });
});
