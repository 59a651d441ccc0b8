import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../src/errors/error-codes.js';

const page = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
const rows = new Map(
  [...page.matchAll(/^\| `(WG_ERR_[A-Z0-9_]+)` \| (\d+) \| (\d+) \| (.+) \|$/gm)].map((m) => [m[1], { httpStatus: Number(m[2]), closeCode: Number(m[3]), message: m[4] }]),
);

describe('error registry', () => {
  it('docs/errors.md lists exactly the registry codes, with the same status, close code and message', () => {
    expect([...rows.keys()].sort()).toEqual(Object.keys(ERROR_CODES).sort());
    for (const [code, spec] of Object.entries(ERROR_CODES)) expect(rows.get(code), code).toEqual(spec);
  });

  it('uses close codes a WebSocket server may send', () => {
    for (const [code, spec] of Object.entries(ERROR_CODES)) {
      const ok = [1001, 1003, 1007, 1008, 1009, 1011, 1013].includes(spec.closeCode) || (spec.closeCode >= 4000 && spec.closeCode <= 4999);
      expect(ok, `${code} close code ${spec.closeCode}`).toBe(true);
    }
  });
});
