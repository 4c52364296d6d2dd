/**
 * The admin port's TLS files, read and checked where the config is (src/admin/tls-reload.ts
 * serves them): admin.tls.certFile and admin.tls.keyFile (PEM, as a Kubernetes Secret
 * of type kubernetes.io/tls or cert-manager mounts them), and optionally admin.tls.clientCaFile
 * for client certificates. The files are read at start, checked as a pair, and read again when
 * they change (server.setSecureContext: connections open stay on the old certificate, new ones
 * get the new; the port is never closed). A rotation that leaves an unusable set (the key
 * written before the certificate, say) keeps the previous certificate until the files agree.
 */
import { readFileSync } from 'node:fs';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { RelayError } from '../errors.js';

export interface AdminTlsConfig {
  readonly certFile: string;
  readonly keyFile: string;
  readonly clientCaFile: string;
}

const TLS_KEYS = {
  certFile: 'admin.tls.certFile (VIM_EVENT_RELAY_ADMIN_TLS_CERT_FILE)',
  keyFile: 'admin.tls.keyFile (VIM_EVENT_RELAY_ADMIN_TLS_KEY_FILE)',
  clientCaFile: 'admin.tls.clientCaFile (VIM_EVENT_RELAY_ADMIN_TLS_CLIENT_CA_FILE)',
} as const;

export interface TlsMaterial {
  readonly options: SecureContextOptions;
  /** For the log: the certificate's subject, expiry and fingerprint (nothing secret). */
  readonly summary: { subject: string; validTo: string; fingerprint256: string };
}

export const tlsEnabled = (tls: AdminTlsConfig | undefined): tls is AdminTlsConfig =>
  Boolean(tls && (tls.certFile || tls.keyFile || tls.clientCaFile));

function read(file: string, key: string, problems: string[]): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    problems.push(`${key}: cannot read ${file} (${code}); mount the PEM file there or fix the path`);
    return undefined;
  }
}

/** The PEM's first certificate, or a problem naming the key (a key file given as the certificate, a DER file...). */
function parseCert(pem: Buffer, file: string, key: string, problems: string[]): X509Certificate | undefined {
  try {
    return new X509Certificate(pem);
  } catch {
    problems.push(
      `${key}: ${file} holds no PEM certificate ("-----BEGIN CERTIFICATE-----"); give the certificate file`,
    );
    return undefined;
  }
}

/** Why the key does not go with the certificate, in the operator's words (OpenSSL's are cryptic). */
function pairProblem(e: unknown, tls: AdminTlsConfig): string {
  const msg = (e as Error).message;
  if (/key values mismatch|KEY_VALUES_MISMATCH/i.test(msg))
    return `${TLS_KEYS.keyFile}: ${tls.keyFile} is not the private key of the certificate in ${tls.certFile}; give the key issued with that certificate (the same Secret's tls.key)`;
  return `${TLS_KEYS.keyFile}: ${tls.keyFile} cannot be used with ${tls.certFile} (${msg}); give an unencrypted PEM private key (tls.key)`;
}

/** Reads and checks the files; `problems` lists what is wrong, one a line, each naming its key and the fix. */
export function readTlsMaterial(tls: AdminTlsConfig): { material?: TlsMaterial; problems: string[] } {
  const problems: string[] = [];
  if (!tls.certFile || !tls.keyFile) {
    const missing = !tls.certFile ? TLS_KEYS.certFile : TLS_KEYS.keyFile;
    const why = tls.clientCaFile && !tls.certFile && !tls.keyFile ? ' (client certificates need TLS)' : '';
    problems.push(`${missing} is empty${why}; TLS needs both admin.tls.certFile and admin.tls.keyFile`);
    return { problems };
  }
  const cert = read(tls.certFile, TLS_KEYS.certFile, problems);
  const key = read(tls.keyFile, TLS_KEYS.keyFile, problems);
  const ca = tls.clientCaFile ? read(tls.clientCaFile, TLS_KEYS.clientCaFile, problems) : undefined;
  const x509 = cert && parseCert(cert, tls.certFile, TLS_KEYS.certFile, problems);
  if (ca) parseCert(ca, tls.clientCaFile, TLS_KEYS.clientCaFile, problems);
  if (!cert || !key || !x509 || problems.length) return { problems };
  const options: SecureContextOptions = { cert, key, ...(ca ? { ca } : {}) };
  try {
    createSecureContext(options);
  } catch (e) {
    return { problems: [pairProblem(e, tls)] };
  }
  const summary = { subject: x509.subject, validTo: x509.validTo, fingerprint256: x509.fingerprint256 };
  return { material: { options, summary }, problems };
}

/** For the config check: what is wrong with admin.tls.*, or nothing when TLS is off or usable. */
export function tlsConfigProblems(tls: AdminTlsConfig | undefined): string[] {
  return tlsEnabled(tls) ? readTlsMaterial(tls).problems : [];
}

/** The material, or CONFIG_INVALID listing every problem (start-up). */
export function loadTlsMaterial(tls: AdminTlsConfig): TlsMaterial {
  const { material, problems } = readTlsMaterial(tls);
  if (!material) throw new RelayError('CONFIG_INVALID', problems.join('\n'));
  return material;
}

/** The files a reload reads. */
export const tlsFiles = (tls: AdminTlsConfig): string[] =>
  [tls.certFile, tls.keyFile, tls.clientCaFile].filter((f) => f !== '');
