// bench/socket-instructions.ts names JIT code in callgrind output from node's perf map (bench/lib/callgrind-symbols.ts).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { symbolizeCallgrind } from '../bench/lib/callgrind-symbols.js';

describe('symbolizeCallgrind', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('names addresses inside a logged code object, the last one logged when ranges were reused', () => {
    dir = mkdtempSync(join(tmpdir(), 'cg-sym-'));
    const map = join(dir, 'perf.map');
    const input = join(dir, 'callgrind.out');
    const output = join(dir, 'callgrind.named');
    writeFileSync(map, ['1000 100 JS:*old file.js:1:1', '2000 10 JS:*other file.js:2:2', '1000 80 JS:*current file.js:3:3', ''].join('\n'));
    writeFileSync(input, ['fn=(1) 0x0000000000001010', 'cfn=(2) 0x0000000000002004', 'calls=1 0', 'fn=(3) 0x0000000000005000', 'fn=(4) memcpy', 'fn=(1)', ''].join('\n'));
    expect(symbolizeCallgrind(input, map, output)).toBe(2);
    expect(readFileSync(output, 'utf8').split('\n')).toEqual([
      'fn=(1) JS:*current_file.js:3:3 0x0000000000001010',
      'cfn=(2) JS:*other_file.js:2:2 0x0000000000002004',
      'calls=1 0',
      'fn=(3) 0x0000000000005000',
      'fn=(4) memcpy',
      'fn=(1)',
      '',
    ]);
  });
});
