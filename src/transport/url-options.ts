/**
 * What both transports take from a transport_url's oslo query options, read one way: the
 * heartbeat (checked when the URL is parsed) and the TLS files of oslo's rabbit and amqp
 * drivers. The files are read on every connection attempt, so a rotated certificate is picked
 * up by the next reconnect; a missing one is an error naming the option and the file.
 */
import { readFileSync } from 'node:fs';
import { RelayError } from '../errors.js';
import type { TransportOptions } from './options.js';
import type { TransportUrl } from './transport-url.js';

export type FileReader = (path: string) => Buffer;

/** Node TLS options, as both amqplib's socket options and rhea's connection options take them. */
export interface TlsFiles {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  passphrase?: string;
}

/** oslo's TLS query options and the Node TLS option each file feeds. */
const TLS_FILES = [
  ['ssl_ca_file', 'ca'],
  ['ssl_cert_file', 'cert'],
  ['ssl_key_file', 'key'],
] as const;

/** The URL's heartbeat_timeout_threshold (seconds; 0 disables), else the configured default. */
export function heartbeatSeconds(url: TransportUrl, opts: TransportOptions): number {
  return url.heartbeatSeconds ?? opts.heartbeatSeconds;
}

/**
 * Reads the TLS files named in the URL's query; ssl_key_password unlocks an encrypted key.
 * A client certificate needs its key and the other way round.
 */
export function tlsFiles(query: Readonly<Record<string, string>>, read: FileReader = readFileSync): TlsFiles {
  const out: TlsFiles = {};
  for (const [param, option] of TLS_FILES) {
    const path = query[param];
    if (!path) continue;
    try {
      out[option] = read(path);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new RelayError(
        'CONFIG_INVALID',
        `${param} "${path}" from the transport_url cannot be read (${e.code ?? e.message}); fix the path or the file's permissions`,
      );
    }
  }
  if ((out.cert === undefined) !== (out.key === undefined)) {
    throw new RelayError(
      'CONFIG_INVALID',
      'ssl_cert_file and ssl_key_file must be given together in the transport_url (client certificate and its key)',
    );
  }
  if (query.ssl_key_password) out.passphrase = query.ssl_key_password;
  return out;
}
