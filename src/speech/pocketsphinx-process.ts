import { spawn, type ChildProcess } from 'node:child_process';

/**
 * One `pocketsphinx_continuous` process decoding one utterance from its stdin. It is started ahead
 * of need (the acoustic model and language model take ~0.5 s of CPU to load), fed PCM16 as the user
 * talks (it decodes as the audio arrives), and its stdin is closed at the end of the turn; it then
 * prints the last hypothesis and exits.
 *
 * pocketsphinx opens `-infile` by name, and Node's stdio pipes are socket pairs that `/dev/stdin`
 * cannot be opened on, so a `cat` in front gives it a real pipe. The group is detached so the whole
 * process group can be ended by its id; if wavegate dies, stdin reaches EOF and both exit by themselves.
 */
export class PocketsphinxProcess {
  readonly child: ChildProcess;
  /** One line per segment pocketsphinx's own VAD closed. */
  readonly lines: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  onLine: ((line: string) => void) | undefined;
  private stdout = '';
  private stderrTail = '';
  private ended = false;
  writeError: Error | undefined;

  constructor(executable: string, args: readonly string[]) {
    this.child = spawn('sh', ['-c', 'cat | exec "$0" -infile /dev/stdin "$@"', executable, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    this.child.stdout!.setEncoding('utf8');
    this.child.stdout!.on('data', (chunk: string) => {
      this.stdout += chunk;
      let newline: number;
      while ((newline = this.stdout.indexOf('\n')) >= 0) {
        const line = this.stdout.slice(0, newline).trim();
        this.stdout = this.stdout.slice(newline + 1);
        if (line) {
          this.lines.push(line);
          this.onLine?.(line);
        }
      }
    });
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-4096);
    });
    this.child.stdin!.on('error', (err) => {
      this.writeError ??= err;
    });
    this.exited = new Promise((resolve) => {
      this.child.once('close', (code, signal) => resolve({ code, signal }));
      this.child.once('error', (err) => {
        this.writeError ??= err;
        resolve({ code: -1, signal: null });
      });
    });
  }

  write(samples: Int16Array): void {
    if (this.ended || samples.length === 0) return;
    this.child.stdin!.write(new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength));
  }

  /** Closes stdin and waits (bounded) for the final hypothesis. */
  async finish(timeoutMs: number): Promise<string> {
    this.end();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const result = await Promise.race([this.exited, timeout]).finally(() => clearTimeout(timer));
    if (result === 'timeout') {
      this.kill();
      throw new Error(`pocketsphinx did not finish within ${timeoutMs} ms`);
    }
    const rest = this.stdout.trim();
    if (rest) this.lines.push(rest);
    if (result.code !== 0) {
      const why = this.writeError?.message ?? this.stderrTail.split('\n').filter((l) => /FATAL|ERROR/.test(l)).slice(-2).join(' | ');
      throw new Error(`pocketsphinx exited with ${result.code ?? result.signal}${why ? `: ${why}` : ''}`);
    }
    return this.lines.join(' ');
  }

  /** No more audio (the process finishes what it has and exits). */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.child.stdin!.end();
  }

  /** Ends the process group now (only processes this object started). */
  kill(): void {
    this.end();
    if (this.child.exitCode !== null || this.child.signalCode !== null || this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
