import { readFileSync, writeFileSync } from 'node:fs';

/** One JIT code object from node's `--perf-basic-prof` map (/tmp/perf-PID.map: `start size name`, hex). */
interface PerfEntry {
  readonly start: number;
  readonly end: number;
  readonly name: string;
}

function readPerfMap(file: string): PerfEntry[] {
  const entries: PerfEntry[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^([0-9a-f]+) ([0-9a-f]+) (.+)$/.exec(line);
    if (m) entries.push({ start: parseInt(m[1]!, 16), end: parseInt(m[1]!, 16) + parseInt(m[2]!, 16), name: m[3]! });
  }
  return entries.sort((a, b) => a.start - b.start);
}

function lookup(entries: readonly PerfEntry[], address: number): string | undefined {
  let lo = 0;
  let hi = entries.length - 1;
  let found: PerfEntry | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (entries[mid]!.start <= address) {
      found = entries[mid];
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found !== undefined && address < found.end ? found.name : undefined;
}

/**
 * Callgrind names JIT-compiled JavaScript by address (`0x00003a8b51bbd00f`): rewrites a callgrind output
 * file so those names are the JS function names node logged in its perf map, for callgrind_annotate.
 * Returns how many names were found. Code objects the map does not cover keep their address.
 */
export function symbolizeCallgrind(callgrindFile: string, perfMapFile: string, outFile: string): number {
  const entries = readPerfMap(perfMapFile);
  let named = 0;
  const text = readFileSync(callgrindFile, 'utf8').replace(/^(c?fn=\(\d+\)) (0x[0-9a-f]+)$/gm, (line, head: string, hex: string) => {
    const name = lookup(entries, parseInt(hex, 16));
    if (name === undefined) return line;
    named++;
    return `${head} ${name.replace(/\s+/g, '_')} ${hex}`;
  });
  writeFileSync(outFile, text);
  return named;
}
