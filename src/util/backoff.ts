/**
 * Capped exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff
 * And Jitter"): the delay is uniform in [0, min(max, initial * 2^attempt)). Full jitter rather
 * than a +/-20% wobble, because when a broker restarts every VIM listener on it loses its
 * connection in the same second (and when DMaaP recovers every batch retries at once), and
 * only a wide spread keeps them from returning in lockstep. One implementation for broker
 * reconnects (both transports) and DMaaP retries. Pure: the random source is injectable.
 */
export interface BackoffOptions {
  /** Upper bound of the first delay, in ms. */
  readonly initialMs: number;
  /** No delay exceeds this, in ms. */
  readonly maxMs: number;
  /** A source in [0, 1), like Math.random; injectable so tests are deterministic. */
  readonly random?: () => number;
}

/** The largest delay `backoffDelay` can draw for `attempt` (0 = the first retry). */
export function backoffCeiling(attempt: number, opts: BackoffOptions): number {
  const initial = Math.max(0, opts.initialMs);
  const max = Math.max(initial, opts.maxMs);
  const n = Number.isNaN(attempt) || attempt < 0 ? 0 : Math.floor(attempt);
  // 2 ** n overflows to Infinity for large n: Math.min still yields the cap, but 0 * Infinity is NaN.
  return initial === 0 ? 0 : Math.min(max, initial * 2 ** n);
}

/** The delay before retry number `attempt` (0 = the first retry). */
export function backoffDelay(
  attempt: number,
  opts: BackoffOptions,
  random: () => number = opts.random ?? Math.random,
): number {
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.floor(r * backoffCeiling(attempt, opts));
}
