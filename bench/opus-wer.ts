/**
 * `npm run build && node dist/bench/opus-wer.js`: pocketsphinx's word error rate on speech echoed through the gateway with
 * Opus at 48 kHz both ways, at each gateway encoder setting (the client's start message
 * `outputFormat.opus`, docs/protocol.md). Beside it, the same fixtures clean and through the client's
 * encoder alone, so what the gateway's own encoder adds shows. Writes bench/results/opus-wer.json.
 *
 *   node dist/bench/opus-wer.js [--settings audio:0,voip:5,…] [--through audio:0,voip:5,…|none] [--no-reference]
 *
 * `--settings`: the codec chain alone, offline (client encoder → decoder → the gateway encoder at that
 * setting → decoder), deterministic; `--through`: the same over real sockets through a gateway in real
 * time, where a machine short of CPU adds late frames and concealment of its own.
 *
 * Each of the 24 spoken fixtures (test/fixtures/speech, 16 kHz) is brought to 48 kHz by sox, sent in
 * real time as 20 ms Opus packets (client encoder: voip, complexity 9, as a browser would), echoed by
 * the gateway (echo handler), decoded, brought back to 16 kHz by sox, and recognised.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import PQueue from 'p-queue';
import WebSocket from 'ws';
import echo from '../handlers/echo.js';
import { concatSamples } from '../src/audio/concat-samples.js';
import { OpusStreamDecoder, OpusStreamEncoder, type OpusApplication } from '../src/codecs/opus.js';
import { createGateway } from '../src/gateway.js';
import { transcribePcm } from '../src/speech/pocketsphinx-cli.js';
import { corpusWordErrors } from '../src/speech/word-error-rate.js';
import { concatPcm, fixtureAt, loadSpeechFixtures, silence, type SpeechFixture } from './vad-speech-fixtures.js';

const RESULTS = new URL('../../bench/results/', import.meta.url);
const OPUS_48K = { encoding: 'audio/opus', sampleRate: 48_000, channels: 1 } as const;
const CLIENT = { application: 'voip' as const, complexity: 9 };

interface Setting {
  readonly application: OpusApplication;
  readonly complexity: number;
}

function parseSettings(argv: readonly string[], flag: string, fallback: string): Setting[] {
  const i = argv.indexOf(flag);
  const text = i >= 0 ? argv[i + 1] : fallback;
  if (text === undefined) throw new TypeError(`Expected \`${flag}\` to be followed by application:complexity,…`);
  if (text === 'none') return [];
  return text.split(',').map((item) => {
    const [application, complexity] = item.split(':');
    if (application !== 'audio' && application !== 'voip' && application !== 'lowdelay') throw new TypeError(`Expected an application among audio, voip, lowdelay in \`--settings\`, got \`${item}\``);
    const c = Number(complexity);
    if (!Number.isInteger(c) || c < 0 || c > 10) throw new TypeError(`Expected a complexity 0–10 in \`--settings\`, got \`${item}\``);
    return { application, complexity: c };
  });
}

function packets(samples: Int16Array): Uint8Array[] {
  const encoder = new OpusStreamEncoder(48_000, 1, CLIENT);
  const out: Uint8Array[] = [];
  for (let at = 0; at < samples.length; at += 960) {
    const frame = new Int16Array(960);
    frame.set(samples.subarray(at, at + 960));
    out.push(encoder.encode(frame));
  }
  encoder.close();
  return out;
}

/** The gateway's encoder at `setting` on what the client's packets decode to, then decoded again. */
function offlineChain(clientPackets: readonly Uint8Array[], setting: Setting): Int16Array {
  const decoder = new OpusStreamDecoder(48_000, 1);
  const encoder = new OpusStreamEncoder(48_000, 1, setting);
  const out = decodeAll(clientPackets.map((p) => encoder.encode(decoder.decode(p))));
  decoder.close();
  encoder.close();
  return out;
}

function decodeAll(payloads: readonly Uint8Array[]): Int16Array {
  const decoder = new OpusStreamDecoder(48_000, 1);
  const out = concatSamples(payloads.map((p) => decoder.decode(p)));
  decoder.close();
  return out;
}

/** Streams the packets in real time through one session and returns the echoed packets. */
async function echoThrough(wsUrl: string, id: string, setting: Setting, payloads: readonly Uint8Array[]): Promise<Buffer[]> {
  const socket = new WebSocket(wsUrl, { perMessageDeflate: false });
  const received: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  socket.on('message', (data: Buffer, isBinary: boolean) => {
    if (isBinary) received.push(data);
  });
  socket.send(JSON.stringify({ event: 'start', websocket_id: id, mediaFormat: OPUS_48K, outputFormat: { ...OPUS_48K, opus: setting } }));
  const t0 = performance.now();
  for (let k = 0; k < payloads.length; k++) {
    const wait = t0 + k * 20 - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    socket.send(payloads[k]!);
  }
  // The echo tail: until as many packets came back, or nothing new for 1.5 s (bounded).
  const deadline = performance.now() + 10_000;
  let seen = -1;
  let since = performance.now();
  while (received.length < payloads.length && performance.now() < deadline && performance.now() - since < 1500) {
    await new Promise((r) => setTimeout(r, 50));
    if (received.length !== seen) {
      seen = received.length;
      since = performance.now();
    }
  }
  socket.send('{"event":"stop"}');
  await new Promise<void>((resolve) => {
    socket.once('close', () => resolve());
    setTimeout(() => {
      socket.terminate();
      resolve();
    }, 3000);
  });
  return received;
}

async function werOf(fixtures: readonly SpeechFixture[], audio16k: readonly Int16Array[]): Promise<{ wer: number; errors: number; words: number }> {
  const queue = new PQueue({ concurrency: 4 });
  const hypotheses = await Promise.all(audio16k.map((a) => queue.add(() => transcribePcm(a, 16_000, { timeoutMs: 600_000 }))));
  const w = corpusWordErrors(fixtures.map((f, i) => ({ reference: f.text, hypothesis: hypotheses[i]! })));
  return { wer: Math.round(w.wer * 10_000) / 10_000, errors: w.errors, words: w.referenceWords };
}

/** 48 kHz PCM → 16 kHz by sox (neutral), as fixtureAt does for the way out. */
function to16k(samples: Int16Array, name: string): Int16Array {
  return fixtureAt({ file: name, voice: '', text: '', samples, sampleRate: 48_000 }, 16_000);
}

async function main(): Promise<void> {
  const settings = parseSettings(process.argv.slice(2), '--settings', 'audio:0,audio:2,audio:5,audio:10,voip:0,voip:5');
  const through = parseSettings(process.argv.slice(2), '--through', 'audio:0,voip:5');
  const fixtures = loadSpeechFixtures();
  // 200 ms of silence around each sentence, so the start and the tail are not cut.
  const inputs = fixtures.map((f) => concatPcm(silence(200, 48_000), fixtureAt(f, 48_000), silence(400, 48_000)));
  const sent = inputs.map(packets);
  const rows: Array<Record<string, unknown>> = [];

  if (!process.argv.includes('--no-reference')) {
    const clean = await werOf(fixtures, fixtures.map((f) => f.samples));
    rows.push({ path: 'clean fixtures (16 kHz)', ...clean });
    const clientOnly = await werOf(fixtures, sent.map((p, i) => to16k(decodeAll(p), `client-only-${i}`)));
    rows.push({ path: `client encoder alone (voip, complexity ${CLIENT.complexity}), no gateway`, ...clientOnly });
    process.stderr.write(`clean ${clean.errors}/${clean.words}, client encoder alone ${clientOnly.errors}/${clientOnly.words}\n`);
  }

  for (const setting of settings) {
    const result = await werOf(fixtures, sent.map((p, i) => to16k(offlineChain(p, setting), `offline-${setting.application}-${setting.complexity}-${i}`)));
    rows.push({ path: `codec chain offline, gateway encoder ${setting.application} complexity ${setting.complexity}`, ...setting, ...result });
    process.stderr.write(`offline ${setting.application} ${setting.complexity}: ${result.errors}/${result.words}\n`);
  }

  const gateway = createGateway({ handler: echo, port: 0 });
  const wsUrl = `${(await gateway.listen()).url.replace('http', 'ws')}/websocket/offer`;
  try {
    for (const setting of through) {
      const queue = new PQueue({ concurrency: 8 });
      const echoed = await Promise.all(sent.map((p, i) => queue.add(() => echoThrough(wsUrl, `wer-${setting.application}-${setting.complexity}-${i}`, setting, p))));
      const audio = echoed.map((packetsBack, i) => to16k(decodeAll(packetsBack), `${setting.application}-${setting.complexity}-${i}`));
      const result = await werOf(fixtures, audio);
      const kbit = (echoed.flat().reduce((n, p) => n + p.length, 0) * 8) / (echoed.flat().length * 0.02) / 1000;
      const packetsBack = Math.round((echoed.flat().length / sent.flat().length) * 1000) / 1000;
      rows.push({ path: `through the gateway, encoder ${setting.application} complexity ${setting.complexity}`, ...setting, ...result, kbitPerS: Math.round(kbit * 10) / 10, packetsBack });
      process.stderr.write(`${setting.application} ${setting.complexity}: ${result.errors}/${result.words} (${(result.wer * 100).toFixed(1)} %), ${kbit.toFixed(1)} kbit/s\n`);
    }
  } finally {
    await gateway.close();
  }
  const meta = { date: new Date().toISOString(), command: `node dist/bench/opus-wer.js ${process.argv.slice(2).join(' ')}`.trim(), loadAverage: loadavg(), client: CLIENT };
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(new URL('opus-wer.json', RESULTS), `${JSON.stringify({ meta, rows }, null, 2)}\n`);
  for (const r of rows) process.stdout.write(`| ${String(r.path)} | ${String(r.errors)}/${String(r.words)} | ${((r.wer as number) * 100).toFixed(1)} % |\n`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
