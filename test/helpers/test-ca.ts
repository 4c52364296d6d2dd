/**
 * A throwaway certificate authority (openssl) for tests of the admin port's TLS: a CA, server
 * certificates for 127.0.0.1 it signs (several, so a test can rotate one for another), and
 * client certificates for mutual TLS. Files in one temp folder; remove() deletes it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSelfSigned } from './self-signed.js';

export interface Issued {
  readonly certFile: string;
  readonly keyFile: string;
  readonly cert: Buffer;
  readonly key: Buffer;
}

export interface TestCa {
  readonly dir: string;
  readonly caFile: string;
  readonly ca: Buffer;
  /** A certificate signed by this CA: for 127.0.0.1 as a server, or a client's when `client`. */
  issue(name: string, opts?: { client?: boolean }): Issued;
  remove(): void;
}

const openssl = (args: string[]): void => void execFileSync('openssl', args, { stdio: 'ignore' });

export function testCa(prefix: string): TestCa {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const caFile = join(dir, 'ca.pem');
  const caKey = join(dir, 'ca.key');
  writeSelfSigned('/CN=test CA', caKey, caFile);
  return {
    dir,
    caFile,
    ca: readFileSync(caFile),
    issue(name, opts = {}) {
      const keyFile = join(dir, `${name}.key`);
      const csr = join(dir, `${name}.csr`);
      const certFile = join(dir, `${name}.pem`);
      const ext = join(dir, `${name}.ext`);
      writeFileSync(
        ext,
        opts.client ? 'extendedKeyUsage=clientAuth\n' : 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n',
      );
      openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name}`, '-keyout', keyFile, '-out', csr]);
      openssl([
        'x509',
        '-req',
        '-in',
        csr,
        '-CA',
        caFile,
        '-CAkey',
        caKey,
        '-CAcreateserial',
        '-days',
        '1',
        '-extfile',
        ext,
        '-out',
        certFile,
      ]);
      return { certFile, keyFile, cert: readFileSync(certFile), key: readFileSync(keyFile) };
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
