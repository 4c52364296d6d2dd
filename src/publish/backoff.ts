/**
 * Capped exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff
 * And Jitter"): the delay is uniform in [0, min(max, initial * 2^attempt)]. Full jitter keeps
 * several relays that failed together from hammering a recovering Message Router in step.
 */

export interface BackoffOptions {
  /** Upper bound of the first delay, ms. */
  readonly initialMs: number;
  /** No delay exceeds this, ms. */
  readonly maxMs: number;
  /** A source in [0, 1); injectable so tests are deterministic. */
  readonly random?: () => number;
}

/** The delay before retry number `attempt` (0 = the first retry). */
export function backoffDelay(attempt: number, opts: BackoffOptions): number {
  const random = opts.random ?? Math.random;
  return Math.floor(random() * backoffCeiling(attempt, opts));
}

/** The largest delay `backoffDelay` can return for `attempt`. */
export function backoffCeiling(attempt: number, opts: BackoffOptions): number {
  const initial = Math.max(0, opts.initialMs);
  const max = Math.max(initial, opts.maxMs);
  // 2^attempt overflows to Infinity long before it matters; min() then clamps it to max.
  const exp = initial * 2 ** Math.max(0, attempt);
  return Math.min(max, exp);
}

/**
 * The delay to use after a retryable failure: the server's Retry-After wins over backoff,
 * but neither exceeds `maxMs`, so a proxy's "Retry-After: 86400" cannot stall the relay a day.
 */
export function retryDelay(attempt: number, retryAfterMs: number | undefined, opts: BackoffOptions): number {
  if (retryAfterMs !== undefined) return Math.min(Math.max(0, retryAfterMs), Math.max(opts.initialMs, opts.maxMs));
  return backoffDelay(attempt, opts);
}
