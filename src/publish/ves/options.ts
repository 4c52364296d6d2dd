/** Every VesDestination option and its default, in one place (the ves.* config keys use them). */
import type { CollectorLookup } from '../../ves/agents.js';
import type { Logger } from '../../util/logger.js';
import type { DestinationHooks } from '../destination.js';

export interface VesDestinationOptions {
  /** The VIM's collector (endpoint, username, password), read at every send: config changes are live. */
  readonly collectorFor: CollectorLookup;
  /** PEM CA bundle trusted for https:// collectors (ves.caFile); empty = system CAs. */
  readonly caFile?: string;
  /** Deadline of one request, ms (ves.timeoutMs). Default 5000. */
  readonly timeoutMs?: number;
  /** Events per eventBatch request (ves.batchMaxMessages); 1 = never batch. Default 50. */
  readonly batchMaxMessages?: number;
  /** Request body bytes; a single larger event still goes, alone (ves.batchMaxBytes). Default 1_000_000. */
  readonly batchMaxBytes?: number;
  /** How long an open batch waits for company, ms (ves.lingerMs). Default 5. */
  readonly lingerMs?: number;
  /** Concurrent requests to all collectors (ves.maxInFlightRequests). Default 4. */
  readonly maxInFlightRequests?: number;
  /** Backoff: upper bound of the first retry delay, ms (ves.retryInitialMs). Default 250. */
  readonly retryInitialMs?: number;
  /** Backoff cap, Retry-After included, ms (ves.retryMaxMs). Default 30000. */
  readonly retryMaxMs?: number;
  /** An event failing for longer than this is refused with VES_RETRY_EXPIRED; 0 = retry forever (ves.maxRetryMs). Default 0. */
  readonly maxRetryMs?: number;
  /** Sanity cap on unsettled events (PUBLISHER_OVERLOADED beyond). Default 100000. */
  readonly maxPending?: number;
  readonly hooks?: DestinationHooks;
  readonly logger: Logger;
  /** Backoff jitter source in [0, 1); for tests. */
  readonly random?: () => number;
  /** How often an outage is summarised in the log, ms. Default 10000. */
  readonly outageSummaryEveryMs?: number;
}

export const VES_DEFAULTS = {
  timeoutMs: 5000,
  // The DCAE collector's own tests post batches of a few events; 50 keeps a body well under its limits.
  batchMaxMessages: 50,
  batchMaxBytes: 1_000_000,
  lingerMs: 5,
  maxInFlightRequests: 4,
  retryInitialMs: 250,
  retryMaxMs: 30_000,
  maxRetryMs: 0,
  maxPending: 100_000,
  outageSummaryEveryMs: 10_000,
} as const;

export type ResolvedVesOptions = Required<Omit<VesDestinationOptions, 'hooks' | 'caFile'>> &
  Pick<VesDestinationOptions, 'hooks' | 'caFile'>;

export function resolveVesOptions(opts: VesDestinationOptions): ResolvedVesOptions {
  const defined = Object.fromEntries(
    Object.entries(opts).filter(([, v]) => v !== undefined),
  ) as Partial<VesDestinationOptions>;
  const r = { ...VES_DEFAULTS, random: Math.random, ...defined } as ResolvedVesOptions;
  for (const k of ['batchMaxMessages', 'batchMaxBytes', 'maxInFlightRequests', 'maxPending', 'timeoutMs'] as const) {
    if (!(Number.isInteger(r[k]) && r[k] >= 1))
      throw new RangeError(`VES destination option ${k} must be an integer >= 1, got ${r[k]}`);
  }
  for (const k of ['lingerMs', 'retryInitialMs', 'retryMaxMs', 'maxRetryMs'] as const) {
    if (!(r[k] >= 0)) throw new RangeError(`VES destination option ${k} must be >= 0, got ${r[k]}`);
  }
  return r;
}
