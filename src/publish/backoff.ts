/** DMaaP retry delays: the shared full-jitter backoff, with Retry-After taking precedence. */
import { backoffDelay, type BackoffOptions } from '../util/backoff.js';

/**
 * The delay to use after a retryable failure: the server's Retry-After wins over backoff,
 * but neither exceeds `maxMs`, so a proxy's "Retry-After: 86400" cannot stall the relay a day.
 */
export function retryDelay(attempt: number, retryAfterMs: number | undefined, opts: BackoffOptions): number {
  if (retryAfterMs !== undefined) return Math.min(Math.max(0, retryAfterMs), Math.max(opts.initialMs, opts.maxMs));
  return backoffDelay(attempt, opts);
}
