/** Every publisher option and its default, in one place. */
import type { DestinationHooks } from './destination.js';

export interface DmaapPublisherOptions {
  /** Message Router base URL (dmaap.url). */
  readonly url: string;
  /** Basic auth; empty = none (dmaap.username / dmaap.password). */
  readonly username?: string;
  readonly password?: string;
  /** PEM CA bundle for HTTPS (dmaap.caFile); empty = system CAs. */
  readonly caFile?: string;
  /** Deadline of one request, ms (dmaap.timeoutMs). Default 5000. */
  readonly timeoutMs?: number;
  /** Messages per request. Default 100 (what ONAP's MRSimplerBatchPublisher uses). */
  readonly batchMaxMessages?: number;
  /** Request body bytes; a single larger message still goes, alone. Default 1_000_000 (Kafka's 1 MB). */
  readonly batchMaxBytes?: number;
  /** How long an open batch waits for company before it is sent, ms. Default 5. */
  readonly lingerMs?: number;
  /** Concurrent requests to Message Router (also the keep-alive socket bound). Default 4. */
  readonly maxInFlightRequests?: number;
  /** Backoff: upper bound of the first retry delay, ms. Default 250. */
  readonly retryInitialMs?: number;
  /** Backoff: no retry delay (nor honoured Retry-After) exceeds this, ms. Default 30000. */
  readonly retryMaxMs?: number;
  /** A message failing for longer than this is refused with DMAAP_RETRY_EXPIRED; 0 = retry forever. Default 0. */
  readonly maxRetryMs?: number;
  /**
   * Sanity cap on unsettled messages. The real bound is the caller's (the AMQP prefetch of every
   * listener); this only turns a missing bound into PublisherOverloadedError instead of memory
   * growth. Default 100000.
   */
  readonly maxPending?: number;
  /** Metric hooks; they run synchronously on the publishing path and must not throw. */
  readonly hooks?: DestinationHooks;
  /** Backoff jitter source in [0, 1); for tests. */
  readonly random?: () => number;
}

export type ResolvedPublisherOptions = Required<
  Omit<DmaapPublisherOptions, 'hooks' | 'username' | 'password' | 'caFile'>
> &
  Pick<DmaapPublisherOptions, 'hooks' | 'username' | 'password' | 'caFile'>;

export const PUBLISHER_DEFAULTS = {
  timeoutMs: 5000,
  batchMaxMessages: 100,
  batchMaxBytes: 1_000_000,
  lingerMs: 5,
  maxInFlightRequests: 4,
  retryInitialMs: 250,
  retryMaxMs: 30_000,
  maxRetryMs: 0,
  maxPending: 100_000,
} as const;

export function resolvePublisherOptions(opts: DmaapPublisherOptions): ResolvedPublisherOptions {
  const r: ResolvedPublisherOptions = {
    ...PUBLISHER_DEFAULTS,
    random: Math.random,
    ...definedOnly(opts),
    url: opts.url,
  };
  positive('batchMaxMessages', r.batchMaxMessages);
  positive('batchMaxBytes', r.batchMaxBytes);
  positive('maxInFlightRequests', r.maxInFlightRequests);
  positive('maxPending', r.maxPending);
  positive('timeoutMs', r.timeoutMs);
  for (const k of ['lingerMs', 'retryInitialMs', 'retryMaxMs', 'maxRetryMs'] as const) {
    if (!(r[k] >= 0)) throw new RangeError(`publisher option ${k} must be >= 0, got ${r[k]}`);
  }
  return r;
}

function positive(name: string, v: number): void {
  if (!(Number.isInteger(v) && v >= 1))
    throw new RangeError(`publisher option ${name} must be an integer >= 1, got ${v}`);
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
