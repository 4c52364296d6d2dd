/**
 * What to do with a batch's messages after one request (pure): which are accepted, which are
 * refused for good, and what is sent again after how long.
 */
import { retryDelay } from './backoff.js';
import type { Outcome } from './classify.js';
import { PermanentPublishError, type PermanentCode } from './types.js';

export interface BatchState<T> {
  readonly items: readonly T[];
  /** Retries already made; drives the backoff. */
  readonly attempt: number;
  /** When these messages first failed (epoch ms); the retry window counts from here. */
  readonly failingSince?: number;
}

export interface Resend<T> extends BatchState<T> {
  readonly delayMs: number;
  readonly reason: string;
  /** The peer set the delay (Retry-After): it is kept even when the peer answers again sooner. */
  readonly paced?: boolean;
}

export interface Plan<T> {
  readonly accepted: readonly T[];
  readonly refused?: { readonly items: readonly T[]; readonly error: PermanentPublishError };
  readonly resend: readonly Resend<T>[];
}

export interface PlanOptions {
  readonly retryInitialMs: number;
  readonly retryMaxMs: number;
  readonly maxRetryMs: number;
  readonly random?: () => number;
  /** Who refuses, in codes and words; default DMaaP's (DMAAP_REJECTED, DMAAP_RETRY_EXPIRED, "DMaaP", "maxRetryMs"). */
  readonly peer?: PeerCodes;
}

/** The same plan serves every HTTP destination; only the codes and the words differ. */
export interface PeerCodes {
  readonly rejected: PermanentCode;
  readonly expired: PermanentCode;
  /** As the expiry message names it, e.g. "the VES collector". */
  readonly name: string;
  /** The config key of the retry window, e.g. "ves.maxRetryMs". */
  readonly maxRetryKey: string;
}

/** `prefix`'s codes (<prefix>_REJECTED, <prefix>_RETRY_EXPIRED) and words. */
export function peerCodes(prefix: 'DMAAP' | 'VES', name: string, maxRetryKey: string): PeerCodes {
  return { rejected: `${prefix}_REJECTED`, expired: `${prefix}_RETRY_EXPIRED`, name, maxRetryKey };
}

export const DMAAP_PEER = peerCodes('DMAAP', 'DMaaP', 'maxRetryMs');
export const VES_PEER = peerCodes('VES', 'the VES collector', 'ves.maxRetryMs');

const PAYLOAD_TOO_LARGE = 413;

/** Where a streak of failures stands in its retry window: every destination counts it so. */
export interface RetryWindow {
  /** When the streak began (epoch ms): `now` for its first failure. */
  readonly failingSince: number;
  readonly elapsed: number;
  /** maxRetryMs (0: no window) has run out: the records are given up. */
  readonly expired: boolean;
}

export function retryWindow(failingSince: number | undefined, now: number, maxRetryMs: number): RetryWindow {
  const since = failingSince ?? now;
  const elapsed = now - since;
  return { failingSince: since, elapsed, expired: maxRetryMs > 0 && elapsed >= maxRetryMs };
}

export function planAfter<T>(
  outcome: Outcome,
  batch: BatchState<T>,
  status: number | undefined,
  now: number,
  opts: PlanOptions,
): Plan<T> {
  switch (outcome.kind) {
    case 'success':
      return { accepted: batch.items, resend: [] };
    case 'permanent':
      return planRefusal(batch, outcome.reason, status, opts.peer ?? DMAAP_PEER);
    case 'partial': {
      const rest = { ...batch, items: batch.items.slice(outcome.published) };
      return {
        ...planRetry(rest, outcome.reason, undefined, status, now, opts),
        accepted: batch.items.slice(0, outcome.published),
      };
    }
    case 'retry':
      return planRetry(batch, outcome.reason, outcome.retryAfterMs, status, now, opts);
  }
}

/*
 * A 413 says the body is too big, not that its messages are bad: halves are tried at once
 * (no backoff, it is not an outage) until a message alone is refused, which is then permanent.
 */
function planRefusal<T>(batch: BatchState<T>, reason: string, status: number | undefined, peer: PeerCodes): Plan<T> {
  if (status === PAYLOAD_TOO_LARGE && batch.items.length > 1) {
    const mid = Math.ceil(batch.items.length / 2);
    const halves = [batch.items.slice(0, mid), batch.items.slice(mid)];
    return {
      accepted: [],
      resend: halves.map((items) => ({ ...batch, items, delayMs: 0, reason: `split after ${reason}` })),
    };
  }
  return {
    accepted: [],
    refused: { items: batch.items, error: new PermanentPublishError(peer.rejected, reason, status) },
    resend: [],
  };
}

function planRetry<T>(
  batch: BatchState<T>,
  reason: string,
  retryAfterMs: number | undefined,
  status: number | undefined,
  now: number,
  opts: PlanOptions,
): Plan<T> {
  if (batch.items.length === 0) return { accepted: [], resend: [] };
  const { failingSince, elapsed, expired } = retryWindow(batch.failingSince, now, opts.maxRetryMs);
  if (expired) {
    const peer = opts.peer ?? DMAAP_PEER;
    const msg = `${peer.name} kept failing for ${elapsed} ms (${peer.maxRetryKey} ${opts.maxRetryMs}); last: ${reason}`;
    return {
      accepted: [],
      refused: { items: batch.items, error: new PermanentPublishError(peer.expired, msg, status) },
      resend: [],
    };
  }
  let delayMs = retryDelay(batch.attempt, retryAfterMs, {
    initialMs: opts.retryInitialMs,
    maxMs: opts.retryMaxMs,
    random: opts.random,
  });
  // The last try lands on the expiry instant rather than after it, so the window is used in full.
  if (opts.maxRetryMs > 0) delayMs = Math.min(delayMs, opts.maxRetryMs - elapsed);
  const paced = retryAfterMs !== undefined;
  return {
    accepted: [],
    resend: [
      { items: batch.items, attempt: batch.attempt + 1, failingSince, delayMs, reason, ...(paced ? { paced } : {}) },
    ],
  };
}
