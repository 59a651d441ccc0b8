/**
 * `--handler-option key=value` flags → the handler's options object. Dotted keys nest
 * (`algoOptions.speechThreshold=0.2`); values become booleans (`true`/`false`), numbers, JSON
 * (`[…]`, `{…}`, `"…"`) or else stay strings. Throws naming the bad flag.
 */
export function parseHandlerOptionFlags(flags: readonly string[], into: Record<string, unknown> = {}): Record<string, unknown> {
  for (const flag of flags) {
    const eq = flag.indexOf('=');
    const key = eq > 0 ? flag.slice(0, eq).trim() : '';
    if (!/^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)*$/.test(key)) {
      throw new Error(`--handler-option expects key=value (dotted keys nest), got ${JSON.stringify(flag)}`);
    }
    const path = key.split('.');
    if (path.some((part) => part === '__proto__' || part === 'constructor' || part === 'prototype')) {
      throw new Error(`--handler-option key ${JSON.stringify(key)} is not allowed`);
    }
    let target = into;
    for (const part of path.slice(0, -1)) {
      const next = target[part];
      if (typeof next !== 'object' || next === null || Array.isArray(next)) target[part] = {};
      target = target[part] as Record<string, unknown>;
    }
    target[path[path.length - 1]!] = parseValue(flag.slice(eq + 1).trim(), flag);
  }
  return into;
}

function parseValue(raw: string, flag: string): unknown {
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  if (raw !== '' && Number.isFinite(Number(raw))) return Number(raw);
  if (/^[[{"]/.test(raw)) {
    try {
      return JSON.parse(raw) as unknown;
    } catch (err) {
      throw new Error(`--handler-option ${JSON.stringify(flag)}: value is not valid JSON (${(err as Error).message})`);
    }
  }
  return raw;
}
