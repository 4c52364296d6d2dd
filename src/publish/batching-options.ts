/**
 * The options of the batching HTTP destinations' shared core (batching.ts): their meaning,
 * defaults and validation, once. The DMaaP publisher (options.ts: publish.* and dmaap.*) and the
 * VES destination (ves/options.ts: ves.*) each add their own and override a default where theirs
 * differs; the config schema (src/config/schema.ts) takes every default from those two.
 */
import type { DestinationHooks } from './destination.js';

export interface BatchingOptions {
  /** Deadline of one request, ms. Default 5000. */
  readonly timeoutMs?: number;
  /** Records per request. Default 100 (what ONAP's MRSimplerBatchPublisher uses); VES 50. */
  readonly batchMaxMessages?: number;
  /** Request body bytes; a single larger record still goes, alone. Default 1_000_000 (Kafka's 1 MB). */
  readonly batchMaxBytes?: number;
  /** How long an open batch waits for company before it is sent, ms. Default 5. */
  readonly lingerMs?: number;
  /** Concurrent requests over all batches (also the keep-alive socket bound). Default 4. */
  readonly maxInFlightRequests?: number;
  /** Backoff: upper bound of the first retry delay, ms. Default 250. */
  readonly retryInitialMs?: number;
  /** Backoff: no retry delay (nor honoured Retry-After) exceeds this, ms. Default 30000. */
  readonly retryMaxMs?: number;
  /**
   * A record failing for longer than this is refused for good (DMAAP_RETRY_EXPIRED,
   * VES_RETRY_EXPIRED); 0 = retry forever. Default 0.
   */
  readonly maxRetryMs?: number;
  /**
   * Sanity cap on unsettled records. The real bound is the caller's (the AMQP prefetch of every
   * listener); this only turns a missing bound into PUBLISHER_OVERLOADED instead of memory
   * growth. Default 100000.
   */
  readonly maxPending?: number;
  /** Metric hooks; they run synchronously on the publishing path and must not throw. */
  readonly hooks?: DestinationHooks;
  /** Backoff jitter source in [0, 1); for tests. */
  readonly random?: () => number;
}

export type ResolvedBatchingOptions = Required<Omit<BatchingOptions, 'hooks'>> & Pick<BatchingOptions, 'hooks'>;

export const BATCHING_DEFAULTS = {
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

export type BatchingDefaults = { readonly [K in keyof typeof BATCHING_DEFAULTS]: number };

const COUNTS = ['batchMaxMessages', 'batchMaxBytes', 'maxInFlightRequests', 'maxPending', 'timeoutMs'] as const;
const DURATIONS = ['lingerMs', 'retryInitialMs', 'retryMaxMs', 'maxRetryMs'] as const;

/**
 * `defaults` (with a destination's own keys), then every option given (undefined ones skipped),
 * checked: a RangeError names `who` ("publisher", "VES destination"), the option and its value.
 * `R` is the destination's resolved type: its own options are its to type.
 */
export function resolveBatchingOptions<R extends ResolvedBatchingOptions>(
  opts: BatchingOptions,
  defaults: BatchingDefaults,
  who: string,
): R {
  const r = { ...defaults, random: Math.random, ...definedOnly(opts) } as R;
  for (const k of COUNTS) {
    if (!(Number.isInteger(r[k]) && r[k] >= 1))
      throw new RangeError(`${who} option ${k} must be an integer >= 1, got ${r[k]}`);
  }
  for (const k of DURATIONS) {
    if (!(r[k] >= 0)) throw new RangeError(`${who} option ${k} must be >= 0, got ${r[k]}`);
  }
  return r;
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
