/** The DMaaP publisher's options: the shared batching ones (batching-options.ts) and its own. */
import {
  BATCHING_DEFAULTS,
  resolveBatchingOptions,
  type BatchingOptions,
  type ResolvedBatchingOptions,
} from '../batching-options.js';

export interface DmaapPublisherOptions extends BatchingOptions {
  /** Message Router base URL (dmaap.url). */
  readonly url: string;
  /** Basic auth; empty = none (dmaap.username / dmaap.password). */
  readonly username?: string;
  readonly password?: string;
  /** PEM CA bundle for HTTPS (dmaap.caFile); empty = system CAs. */
  readonly caFile?: string;
}

export type ResolvedPublisherOptions = ResolvedBatchingOptions &
  Pick<DmaapPublisherOptions, 'url' | 'username' | 'password' | 'caFile'>;

/** dmaap.timeoutMs and publish.*: the shared defaults as they are. */
export const PUBLISHER_DEFAULTS = BATCHING_DEFAULTS;

export function resolvePublisherOptions(opts: DmaapPublisherOptions): ResolvedPublisherOptions {
  return {
    ...resolveBatchingOptions<ResolvedPublisherOptions>(opts, PUBLISHER_DEFAULTS, 'publisher'),
    url: opts.url,
  };
}
