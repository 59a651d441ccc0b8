/**
 * Option validation in the p-queue manner: defaults are spread first, then every option is checked
 * and a bad one is named together with the offending value.
 */
export function checkOption(ok: boolean, name: string, value: unknown, expected: string): void {
  if (!ok) {
    const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
    throw new TypeError(`Expected \`${name}\` to be ${expected}, got \`${shown}\` (${typeof value})`);
  }
}

export function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

export function inRange(value: unknown, min: number, max: number): value is number {
  return isFiniteNumber(value) && value >= min && value <= max;
}

/** Refuses keys an options object does not know (a typo would otherwise be ignored silently). */
export function checkKnownKeys(what: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw new TypeError(`Unknown ${what} option ${JSON.stringify(key)}; known: ${known.join(', ')}`);
  }
}
