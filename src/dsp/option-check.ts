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
