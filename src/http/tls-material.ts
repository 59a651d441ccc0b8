import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';

/** `tls` in code: PEM files (re-read by `reloadTls()` and on SIGHUP by the CLI), or PEM text/bytes. */
export type TlsOptions = { readonly certFile: string; readonly keyFile: string } | { readonly cert: string | Buffer; readonly key: string | Buffer };

/** A checked certificate chain and key, ready for `https.createServer` / `setSecureContext`. */
export interface TlsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly subject: string;
  readonly validTo: Date;
  /** Plain-words warnings (an expired or not yet valid certificate): served anyway, logged at start. */
  readonly warnings: readonly string[];
}

export function checkTlsOptions(tls: unknown): asserts tls is TlsOptions {
  const o = tls as Record<string, unknown> | null;
  const files = o !== null && typeof o === 'object' && typeof o.certFile === 'string' && typeof o.keyFile === 'string' && o.certFile !== '' && o.keyFile !== '';
  const pem = o !== null && typeof o === 'object' && isPem(o.cert) && isPem(o.key);
  if (!files && !pem) throw new TypeError('Expected `tls` to be { certFile, keyFile } (PEM file paths) or { cert, key } (PEM text or bytes)');
}

const isPem = (v: unknown): boolean => (typeof v === 'string' && v.length > 0) || (Buffer.isBuffer(v) && v.length > 0);

/**
 * Reads and checks the certificate and key, with errors in plain words (docs/deploy.md): a file that
 * cannot be read, text that is not a PEM certificate or key, a key that does not belong to the
 * certificate. An expired certificate is a warning, not an error: the operator may be mid-renewal.
 */
export async function loadTlsMaterial(tls: TlsOptions, now: Date = new Date()): Promise<TlsMaterial> {
  const cert = 'certFile' in tls ? await readPem(tls.certFile, 'certificate') : Buffer.from(tls.cert);
  const key = 'keyFile' in tls ? await readPem(tls.keyFile, 'private key') : Buffer.from(tls.key);
  const where = (what: 'certFile' | 'keyFile') => ('certFile' in tls ? ` (${tls[what]})` : '');
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch {
    throw new Error(`wavegate: the TLS certificate${where('certFile')} is not a PEM certificate`);
  }
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw new Error(`wavegate: the TLS key${where('keyFile')} is not a PEM private key (an encrypted key needs its passphrase removed)`);
  }
  if (!x509.checkPrivateKey(privateKey)) {
    throw new Error(`wavegate: the TLS key${where('keyFile')} does not match the certificate${where('certFile')}`);
  }
  createSecureContext({ cert, key }); // what the server will do: fails here, not on the first handshake
  const validTo = new Date(x509.validTo);
  const validFrom = new Date(x509.validFrom);
  const warnings: string[] = [];
  if (validTo.getTime() <= now.getTime()) warnings.push(`the TLS certificate${where('certFile')} expired on ${validTo.toISOString()}; clients will refuse it`);
  else if (validFrom.getTime() > now.getTime()) warnings.push(`the TLS certificate${where('certFile')} is not valid before ${validFrom.toISOString()}`);
  return { cert, key, subject: x509.subject, validTo, warnings };
}

async function readPem(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a folder' : String(code ?? err);
    throw new Error(`wavegate: cannot read the TLS ${what} ${path}: ${why}`);
  }
}
