import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeMulawInto } from '../src/codecs/g711.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { defineHandler, type HandlerContext } from '../src/handler/handler.js';
import { fastRtcEchoSamples } from './support/fastrtc-echo-check.js';
import { soxLoad } from './support/sox.js';
import { envelopeCorrelation, rmsEnvelope } from './support/webrtc-envelope.js';
import { NodePeer, waitFor } from './support/webrtc-node-peer.js';
import { sendPaced, WsTestClient } from './support/ws-test-client.js';

// The proxy configurations are read from docs/deploy.md itself: the documented blocks are the tested ones.
const DEPLOY_MD = readFileSync(new URL('../docs/deploy.md', import.meta.url), 'utf8');
const block = (lang: string): string => {
  const found = DEPLOY_MD.match(new RegExp('```' + lang + '\\n([\\s\\S]*?)```'));
  if (!found) throw new Error(`docs/deploy.md has no \`\`\`${lang} block`);
  return found[1]!;
};
const FIXTURE = new URL('./fixtures/speech/s01-slt.wav', import.meta.url).pathname;

/** Echo, plus every `POST /input` sent back as an additional output (seen on `GET /outputs`). */
const echoWithOutputs = defineHandler({
  name: 'echo-with-outputs',
  create() {
    let ctx: HandlerContext | undefined;
    return {
      startUp: (c) => void (ctx = c),
      receive: (frame) => ctx?.send({ type: 'audio', frame }),
      onEvent: (event) => {
        if (event.type === 'input') ctx?.send({ type: 'additional_outputs', data: event.args });
      },
    };
  },
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitListening(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`proxy exited (${child.exitCode}):\n${log()}`);
    const up = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => (socket.end(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (up) return;
    if (Date.now() > deadline) throw new Error(`proxy not listening on ${port}:\n${log()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Proxy {
  child: ChildProcess;
  log: () => string;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Proxy {
  if (!existsSync(command)) throw new Error(`${command} is missing: apt-get install ${command.split('/').pop()}`);
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  return { child, log: () => out };
}

const PROXIES: Record<string, (dir: string, proxyPort: number, gatewayPort: number) => Proxy> = {
  /** Debian's nginx with the documented conf.d file included at http level. */
  nginx: (dir, proxyPort, gatewayPort) => {
    const site = block('nginx').replace('listen 8080;', `listen 127.0.0.1:${proxyPort};`).replace('server 127.0.0.1:8000;', `server 127.0.0.1:${gatewayPort};`);
    writeFileSync(join(dir, 'wavegate.conf'), site);
    for (const t of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, t), { recursive: true });
    const temp = ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `${t === 'body' ? 'client_body' : t}_temp_path ${join(dir, t)};`).join('\n  ');
    writeFileSync(
      join(dir, 'nginx.conf'),
      `${process.getuid?.() === 0 ? 'user root;\n' : ''}daemon off;\nworker_processes 1;\npid ${join(dir, 'nginx.pid')};\nerror_log ${join(dir, 'error.log')} warn;\n` +
        `events { worker_connections 256; }\nhttp {\n  access_log off;\n  ${temp}\n  include ${join(dir, 'wavegate.conf')};\n}\n`,
    );
    return run('/usr/sbin/nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')]);
  },
  /** Debian's Caddy with the documented Caddyfile (plus `admin off`, so parallel runs share no admin port). */
  caddy: (dir, proxyPort, gatewayPort) => {
    const site = block('caddy').replace(':8080 {', `:${proxyPort} {`).replace('127.0.0.1:8000', `127.0.0.1:${gatewayPort}`);
    writeFileSync(join(dir, 'Caddyfile'), `{\n\tadmin off\n}\n\n${site}`);
    return run('/usr/bin/caddy', ['run', '--config', join(dir, 'Caddyfile'), '--adapter', 'caddyfile'], { HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir });
  },
};

describe.each(Object.keys(PROXIES))('wavegate behind %s, configured as docs/deploy.md says', (name) => {
  let gateway: Gateway;
  let proxy: Proxy;
  let base = '';
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), `wavegate-${name}-`));
    gateway = createGateway({ handler: echoWithOutputs, port: 0, recordDir: join(dir, 'recordings') });
    const gatewayPort = Number(new URL((await gateway.listen()).url).port);
    const proxyPort = await freePort();
    proxy = PROXIES[name]!(dir, proxyPort, gatewayPort);
    await waitListening(proxyPort, proxy.child, proxy.log);
    base = `http://127.0.0.1:${proxyPort}`;
  });
  afterAll(async () => {
    proxy?.child.kill('SIGTERM');
    await gateway?.close();
  });

  it('FastRTC WebSocket sessions pass through, several at once', { timeout: 30_000 }, async () => {
    const ws = `${base.replace('http', 'ws')}/websocket/offer`;
    const echoed = await Promise.all([1, 2, 3].map((k) => fastRtcEchoSamples(ws, `${name}-ws-${k}`)));
    for (const n of echoed) expect(n).toBeGreaterThanOrEqual(12_000);
  });

  it('POST /webrtc/offer through the proxy: a peer connects (media straight to the gateway) and hears its echo', { timeout: 60_000 }, async () => {
    const speech = soxLoad(FIXTURE, 48_000);
    const peer = await NodePeer.open(base, { webrtcId: `${name}-webrtc`, trickle: true });
    await peer.sendPcm(speech);
    await waitFor(() => peer.receivedPcm().length >= speech.length - 960 * 3, 15_000, 'echo played out');
    const { correlation } = envelopeCorrelation(rmsEnvelope(speech, 48_000), rmsEnvelope(peer.receivedPcm(), 48_000), 50);
    expect(correlation).toBeGreaterThanOrEqual(0.95);
    expect(await peer.candidatesAnswered()).toSatisfy((answers: unknown[]) => answers.every((a) => JSON.stringify(a) === '{"status":"success"}'));
    await peer.close();
  });

  it("a live recording's range requests while it grows, then the finished file's", { timeout: 30_000 }, async () => {
    const id = `${name}-live`;
    const client = await WsTestClient.connect(`${base.replace('http', 'ws')}/websocket/offer`);
    client.send({ event: 'start', websocket_id: id });
    const frame = new Uint8Array(960);
    const pcm = new Int16Array(960).map((_, i) => Math.round(6000 * Math.sin((2 * Math.PI * 300 * i) / 48_000)));
    encodeMulawInto(pcm, frame);
    const payload = Buffer.from(frame).toString('base64');
    let liveCheck: Promise<{ head: Response; open: Response; firstChunkWhileLive: number; stillLive: boolean }> | undefined;
    let streaming = true;
    await sendPaced(Array.from({ length: 150 }, () => payload), (p, k) => {
      client.send({ event: 'media', media: { payload: p } });
      if (k === 50) {
        liveCheck = (async () => {
          const url = `${base}/recordings/${id}.wav`;
          const head = await fetch(url, { headers: { range: 'bytes=0-43' } });
          const open = await fetch(url, { headers: { range: 'bytes=44-' } });
          const reader = open.body!.getReader();
          const first = await reader.read();
          const stillLive = streaming;
          void reader.cancel();
          return { head, open, firstChunkWhileLive: first.value?.length ?? 0, stillLive };
        })();
      }
    });
    streaming = false;
    const live = await liveCheck!;
    client.send({ event: 'stop' });
    await client.waitClose();
    expect(live.stillLive).toBe(true);
    expect(live.head.status).toBe(206);
    expect(live.head.headers.get('content-range')).toBe('bytes 0-43/*');
    expect((await live.head.arrayBuffer()).byteLength).toBe(44);
    // An open range on a live file: 200, no length, audio as it is written (through the proxy, unbuffered).
    expect(live.open.status).toBe(200);
    expect(live.open.headers.get('x-recording-state')).toBe('live');
    expect(live.firstChunkWhileLive).toBeGreaterThan(0);
    await waitFor(() => !gateway.sessions.registry.get(id), 10_000, 'session closed');
    await new Promise((r) => setTimeout(r, 300));
    const whole = await fetch(`${base}/recordings/${id}.wav`, { method: 'HEAD' });
    const length = Number(whole.headers.get('content-length'));
    expect(length).toBeGreaterThan(44 + 2 * 16_000 * 2);
    const tail = await fetch(`${base}/recordings/${id}.wav`, { headers: { range: 'bytes=-100' } });
    expect(tail.status).toBe(206);
    expect(tail.headers.get('content-range')).toBe(`bytes ${length - 100}-${length - 1}/${length}`);
    expect((await tail.arrayBuffer()).byteLength).toBe(100);
  });

  it("TwiML names the proxy's host and scheme (X-Forwarded-*); GET /outputs streams through as POST /input arrives", { timeout: 30_000 }, async () => {
    const twiml = await (await fetch(`${base}/telephone/incoming`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'CallSid=CA1' })).text();
    expect(twiml).toContain(`url="ws://${base.slice('http://'.length)}/telephone/handler"`);
    const id = `${name}-outputs`;
    const client = await WsTestClient.connect(`${base.replace('http', 'ws')}/websocket/offer`);
    client.send({ event: 'start', websocket_id: id });
    await waitFor(() => gateway.sessions.registry.get(id) !== undefined, 5000, 'session open');
    const sse = await fetch(`${base}/outputs?webrtc_id=${id}`);
    expect(sse.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = sse.body!.getReader();
    const posted = await fetch(`${base}/input`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ webrtc_id: id, said: 'through the proxy' }) });
    expect(posted.status).toBe(200);
    let text = '';
    const deadline = Date.now() + 10_000;
    while (!text.includes('through the proxy') && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString();
    }
    expect(text).toMatch(/event: output\ndata: .*through the proxy/);
    void reader.cancel();
    client.close();
  });
});
