/**
 * Reconnect delays: capped exponential backoff with full jitter (AWS architecture blog,
 * "Exponential Backoff and Jitter"): many relays losing one broker do not return in step.
 * Pure: the random source is a parameter.
 */
export interface BackoffOptions {
  readonly initialMs: number;
  readonly maxMs: number;
}

/** Delay before retry number `round` (0-based): uniform in [0, min(max, initial * 2^round)]. */
export function backoffDelay(round: number, opts: BackoffOptions, random: () => number = Math.random): number {
  // 2^30 already exceeds any sane cap; bounding the exponent keeps the product finite.
  const ceiling = Math.min(opts.maxMs, opts.initialMs * 2 ** Math.min(Math.max(round, 0), 30));
  return Math.floor(random() * (Math.max(ceiling, 0) + 1));
}

/**
 * Failover over several hosts: the next host is tried at once while a round of all hosts is
 * under way; only a whole failed round waits, so one dead host does not delay the good one.
 */
export function nextAttemptDelay(failuresInRow: number, hostCount: number, opts: BackoffOptions, random?: () => number): number {
  if (failuresInRow <= 0) return 0;
  if (failuresInRow % Math.max(hostCount, 1) !== 0) return 0;
  return backoffDelay(Math.floor(failuresInRow / Math.max(hostCount, 1)) - 1, opts, random);
}
