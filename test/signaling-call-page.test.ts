import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import echo from '../handlers/echo.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { GatewayProcess } from './signaling-gateway-process.js';

describe('call page routes', () => {
  let gateway: Gateway;
  let url = '';
  beforeAll(async () => {
    gateway = createGateway({ handler: echo, port: 0 });
    url = (await gateway.listen()).url;
  });
  afterAll(async () => {
    await gateway?.close();
  });

  it('serves the page, its script and style; /call redirects to /call/', async () => {
    const page = await fetch(`${url}/call/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    const html = await page.text();
    expect(html).toContain('<script type="module" src="call-page.js">');
    const js = await fetch(`${url}/call/call-page.js`);
    expect(js.headers.get('content-type')).toMatch(/text\/javascript/);
    // Relative to the page (so it works under a mount prefix, docs/embedding.md), with its ?token= (docs/security.md).
    const script = await js.text();
    expect(script).toContain("withToken('../ws/call/')");
    expect(script).toContain('new URL(path, location.href)');
    expect((await fetch(`${url}/call/call-page.css`)).status).toBe(200);
    const redirect = await fetch(`${url}/call`, { redirect: 'manual' });
    expect(redirect.status).toBe(308);
    expect(redirect.headers.get('location')).toBe('/call/');
    const head = await fetch(`${url}/call/`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    expect((await fetch(`${url}/call/`, { method: 'POST' })).status).toBe(405);
  });

  it('hands out no ICE servers unless configured (nothing third-party built in)', async () => {
    const res = await fetch(`${url}/call/config.json`);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({ iceServers: [] });
    const js = await (await fetch(`${url}/call/call-page.js`)).text();
    expect(js).not.toMatch(/stun:|turn:/);
  });
});

describe('CLI flags --ice-server, --turn-secret', () => {
  it('serves the configured ICE servers, TURN ones with fresh shared-secret credentials', async () => {
    const gw = await GatewayProcess.start([
      '--ice-server', 'stun:stun.example.org:3478',
      '--ice-server', 'turn:turn.example.org:3478?transport=udp',
      '--ice-server', '{"urls":["turns:t2.example.org:5349"],"username":"u","credential":"p"}',
      '--turn-secret', 's3cret',
      '--turn-ttl', '600',
    ]);
    try {
      const before = Math.floor(Date.now() / 1000);
      const { iceServers } = (await (await fetch(`${gw.url}/call/config.json`)).json()) as { iceServers: Array<Record<string, unknown>> };
      expect(iceServers).toHaveLength(3);
      expect(iceServers[0]).toEqual({ urls: ['stun:stun.example.org:3478'] });
      expect(iceServers[1]).toMatchObject({ urls: ['turn:turn.example.org:3478?transport=udp'], username: expect.stringMatching(/^\d+:wavegate$/), credential: expect.any(String) });
      const expiry = Number(String(iceServers[1]!['username']).split(':')[0]);
      expect(expiry - before).toBeGreaterThanOrEqual(599);
      expect(expiry - before).toBeLessThanOrEqual(602);
      expect(iceServers[2]).toEqual({ urls: ['turns:t2.example.org:5349'], username: 'u', credential: 'p' });
    } finally {
      await gw.stop();
    }
  });

  it('refuses a bad ICE server or a TURN server without credentials, naming the value', async () => {
    await expect(GatewayProcess.start(['--ice-server', 'http://nope.example.org'])).rejects.toThrow(/exited with 1[\s\S]*http:\/\/nope\.example\.org/);
    await expect(GatewayProcess.start(['--ice-server', 'turn:t.example.org'])).rejects.toThrow(/--turn-secret/);
    await expect(GatewayProcess.start(['--redis', 'http://localhost'])).rejects.toThrow(/redisUrl/);
  });
});
