/** The dsp handler through real sockets: from the CLI under plain node, and with a failing processor from code. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import dsp from '../handlers/dsp.js';
import { SpeechTestClient } from '../bench/turn-latency-client.js';
import { concatPcm, loadSpeechFixtures, silence } from '../bench/vad-speech-fixtures.js';
import type { FrameProcessor } from '../src/dsp/dsp-block.js';
import { createGateway } from '../src/gateway.js';

const BIN = fileURLToPath(new URL('../bin/wavegate.js', import.meta.url));
const speech = loadSpeechFixtures()[0]!.samples;
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});

function rms(x: Int16Array): number {
  let e = 0;
  for (const v of x) e += v * v;
  return Math.sqrt(e / Math.max(1, x.length));
}

/** Runs `wavegate serve …` and resolves with its URL once it listens. */
function serve(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) resolve({ child, url: match[1]!, output: () => output });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(Object.assign(new Error(`wavegate exited with ${code}: ${output}`), { code, output })));
  });
}

describe('dsp handler', () => {
  it('`wavegate serve --handler dsp --dsp gain=-6,highpass=60` under plain node: the echo comes back 6 dB down', { timeout: 60_000 }, async () => {
    const { child, url } = await serve(['--handler', 'dsp', '--dsp', 'gain=-6,highpass=60']);
    const client = await SpeechTestClient.open(`${url.replace('http', 'ws')}/websocket/offer`, 'dsp-cli', 16_000);
    await client.stream(concatPcm(speech, silence(500, 16_000)), 16_000);
    await client.until(() => client.audio().length >= (speech.length + 8000) / 320 - 5, 10_000, 'the echo');
    const out = concatPcm(...client.audio().map((a) => a.samples));
    const ratioDb = 20 * Math.log10(rms(out) / rms(speech));
    console.log(`dsp gain=-6,highpass=60: output ${ratioDb.toFixed(2)} dB relative to input`);
    expect(ratioDb).toBeGreaterThan(-7.5); // the high-pass takes a little of the voice too
    expect(ratioDb).toBeLessThan(-5);
    await client.stop();
    child.kill('SIGTERM');
    expect(await new Promise((r) => child.once('exit', r))).toBe(0);
  });

  it('a bad --dsp stops the CLI at start, naming the step', async () => {
    const failed = await serve(['--handler', 'dsp', '--dsp', 'gain=6,reverb=2']).catch((err: { code: number; output: string }) => err);
    expect(failed).toMatchObject({ code: 1, output: expect.stringMatching(/Unknown DSP processor "reverb"/) });
  });

  it('a processor that throws is bypassed and counted: one warning, the audio goes on, the session stays', { timeout: 60_000 }, async () => {
    let calls = 0;
    const flaky: FrameProcessor = {
      name: 'flaky',
      process(block) {
        if (++calls % 2 === 0) throw new Error('every other frame');
        return block;
      },
    };
    const gateway = createGateway({ handler: dsp, handlerOptions: { dsp: ['gain=0', flaky] }, port: 0 });
    const { url } = await gateway.listen();
    try {
      const client = await SpeechTestClient.open(`${url.replace('http', 'ws')}/websocket/offer`, 'dsp-flaky', 16_000);
      const input = concatPcm(speech.subarray(0, 16_000), silence(300, 16_000));
      await client.stream(input, 16_000);
      await client.until(() => client.audio().length >= input.length / 320 - 3, 10_000, 'the echo');
      const warnings = client.json('warning');
      expect(warnings).toHaveLength(1);
      expect(warnings[0]!.message.message).toMatch(/dsp processor flaky failed.*every other frame/);
      expect(client.socket.readyState).toBe(client.socket.OPEN);
      const out = concatPcm(...client.audio().map((a) => a.samples));
      expect(Math.abs(20 * Math.log10(rms(out) / rms(input)))).toBeLessThan(0.5); // bypassed frames pass unchanged
      await client.stop();
    } finally {
      await gateway.close();
    }
  });
});

describe('asr handler from the CLI', () => {
  it('without pocketsphinx on PATH, `wavegate serve --handler asr` refuses to start with WG_ERR_HANDLER_UNAVAILABLE', async () => {
    const failed = await serve(['--handler', 'asr'], { ...process.env, PATH: '/nonexistent' }).catch((err: { code: number; output: string }) => err);
    expect(failed).toMatchObject({ code: 1, output: expect.stringMatching(/cannot be created.*pocketsphinx_continuous on PATH/) });
  });
});
