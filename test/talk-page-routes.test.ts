import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import echo from '../handlers/echo.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { findTalkPageDir, TALK_PAGE_FILES } from '../src/talk-page/talk-page-routes.js';

const DIR = findTalkPageDir();

describe('talk page routes', () => {
  let gateway: Gateway;
  let url = '';
  beforeAll(async () => {
    gateway = createGateway({ handler: echo, port: 0, concurrencyLimit: 3, timeLimitS: 600 });
    url = (await gateway.listen()).url;
  });
  afterAll(() => gateway?.close());

  it('serves the page at / with a strict CSP, and every file it loads under /talk/', async () => {
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    const html = await page.text();
    expect(html).toContain('<script type="module" src="talk/talk-page.js">');
    for (const file of Object.keys(TALK_PAGE_FILES).filter((f) => f !== 'index.html')) {
      const res = await fetch(`${url}/talk/${file}`);
      expect(res.status, file).toBe(200);
      expect(res.headers.get('content-type'), file).toBe(TALK_PAGE_FILES[file]);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(await res.text()).toBe(readFileSync(`${DIR}/${file}`, 'utf8'));
    }
    const head = await fetch(`${url}/`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    expect((await fetch(`${url}/`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${url}/talk/../package.json`)).status).toBe(404);
    expect((await fetch(`${url}/talk/nope.js`)).status).toBe(404);
  });

  it('lists every file of clients/talk-page/, so none is missing from the served set', () => {
    expect(readdirSync(DIR).sort()).toEqual(Object.keys(TALK_PAGE_FILES).sort());
  });

  it('uses only relative URLs (works under a path prefix), no inline script or style, no third-party hosts', () => {
    for (const file of Object.keys(TALK_PAGE_FILES)) {
      const text = readFileSync(`${DIR}/${file}`, 'utf8');
      expect(text, file).not.toMatch(/new URL\('\/|fetch\('\/|href="\/|src="\//);
      expect(text, file).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)[a-z]/);
      expect(text, file).not.toMatch(/stun:|turn:/);
      if (file === 'index.html') {
        expect(text).not.toMatch(/<script(?![^>]*src=)/);
        expect(text).not.toMatch(/ style=|<style/);
      }
    }
  });

  it('hands the page its handler, limits and ICE servers in /talk/config.json', async () => {
    const res = await fetch(`${url}/talk/config.json`);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({
      handler: { name: 'echo' },
      concurrencyLimit: 3,
      timeLimitS: 600,
      recordings: { enabled: false, signed: false, list: null },
      iceServers: [],
    });
  });

  it('links the recordings listing only when recording is on and the listing needs no signature', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const open = createGateway({ handler: echo, port: 0, recordDir: mkdtempSync(`${tmpdir()}/wg-talk-rec-`) });
    const signed = createGateway({ handler: echo, port: 0, recordDir: mkdtempSync(`${tmpdir()}/wg-talk-rec-`), recordingsSecret: 'a-secret-of-enough-length' });
    try {
      const a = await (await fetch(`${(await open.listen()).url}/talk/config.json`)).json();
      expect(a.recordings).toEqual({ enabled: true, signed: false, list: 'recordings' });
      const b = await (await fetch(`${(await signed.listen()).url}/talk/config.json`)).json();
      expect(b.recordings).toEqual({ enabled: true, signed: true, list: null });
    } finally {
      await open.close();
      await signed.close();
    }
  });
});
