/**
 * The files a configuration names, read as `run` reads them, so that `check-config` refuses
 * what `run` would refuse (a missing CA bundle, an unreadable ssl_ca_file of a transport_url)
 * instead of passing it with exit 0. Secrets given as *_FILE are read the same way
 * (secret-files.ts).
 */
import { readFileSync } from 'node:fs';
import { parseTransportUrl } from '../transport/transport-url.js';
import { tlsFiles, type FileReader } from '../transport/url-options.js';
import type { RelayConfig } from './load.js';

type Files = Pick<RelayConfig, 'dmaap' | 'kafka' | 'ves' | 'vims'>;

/** Every path key of the configuration, with the variable that can set it. */
function pathKeys(cfg: Files): [key: string, env: string, path: string][] {
  const ssl = cfg.kafka?.ssl;
  return [
    ['dmaap.caFile', 'VIM_EVENT_RELAY_DMAAP_CA_FILE', cfg.dmaap?.caFile],
    ['kafka.ssl.caFile', 'VIM_EVENT_RELAY_KAFKA_SSL_CA_FILE', ssl?.caFile],
    ['kafka.ssl.certFile', 'VIM_EVENT_RELAY_KAFKA_SSL_CERT_FILE', ssl?.certFile],
    ['kafka.ssl.keyFile', 'VIM_EVENT_RELAY_KAFKA_SSL_KEY_FILE', ssl?.keyFile],
    ['ves.caFile', 'VIM_EVENT_RELAY_VES_CA_FILE', cfg.ves?.caFile],
  ].filter((k): k is [string, string, string] => typeof k[2] === 'string' && k[2] !== '');
}

export function fileProblems(cfg: Files, read: FileReader = readFileSync): string[] {
  const problems: string[] = [];
  for (const [key, env, path] of pathKeys(cfg)) {
    try {
      read(path);
    } catch (e) {
      const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
      problems.push(`${key}: cannot read ${path} (${why}); mount the file, or fix the path (${env}) or its permissions`);
    }
  }
  (Array.isArray(cfg.vims) ? cfg.vims : []).forEach((vim, i) => {
    let query: Readonly<Record<string, string>>;
    try {
      query = parseTransportUrl(vim.transportUrl).query;
    } catch {
      return; // a URL that does not parse is already a problem of its own
    }
    try {
      tlsFiles(query, read);
    } catch (e) {
      problems.push(`vims[${i}].transportUrl: ${(e as Error).message}`);
    }
  });
  return problems;
}

/** Not refused (a secret may come later, from a file or a credential) but almost surely a mistake. */
export function credentialWarnings(cfg: Pick<RelayConfig, 'dmaap'>): string[] {
  if (!cfg.dmaap.username || cfg.dmaap.password) return [];
  return [
    'dmaap.username is set but dmaap.password is empty: Message Router would be sent Basic auth with an empty password; ' +
      'set dmaap.password (VIM_EVENT_RELAY_DMAAP_PASSWORD, or a file: VIM_EVENT_RELAY_DMAAP_PASSWORD_FILE), or empty dmaap.username for no authentication',
  ];
}
