import { ERROR_CODES, type ErrorCode } from './error-codes.js';

/** An error carrying a registry code; `detail` adds what was wrong with the offending value. */
export class WavegateError extends Error {
  readonly code: ErrorCode;
  readonly httpStatus: number;
  readonly closeCode: number;

  constructor(code: ErrorCode, detail?: string, options?: { cause?: unknown }) {
    const spec = ERROR_CODES[code];
    super(detail ? `${spec.message}: ${detail}` : spec.message, options);
    this.name = 'WavegateError';
    this.code = code;
    this.httpStatus = spec.httpStatus;
    this.closeCode = spec.closeCode;
  }
}

export function errorCodeOf(err: unknown): ErrorCode {
  return err instanceof WavegateError ? err.code : 'WG_ERR_INTERNAL';
}
