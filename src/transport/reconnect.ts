/** Reconnect pacing (both transports) over several hosts, on the shared full-jitter backoff. */
import { backoffDelay, type BackoffOptions } from '../util/backoff.js';

/**
 * Failover over several hosts: the next host is tried at once while a round of all hosts is
 * under way; only a whole failed round waits, so one dead host does not delay the good one.
 */
export function nextAttemptDelay(
  failuresInRow: number,
  hostCount: number,
  opts: BackoffOptions,
  random?: () => number,
): number {
  if (failuresInRow <= 0) return 0;
  if (failuresInRow % Math.max(hostCount, 1) !== 0) return 0;
  return backoffDelay(Math.floor(failuresInRow / Math.max(hostCount, 1)) - 1, opts, random);
}
