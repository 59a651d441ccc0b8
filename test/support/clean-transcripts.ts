import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { transcribeFile } from '../../src/speech/pocketsphinx-cli.js';

const DIR = new URL('../fixtures/speech/', import.meta.url).pathname;
const LOCK_STALE_MS = 15 * 60_000;

/**
 * pocketsphinx's transcript of every clean speech fixture, by file name: the baseline several speech
 * tests compare against. It is deterministic for one recognizer and one set of fixtures, so the first
 * test file that asks decodes the 24 files (two at a time) and the others, in other vitest workers,
 * wait for its result instead of decoding them again on a 2-core machine. The result is cached in the
 * temporary folder under a key made of the fixtures' bytes and the recognizer binary.
 */
export async function cleanTranscripts(): Promise<ReadonlyMap<string, string>> {
  const files = (JSON.parse(readFileSync(join(DIR, 'transcripts.json'), 'utf8')) as Array<{ file: string }>).map((t) => t.file);
  const cache = join(tmpdir(), `wavegate-clean-transcripts-${cacheKey(files)}.json`);
  const lock = `${cache}.lock`;
  for (;;) {
    const cached = await readCache(cache);
    if (cached) return cached;
    if (await takeLock(lock)) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  try {
    const results = new Map<string, string>();
    for (let i = 0; i < files.length; i += 2) {
      const pair = files.slice(i, i + 2);
      const said = await Promise.all(pair.map((file) => transcribeFile(join(DIR, file), { timeoutMs: 600_000 })));
      pair.forEach((file, k) => results.set(file, said[k]!));
    }
    await writeFile(`${cache}.tmp`, JSON.stringify(Object.fromEntries(results)));
    await rename(`${cache}.tmp`, cache);
    return results;
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

function cacheKey(files: readonly string[]): string {
  const hash = createHash('sha256');
  for (const file of files) hash.update(file).update(readFileSync(join(DIR, file)));
  const binary = execFileSync('sh', ['-c', 'command -v pocketsphinx_continuous'], { encoding: 'utf8' }).trim();
  hash.update(binary).update(String(readFileSync(binary).length));
  return hash.digest('hex').slice(0, 16);
}

async function readCache(path: string): Promise<Map<string, string> | undefined> {
  try {
    return new Map(Object.entries(JSON.parse(await readFile(path, 'utf8')) as Record<string, string>));
  } catch {
    return undefined;
  }
}

/** mkdir is atomic: whoever makes the folder decodes. A lock left by a killed run is taken over. */
async function takeLock(lock: string): Promise<boolean> {
  try {
    await mkdir(lock);
    return true;
  } catch {
    const made = await stat(lock).then((s) => s.mtimeMs, () => undefined);
    if (made !== undefined && Date.now() - made > LOCK_STALE_MS) await rm(lock, { recursive: true, force: true });
    return false;
  }
}
