import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTlsMaterial } from '../src/http/tls-material.js';
import { startServe, type CliProcess } from './support/cli-process.js';
import { fastRtcEchoSamples } from './support/fastrtc-echo-check.js';
import { launchChromium } from './support/talk-page-browser.js';
import { microphoneFile, openTalkPage, talkToEcho } from './support/talk-page-session.js';
import { mulawTone, twilio } from './telephone-carrier-sim.js';
import { encodeMulawInto } from '../src/codecs/g711.js';
import { sendPaced, WsTestClient } from './support/ws-test-client.js';

const dir = mkdtempSync(join(tmpdir(), 'wavegate-tls-'));

/** A self-signed certificate for 127.0.0.1 made by openssl (Debian's), as PEM files. */
function makeCertificate(name: string): { certFile: string; keyFile: string; fingerprint: string } {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', `/CN=wavegate-${name}`, '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  return { certFile, keyFile, fingerprint: new X509Certificate(readFileSync(certFile)).fingerprint256 };
}

/** The certificate a new TLS connection to `port` is shown. */
function servedFingerprint(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      resolve(socket.getPeerX509Certificate()!.fingerprint256);
      socket.end();
    });
    socket.once('error', reject);
  });
}

describe('TLS material: errors in plain words', () => {
  it('an unreadable file, a file that is not PEM, a key of another certificate; an expired certificate is a warning', async () => {
    const a = makeCertificate('errors-a');
    const b = makeCertificate('errors-b');
    await expect(loadTlsMaterial({ certFile: join(dir, 'missing.crt'), keyFile: a.keyFile })).rejects.toThrow(/cannot read the TLS certificate .*missing\.crt: no such file/);
    await expect(loadTlsMaterial({ certFile: a.certFile, keyFile: dir })).rejects.toThrow(/cannot read the TLS private key .*: it is a folder/);
    writeFileSync(join(dir, 'junk.crt'), 'not a certificate');
    await expect(loadTlsMaterial({ certFile: join(dir, 'junk.crt'), keyFile: a.keyFile })).rejects.toThrow(/junk\.crt\) is not a PEM certificate/);
    await expect(loadTlsMaterial({ certFile: a.certFile, keyFile: b.keyFile })).rejects.toThrow(/TLS key \(.*errors-b\.key\) does not match the certificate \(.*errors-a\.crt\)/);
    const fine = await loadTlsMaterial({ certFile: a.certFile, keyFile: a.keyFile });
    expect(fine.warnings).toEqual([]);
    const later = await loadTlsMaterial({ certFile: a.certFile, keyFile: a.keyFile }, new Date(fine.validTo.getTime() + 86_400_000));
    expect(later.warnings[0]).toMatch(/errors-a\.crt\) expired on .*clients will refuse it/);
  });

  it('the CLI refuses to start with a missing certificate and says which file', async () => {
    const a = makeCertificate('cli-missing');
    const started = startServe(['--tls-cert', join(dir, 'nope.crt'), '--tls-key', a.keyFile]);
    await expect(started).rejects.toThrow(/cannot read the TLS certificate .*nope\.crt: no such file/);
  });
});

describe('wavegate serve --tls-cert --tls-key: HTTPS and WSS on one port', () => {
  let serve: CliProcess;
  let port = 0;
  let first: ReturnType<typeof makeCertificate>;
  const live = { certFile: join(dir, 'live.crt'), keyFile: join(dir, 'live.key') };
  let browser: Browser | undefined;
  beforeAll(async () => {
    first = makeCertificate('first');
    copyFileSync(first.certFile, live.certFile);
    copyFileSync(first.keyFile, live.keyFile);
    serve = await startServe(['--tls-cert', live.certFile, '--tls-key', live.keyFile]);
    expect(serve.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    port = Number(new URL(serve.url).port);
  });
  afterAll(async () => {
    await browser?.close();
    serve?.child.kill('SIGTERM');
    await serve?.exited;
  });

  it('a wss:// FastRTC client and a Twilio-sequence client get their echo', { timeout: 60_000 }, async () => {
    const ca = readFileSync(first.certFile);
    const wss = serve.url.replace('https', 'wss');
    expect(await fastRtcEchoSamples(`${wss}/websocket/offer`, 'tls-fastrtc', { ca })).toBeGreaterThanOrEqual(12_000);
    const client = await WsTestClient.connect(`${wss}/telephone/handler`, { ca });
    client.send(twilio.connected());
    client.send(twilio.start('MZtls', 'CAtls', {}));
    await sendPaced(mulawTone(40, 440, 8000), (payload, k) => client.send(twilio.media('MZtls', k, payload as Buffer)));
    const deadline = Date.now() + 10_000;
    const echoedFrames = () => client.json().filter((m) => m.event === 'media' && m.streamSid === 'MZtls').length;
    while (echoedFrames() < 35 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(echoedFrames()).toBeGreaterThanOrEqual(35);
    client.close();
    // Without --public-url, a webhook that came in over TLS is told a wss:// stream URL.
    const { request } = await import('node:https');
    const twiml = await new Promise<string>((resolve, reject) => {
      const req = request(`${serve.url}/telephone/incoming`, { method: 'POST', ca, headers: { 'content-type': 'application/x-www-form-urlencoded' } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve(body));
      });
      req.once('error', reject);
      req.end('CallSid=CA1');
    });
    expect(twiml).toContain(`url="wss://127.0.0.1:${port}/telephone/handler"`);
  });

  it('Chromium opens the talk page over https (a secure context) and talks over WebRTC', { timeout: 120_000 }, async () => {
    const mic = microphoneFile(['s02-slt.wav'], 6);
    browser = await launchChromium(['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-audio-capture=${mic}%noloop`, '--ignore-certificate-errors']);
    const page = await openTalkPage(browser, serve.url, 'processing=off');
    expect(await page.evaluate(() => window.isSecureContext && location.protocol)).toBe('https:');
    const run = await talkToEcho(page, mic);
    console.log(`talk page over https: correlation ${run.correlation.toFixed(3)}, heard ${run.receivedMs} of ${run.sentMs} ms`);
    expect(run.correlation).toBeGreaterThan(0.8);
    await page.click('#stop');
    await page.context().close();
  });

  it('SIGHUP with a renewed certificate: new connections see it, a live session carries on', { timeout: 60_000 }, async () => {
    expect(await servedFingerprint(port)).toBe(first.fingerprint);
    const renewed = makeCertificate('renewed');
    // A session that streams across the reload, trusting both certificates.
    const ca = [readFileSync(first.certFile), readFileSync(renewed.certFile)];
    const client = await WsTestClient.connect(`${serve.url.replace('https', 'wss')}/websocket/offer`, { ca });
    client.send({ event: 'start', websocket_id: 'tls-across-sighup' });
    const frame = Buffer.alloc(960);
    const pcm = new Int16Array(960);
    for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 48_000));
    encodeMulawInto(pcm, frame);
    const echoed = () => client.json().filter((m) => m.event === 'media').length;
    let atReload = 0;
    await sendPaced(Array.from({ length: 150 }, () => frame.toString('base64')), (payload, k) => {
      client.send({ event: 'media', media: { payload } });
      if (k === 50) {
        copyFileSync(renewed.certFile, live.certFile);
        copyFileSync(renewed.keyFile, live.keyFile);
        serve.child.kill('SIGHUP');
        atReload = echoed();
      }
    });
    const deadline = Date.now() + 10_000;
    while (!serve.output().includes('TLS certificate reloaded') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(serve.output()).toContain('wavegate: SIGHUP, TLS certificate reloaded');
    expect(await servedFingerprint(port)).toBe(renewed.fingerprint);
    // The live session kept echoing after the reload and was never closed.
    while (echoed() < atReload + 80 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(atReload).toBeGreaterThan(20);
    expect(echoed()).toBeGreaterThanOrEqual(atReload + 80);
    expect(client.closeCode).toBeUndefined();
    client.close();
  });

  it('SIGHUP with a broken certificate keeps the previous one and says why', { timeout: 30_000 }, async () => {
    const before = await servedFingerprint(port);
    writeFileSync(live.certFile, 'half-written file');
    serve.child.kill('SIGHUP');
    const deadline = Date.now() + 10_000;
    while (!serve.output().includes('not reloaded') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(serve.output()).toMatch(/TLS certificate not reloaded, the previous one stays: .*is not a PEM certificate/);
    expect(await servedFingerprint(port)).toBe(before);
  });
});
