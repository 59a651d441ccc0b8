import { readFileSync, writeFileSync } from 'node:fs';

/** One JIT code object from node's `--perf-basic-prof` map (/tmp/perf-PID.map: `start size name`, hex). */
interface PerfEntry {
  readonly start: number;
  readonly end: number;
  readonly name: string;
}

/** The entries in the order node logged them (a later entry may reuse the address range of code since freed). */
function readPerfMap(file: string): PerfEntry[] {
  const entries: PerfEntry[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^([0-9a-f]+) ([0-9a-f]+) (.+)$/.exec(line);
    if (m) entries.push({ start: parseInt(m[1]!, 16), end: parseInt(m[1]!, 16) + parseInt(m[2]!, 16), name: m[3]! });
  }
  return entries;
}

/** The code object logged last that covers `address` (what was there at the end of the run). */
function lookup(entries: readonly PerfEntry[], address: number): string | undefined {
  for (let k = entries.length - 1; k >= 0; k--) {
    const e = entries[k]!;
    if (e.start <= address && address < e.end) return e.name;
  }
  return undefined;
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
