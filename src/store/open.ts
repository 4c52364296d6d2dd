/**
 * The store the config asks for: PostgreSQL when store.url is set (replicas share it), else
 * the JSON file at store.path (one daemon).
 */
import type { RelayConfig } from '../config/load.js';
import type { Logger } from '../util/logger.js';
import { FileStore } from './file-store.js';
import { openPgStore } from './pg/open.js';
import type { StoreSeed } from './state-store.js';
import type { OpenedStore } from './store.js';

export type StoreConfig = Pick<RelayConfig, 'store' | 'recent'>;

/** Where the store is, for the start-up log: the file path or the URL (redact it before logging). */
export function storeLocation(cfg: StoreConfig): string {
  return cfg.store.url || cfg.store.path;
}

export function openStore(cfg: StoreConfig, seed: StoreSeed, logger: Logger): Promise<OpenedStore> {
  if (!cfg.store.url) return FileStore.open(cfg.store.path, seed, cfg.recent.windowSize);
  return openPgStore(
    {
      url: cfg.store.url,
      logger,
      recentSize: cfg.recent.windowSize,
      reconcileMs: cfg.store.reconcileMs,
      connectTimeoutMs: cfg.store.timeoutMs,
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
