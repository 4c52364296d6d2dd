/**
 * Capped exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff
 * And Jitter"): the delay is uniform in [0, min(max, initial * 2^attempt)). Full jitter
 * rather than a +/-20% wobble, because when a broker restarts every VIM listener on it
 * loses its connection in the same second, and only a wide spread keeps them from
 * reconnecting in lockstep. Pure: the random source is a parameter.
 */
export interface BackoffOptions {
  /** Upper bound of the first delay, in ms. */
  readonly initialMs: number;
  /** No delay exceeds this, in ms. */
  readonly maxMs: number;
}

/**
 * The delay before retry number `attempt` (0 = the first retry).
 * `random` returns a number in [0, 1), like Math.random.
 */
export function backoffDelay(attempt: number, opts: BackoffOptions, random: () => number = Math.random): number {
  const initial = Math.max(0, opts.initialMs);
  const max = Math.max(initial, opts.maxMs);
  const n = Number.isNaN(attempt) || attempt < 0 ? 0 : Math.floor(attempt);
  // 2 ** n overflows to Infinity for large n: Math.min still yields the cap, but 0 * Infinity is NaN.
  const ceiling = initial === 0 ? 0 : Math.min(max, initial * 2 ** n);
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.floor(r * ceiling);
}
