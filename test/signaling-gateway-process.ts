// Test helper (not a test): the real CLI (`node bin/wavegate.js serve`) in its own process.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The spawned gateway runs dist/: refuse to test a build older than the signaling sources. */
function checkBuild(): void {
  const built = `${root}dist/src/signaling/call-consumer.js`;
  if (!existsSync(built)) throw new Error('dist/ is missing: run `npx tsc -p tsconfig.json` first (npm test does)');
  for (const file of ['call-consumer', 'call-state', 'signaling-component', 'signaling-messages']) {
    if (statSync(`${root}src/signaling/${file}.ts`).mtimeMs > statSync(`${root}dist/src/signaling/${file}.js`).mtimeMs) {
      throw new Error(`dist/ is older than src/signaling/${file}.ts: run \`npx tsc -p tsconfig.json\` first`);
    }
  }
}

export class GatewayProcess {
  output = '';
  private constructor(
    readonly child: ChildProcess,
    readonly url: string,
  ) {}

  static async start(args: readonly string[]): Promise<GatewayProcess> {
    checkBuild();
    const child = spawn(process.execPath, [`${root}bin/wavegate.js`, 'serve', '--port', '0', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`gateway did not start: ${output}`)), 20_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const m = output.match(/wavegate listening on (http:\/\/[^\s]+)/);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`gateway exited with ${code}: ${output}`));
      });
    });
    const gateway = new GatewayProcess(child, url);
    gateway.output = output;
    for (const stream of [child.stdout!, child.stderr!]) stream.on('data', (c: Buffer) => void (gateway.output.length < 100_000 && (gateway.output += c.toString())));
    return gateway;
  }

  async stats(): Promise<{ connections: number; online: number; layer: Record<string, unknown> }> {
    const res = await fetch(`${this.url}/call/stats.json`);
    return (await res.json()) as { connections: number; online: number; layer: Record<string, unknown> };
  }

  /** SIGTERM (graceful) or SIGKILL (a crash: nothing is cleaned up). */
  async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.kill(signal);
    });
  }
}
