/**
 * A throwaway self-signed certificate for 127.0.0.1 (openssl, valid one day), for tests that
 * stand a TLS peer on loopback and trust it through a CA file option.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SelfSigned {
  /** The folder holding both files (other files a test needs may go there too). */
  readonly dir: string;
  readonly keyFile: string;
  /** The certificate, also the CA file that trusts it. */
  readonly certFile: string;
  readonly key: Buffer;
  readonly cert: Buffer;
  remove(): void;
}

/**
 * Writes a new RSA key and a certificate it signs itself for `subject` (openssl, valid one day),
 * with the given X.509 extensions (-addext); a CA's certificate when there are none.
 */
export function writeSelfSigned(
  subject: string,
  keyFile: string,
  certFile: string,
  extensions: readonly string[] = [],
): void {
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      subject,
      ...extensions.flatMap((e) => ['-addext', e]),
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { stdio: 'ignore' },
  );
}

export function selfSignedCert(prefix: string): SelfSigned {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  writeSelfSigned('/CN=127.0.0.1', keyFile, certFile, ['subjectAltName=IP:127.0.0.1']);
  return {
    dir,
    keyFile,
    certFile,
    key: readFileSync(keyFile),
    cert: readFileSync(certFile),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
