import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { MediaFormat } from '../src/codecs/media-format.js';
import { writeWav } from '../src/wav/wav-file.js';
import type { Summary } from './percentiles.js';
import { streamAudio, type StreamProgress, type StreamResult } from './stream-audio.js';
import { loadAudio } from './wavegate-client.js';
import { CLIENT_ENCODINGS, type ClientEncoding } from './wavegate-connection.js';

const HELP = `usage: wavegate client --in speech.wav --out reply.wav [options]

Streams a WAV file to a gateway in real time (20 ms frames on a drift-free clock), plays the reply
out through a jitter buffer into --out, and prints round-trip latency percentiles.

  --in PATH             WAV file to send (any rate/channels: mixed to mono, resampled)
  --out PATH            where to write the reply WAV (mono PCM16 at the reply rate)
  --transport NAME      websocket (FastRTC's /websocket/offer) or webrtc (FastRTC's POST
                        /webrtc/offer: a werift peer, Opus RTP at 48 kHz both ways, server events
                        on the "text" data channel) (default websocket)
  --url URL             gateway endpoint (default ws://127.0.0.1:8000/websocket/offer, with
                        --transport webrtc http://127.0.0.1:8000/webrtc/offer)
  --encoding NAME       mulaw (base64 JSON, as FastRTC clients send), l16 or opus (binary frames)
                        (default mulaw; with --transport webrtc always opus)
  --rate N              send rate in Hz (default: mulaw 48000 as FastRTC, l16 16000, opus 48000)
  --out-rate N          reply rate in Hz (default: mulaw 24000 as FastRTC, else the send rate)
  --id ID               session id (websocket_id; default a random one)
  --token T             access token for a gateway run with --auth-secret (docs/security.md), sent as
                        ?token=; default WAVEGATE_TOKEN from the environment
  --json                send l16/opus as base64 JSON too (with sequence numbers), not binary
  --no-trickle          webrtc: put every ICE candidate in the offer and post none (FastRTC's
                        Next.js demo); by default candidates are posted as FastRTC's client does
  --ice-server URL      webrtc: a STUN/TURN server (stun:HOST:PORT, turn:USER:PASS@HOST:PORT);
                        repeatable; none by default
  --mark-every MS       send a mark this often to time the mark round trip (default 500, 0 = off;
                        WebRTC has no marks)
  --quiet MS            after the last frame and the echo of a final mark, finish once the reply
                        was silent this long (default 500)
  --drain-timeout MS    after the last frame, finish at the latest after this long (default 5000)
  --connect-timeout MS  give up connecting after this long (WebRTC: offer, answer and ICE/DTLS
                        connected) (default 10000)
  --progress            show the progress line even when stderr is not a terminal
  --no-progress         never show it
  --summary-json        print the summary as one JSON object instead of text
  -h, --help            this text

With --encoding mulaw and no --rate/--out-rate the start message is exactly FastRTC's; otherwise it
carries wavegate's mediaFormat/outputFormat.

Round trip (echo, aligned on content): the reply's 10 ms energy envelope is matched to the sent one
(dynamic time warping, so audio the server concealed or stretched does not skew it) and every matched
speech block gives received time − sent time. Meaningful for handlers that echo their input (echo,
DSP); for others it says "not measurable". Marks time the output side only: the server echoes a
mark once the output queued before it has been sent. Exit code 0 when the stream completed, 2 when the
server refused the session (concurrency limit), 1 on any other error.
`;

function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} expects a whole number ≥ 0, got ${JSON.stringify(value)}`);
  return n;
}

const isEncodingName = (v: string): v is ClientEncoding => Object.hasOwn(CLIENT_ENCODINGS, v);

const ms = (v: number) => (Number.isFinite(v) ? `${v.toFixed(1)} ms` : 'n/a');
const rttLine = (label: string, s: Summary) =>
  s.count === 0 ? `${label}: no samples` : `${label}: p50 ${ms(s.p50)}  p95 ${ms(s.p95)}  p99 ${ms(s.p99)}  (min ${ms(s.min)}, max ${ms(s.max)}, n=${s.count})`;

export async function runClient(argv: readonly string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        in: { type: 'string' },
        out: { type: 'string' },
        transport: { type: 'string', default: 'websocket' },
        url: { type: 'string' },
        token: { type: 'string' },
        encoding: { type: 'string' },
        'no-trickle': { type: 'boolean', default: false },
        'ice-server': { type: 'string', multiple: true, default: [] },
        rate: { type: 'string' },
        'out-rate': { type: 'string' },
        id: { type: 'string' },
        json: { type: 'boolean', default: false },
        'mark-every': { type: 'string', default: '500' },
        quiet: { type: 'string', default: '500' },
        'drain-timeout': { type: 'string', default: '5000' },
        'connect-timeout': { type: 'string', default: '10000' },
        progress: { type: 'boolean' },
        'no-progress': { type: 'boolean' },
        'summary-json': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(`wavegate client: ${(err as Error).message}\n${HELP}`);
    return 1;
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  try {
    if (!values.in || !values.out) throw new Error('--in and --out are required');
    const transport = values.transport;
    if (transport !== 'websocket' && transport !== 'webrtc') throw new Error(`--transport must be websocket or webrtc, got ${JSON.stringify(transport)}`);
    const encodingName = values.encoding ?? (transport === 'webrtc' ? 'opus' : 'mulaw');
    if (!isEncodingName(encodingName)) throw new Error(`--encoding must be mulaw, l16 or opus, got ${JSON.stringify(encodingName)}`);
    if (transport === 'webrtc' && encodingName !== 'opus') throw new Error(`--transport webrtc sends Opus, got --encoding ${encodingName}`);
    const encoding = encodingName;
    const endpoint = values.url ?? (transport === 'webrtc' ? 'http://127.0.0.1:8000/webrtc/offer' : 'ws://127.0.0.1:8000/websocket/offer');
    const token = values.token ?? (process.env.WAVEGATE_TOKEN || undefined);
    const url = token === undefined ? endpoint : withToken(endpoint, token);
    const iceServers = values['ice-server'].map(parseIceServer);
    const rate = positiveInt('rate', values.rate);
    const outRate = positiveInt('out-rate', values['out-rate']);
    const fastrtcPlain = encoding === 'mulaw' && rate === undefined && outRate === undefined;
    const sendRate = rate ?? (encoding === 'l16' ? 16_000 : 48_000);
    const input: MediaFormat = { encoding: CLIENT_ENCODINGS[encoding], sampleRate: sendRate, channels: 1 };
    const output: MediaFormat = { encoding: CLIENT_ENCODINGS[encoding], sampleRate: outRate ?? (encoding === 'mulaw' ? 24_000 : sendRate), channels: 1 };

    const pcm = await loadAudio(values.in, sendRate);

    const showProgress = values['no-progress'] ? false : (values.progress ?? process.stderr.isTTY === true);
    const result = await streamAudio(pcm, {
      transport,
      url,
      trickle: !values['no-trickle'],
      iceServers,
      id: values.id ?? `wavegate-client-${randomUUID().slice(0, 8)}`,
      input,
      output,
      negotiate: !fastrtcPlain,
      binary: encoding !== 'mulaw' && !values.json,
      markEveryMs: positiveInt('mark-every', values['mark-every'])!,
      quietMs: positiveInt('quiet', values.quiet)!,
      drainTimeoutMs: positiveInt('drain-timeout', values['drain-timeout'])!,
      openTimeoutMs: positiveInt('connect-timeout', values['connect-timeout'])!,
      onProgress: showProgress ? progressLine : undefined,
    });
    if (showProgress) process.stderr.write('\n');

    await writeWav(values.out, { samples: result.reply, sampleRate: output.sampleRate, channels: 1 });
    printSummary(result, values.out, output.sampleRate, values['summary-json'], transport);
    if (result.refused) return 2;
    const abnormal = result.closeCode !== undefined && result.closeCode !== 1000 && result.closeCode !== 1005;
    return result.errors.length > 0 || abnormal ? 1 : 0;
  } catch (err) {
    process.stderr.write(`wavegate client: ${(err as Error).message}\n`);
    return 1;
  }
}

/** `stun:host:port` or `turn:user:pass@host:port[?transport=tcp]` → an RTCIceServer. */
function withToken(endpoint: string, token: string): string {
  const url = new URL(endpoint);
  url.searchParams.set('token', token);
  return url.toString();
}

export function parseIceServer(value: string): { urls: string; username?: string; credential?: string } {
  const m = /^(stuns?|turns?):(?:([^:@]*):([^@]*)@)?(.+)$/.exec(value);
  if (!m) throw new Error(`--ice-server expects stun:HOST:PORT or turn:USER:PASS@HOST:PORT, got ${JSON.stringify(value)}`);
  const [, scheme, username, credential, rest] = m;
  const urls = `${scheme!}:${rest!}`;
  return username === undefined ? { urls } : { urls, username: decodeURIComponent(username), credential: decodeURIComponent(credential!) };
}

function progressLine(p: StreamProgress): void {
  const line =
    `sent ${(p.sentMs / 1000).toFixed(1)}/${(p.totalMs / 1000).toFixed(1)} s  ` +
    `reply ${(p.receivedMs / 1000).toFixed(1)} s  buffer ${p.bufferedMs.toFixed(0)}/${p.targetDelayMs.toFixed(0)} ms  ` +
    `rtt ${p.lastRttMs === undefined ? '-' : p.lastRttMs.toFixed(0)} ms`;
  process.stderr.write(`\r${line}\u001b[K`);
}

function printSummary(r: StreamResult, outPath: string, outRate: number, asJson: boolean, transport: 'websocket' | 'webrtc'): void {
  const replyMs = (r.reply.length * 1000) / outRate;
  if (asJson) {
    const { reply: _reply, ...rest } = r;
    process.stdout.write(`${JSON.stringify({ ...rest, out: outPath, replyMs, replySamples: r.reply.length, replyRate: outRate })}\n`);
    return;
  }
  const p = r.playout;
  const lines = [
    `sent ${(r.sentMs / 1000).toFixed(2)} s · received ${(r.receivedMs / 1000).toFixed(2)} s · wrote ${outPath} (${(replyMs / 1000).toFixed(2)} s at ${outRate} Hz) · ended: ${r.ending}`,
    r.echoMatch >= 0.8
      ? rttLine('round trip (echo, aligned on content)', r.echoRtt)
      : `round trip (echo): not measurable, the reply does not follow the input (envelope match ${r.echoMatch.toFixed(2)})`,
    transport === 'webrtc' ? 'round trip (marks): FastRTC has no marks over WebRTC' : rttLine('round trip (marks, output side)', r.markRtt),
    `playout: target ${p.targetDelayMs} ms, mean delay ${ms(p.jitterBufferEmittedCount ? (p.jitterBufferDelay / p.jitterBufferEmittedCount) * 1000 : Number.NaN)}, ` +
      `concealed ${p.concealedSamples} samples (${p.concealmentEvents} events), +${p.insertedSamplesForDeceleration}/-${p.removedSamplesForAcceleration} samples stretched, ` +
      `late ${p.packetsLate}, overflow ${p.packetsOverflow}, flushed ${p.packetsFlushed}`,
  ];
  if (r.clears > 0) lines.push(`the server cleared playback ${r.clears} time(s) (barge-in): queued reply audio dropped`);
  if (r.gapMs > 0) lines.push(`the reply stalled: ${r.gapMs} ms of silence written where nothing was left to conceal`);
  if (r.lateTicks > 0) lines.push(`sender woke more than a frame late ${r.lateTicks} times`);
  if (r.refused) lines.push(`refused by the server: ${r.refused.reason}${r.refused.limit === undefined ? '' : ` (limit ${r.refused.limit})`}`);
  for (const e of r.errors) lines.push(`server error: ${e}`);
  for (const w of r.warnings) lines.push(`server warning: ${w}`);
  if (r.closeCode !== undefined && r.closeCode !== 1000 && r.closeCode !== 1005) lines.push(`connection closed with ${r.closeCode} ${r.closeReason}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}
