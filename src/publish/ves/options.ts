/** The VES destination's options (the ves.* config keys): the shared batching ones and its own. */
import type { CollectorLookup } from '../../model/ves.js';
import type { Logger } from '../../util/logger.js';
import {
  BATCHING_DEFAULTS,
  resolveBatchingOptions,
  type BatchingOptions,
  type ResolvedBatchingOptions,
} from '../batching-options.js';

/** The shared options apply per ves.* key of the same name, to all collectors together. */
export interface VesDestinationOptions extends BatchingOptions {
  /** The VIM's collector (endpoint, username, password), read at every send: config changes are live. */
  readonly collectorFor: CollectorLookup;
  /** PEM CA bundle trusted for https:// collectors (ves.caFile); empty = system CAs. */
  readonly caFile?: string;
  readonly logger: Logger;
  /** How often an outage is summarised in the log, ms. Default 10000. */
  readonly outageSummaryEveryMs?: number;
}

export const VES_DEFAULTS = {
  ...BATCHING_DEFAULTS,
  // The DCAE collector's own tests post batches of a few events; 50 keeps a body well under its limits.
  batchMaxMessages: 50,
  outageSummaryEveryMs: 10_000,
} as const;

export type ResolvedVesOptions = ResolvedBatchingOptions &
  Required<Pick<VesDestinationOptions, 'collectorFor' | 'logger' | 'outageSummaryEveryMs'>> &
  Pick<VesDestinationOptions, 'caFile'>;

export function resolveVesOptions(opts: VesDestinationOptions): ResolvedVesOptions {
  return resolveBatchingOptions<ResolvedVesOptions>(opts, VES_DEFAULTS, 'VES destination');
}
