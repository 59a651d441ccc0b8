// `wavegate token` and `wavegate serve --auth-secret` as operators run them: real processes, real sockets.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runWavegate, startServe, type CliProcess } from './support/cli-process.js';

const SECRET = 'cli-secret-of-at-least-32-characters';
const started: CliProcess[] = [];
afterAll(async () => {
  for (const p of started) {
    p.child.kill('SIGTERM');
    await p.exited;
  }
});

describe('wavegate token / serve --auth-secret', () => {
  it('a token minted by the CLI opens exactly what its scope and id allow on a gateway started by the CLI', async () => {
    const gateway = await startServe([], { WAVEGATE_AUTH_SECRET: SECRET });
    started.push(gateway);
    const minted = await runWavegate(['token', '--scope', 'input', '--id', 'cli-1', '--ttl', '600', '--secret', SECRET]);
    expect(minted.code, minted.stderr).toBe(0);
    const token = minted.stdout.trim();
    expect(token.split('.')).toHaveLength(3);
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
    expect(claims).toMatchObject({ scope: ['input'], sub: 'cli-1' });
    expect(claims.exp - claims.iat).toBe(600);
    const post = (id: string, bearer?: string) =>
      fetch(`${gateway.url}/input`, { method: 'POST', headers: { 'content-type': 'application/json', ...(bearer && { authorization: `Bearer ${bearer}` }) }, body: JSON.stringify({ webrtc_id: id }) });
    expect((await post('cli-1')).status).toBe(401);
    // Past the access check: no such session.
    expect(((await (await post('cli-1', token)).json()) as any).error.code).toBe('WG_ERR_SESSION_NOT_FOUND');
    expect((await post('cli-2', token)).status).toBe(403);
    // /metrics stays open without --metrics-token-required; /healthz always.
    expect((await fetch(`${gateway.url}/metrics`)).status).toBe(200);
    expect((await fetch(`${gateway.url}/healthz`)).status).toBe(200);
    expect(gateway.output()).not.toContain('without access tokens');
  });

  it('wavegate client --token streams through a gateway with --auth-secret; without one it is refused (401)', { timeout: 120_000 }, async () => {
    const gateway = await startServe([], { WAVEGATE_AUTH_SECRET: SECRET });
    started.push(gateway);
    const dir = mkdtempSync(join(tmpdir(), 'auth-cli-'));
    try {
      const ws = `${gateway.url.replace('http', 'ws')}/websocket/offer`;
      const token = (await runWavegate(['token', '--scope', 'talk', '--id', 'cli-client', '--secret', SECRET])).stdout.trim();
      const out = join(dir, 'reply.wav');
      const ok = await runWavegate(['client', '--in', 'test/fixtures/speech/s01-slt.wav', '--out', out, '--url', ws, '--id', 'cli-client', '--token', token, '--quiet', '1500', '--drain-timeout', '30000']);
      expect(ok.code, ok.stderr).toBe(0);
      expect(existsSync(out)).toBe(true);
      const refused = await runWavegate(['client', '--in', 'test/fixtures/speech/s01-slt.wav', '--out', join(dir, 'no.wav'), '--url', ws]);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain('401');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a short secret, an unknown scope, and warns when listening beyond loopback without a secret', async () => {
    const short = await runWavegate(['token', '--scope', 'talk', '--secret', 'short']);
    expect(short.code).toBe(1);
    expect(short.stderr).toContain('at least 32 characters');
    const scope = await runWavegate(['token', '--scope', 'root', '--secret', SECRET]);
    expect(scope.code).toBe(1);
    expect(scope.stderr).toContain('unknown scope');
    const open = await startServe(['--host', '0.0.0.0']);
    started.push(open);
    expect(open.output()).toMatch(/warning: listening on 0\.0\.0\.0 without access tokens/);
  });
});
