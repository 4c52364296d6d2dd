/**
 * A destination over its sanity cap (maxPending) refuses a record with PUBLISHER_OVERLOADED.
 * Handed back to the broker at once, the delivery came straight back and was refused again: a
 * hot loop, and on a quorum queue every requeue counts towards the delivery limit, so such
 * notifications reached the dead-letter queue within milliseconds. Instead the record is held
 * (its delivery stays unacked, in the prefetch slot it already has) and offered again after a
 * capped backoff, until the destination takes it or refuses it otherwise; a destination that
 * closes meanwhile refuses with PUBLISHER_CLOSED, and that delivery is requeued as before.
 */
import { isRelayError } from '../errors.js';
import { backoffDelay } from '../util/backoff.js';
import type { Destination, OutboundRecord } from './destination.js';

/** Backoff of a held record: 50 ms doubling to 1 s (full jitter, at least 10 ms). */
export const OVERLOAD_BACKOFF = { initialMs: 50, maxMs: 1000, floorMs: 10 } as const;

/** dest.send(record), holding the record while the destination answers PUBLISHER_OVERLOADED. */
export function sendHeld(dest: Destination, record: OutboundRecord): Promise<void> {
  // The usual path adds nothing but the rejection handler.
  return dest.send(record).catch((e: unknown) => retryWhileOverloaded(dest, record, e));
}

async function retryWhileOverloaded(dest: Destination, record: OutboundRecord, first: unknown): Promise<void> {
  let error = first;
  for (let attempt = 0; isOverloaded(error); attempt++) {
    const delay = Math.max(OVERLOAD_BACKOFF.floorMs, backoffDelay(attempt, OVERLOAD_BACKOFF));
    await new Promise((resolve) => setTimeout(resolve, delay));
    try {
      await dest.send(record);
      return;
    } catch (e) {
      error = e;
    }
  }
  throw error;
}

function isOverloaded(e: unknown): boolean {
  return isRelayError(e) && e.code === 'PUBLISHER_OVERLOADED';
}
