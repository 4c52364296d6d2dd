/**
 * The store the config asks for: PostgreSQL when store.url is set (replicas share it), else
 * the JSON file at store.path (one daemon).
 */
import type { RelayConfig } from '../config/load.js';
import type { Logger } from '../util/logger.js';
import { FileStore } from './file-store.js';
import { openPgStore } from './pg/open.js';
import type { StoreSeed } from './state.js';
import type { OpenedStore } from './store.js';
import { createSecretCodec, type SecretCodec } from './secret-codec.js';

/** store.secretKeyFile may be left out (no key: secrets in clear). */
export type StoreConfig = Pick<RelayConfig, 'recent'> & {
  readonly store: Omit<RelayConfig['store'], 'secretKeyFile'> & { readonly secretKeyFile?: string };
};

/** The secrets at rest: store.secretKeyFile's keys, or none (the caller warns that secrets are then in clear). */
export const storeCodec = (cfg: StoreConfig): SecretCodec => createSecretCodec(cfg.store.secretKeyFile ?? '');

/** Where the store is, for the start-up log: the file path or the URL (redact it before logging). */
export function storeLocation(cfg: StoreConfig): string {
  return cfg.store.url || cfg.store.path;
}

export function openStore(cfg: StoreConfig, seed: StoreSeed, logger: Logger): Promise<OpenedStore> {
  const codec = storeCodec(cfg);
  if (!cfg.store.url) return FileStore.open(cfg.store.path, seed, cfg.recent.windowSize, codec);
  return openPgStore(
    {
      url: cfg.store.url,
      logger,
      recentSize: cfg.recent.windowSize,
      reconcileMs: cfg.store.reconcileMs,
      connectTimeoutMs: cfg.store.timeoutMs,
      codec,
    },
    seed,
  );
}

/** The password in store.url (decoded), for the logger's literal secrets; '' when none. */
export function storeUrlPassword(url: string): string {
  if (!url) return '';
  try {
    return decodeURIComponent(new URL(url).password);
  } catch {
    return '';
  }
}
