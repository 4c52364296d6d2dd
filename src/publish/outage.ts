/**
 * A destination's reachability and what the log says of it. A streak of retryable failures is
 * an outage: its first failure is logged at warn (destination, topic, status or error, retry
 * delay), then a summary at most every `summaryEveryMs` while it lasts, and the recovery at info
 * with the outage's length and the most records that were waiting meanwhile. A permanent refusal
 * of one batch is not an outage: it changes neither the health nor the log's streak. When the
 * destination has nothing left to deliver (every waiting record expired or was refused), the
 * outage ends too (idle()): each destination says so from its own bookkeeping.
 */
import type { Logger } from '../util/logger.js';
import type { DestinationHealth, DestinationName } from './destination.js';

export interface OutageOptions {
  readonly summaryEveryMs?: number;
  readonly now?: () => number;
}

export class OutageTracker {
  private state: DestinationHealth;
  private failingSince?: number;
  private failures = 0;
  private peakWaiting = 0;
  private lastSummary = 0;
  private readonly summaryEveryMs: number;
  private readonly now: () => number;

  constructor(
    readonly destination: DestinationName,
    private readonly log: Logger,
    opts: OutageOptions = {},
  ) {
    this.summaryEveryMs = opts.summaryEveryMs ?? 10_000;
    this.now = opts.now ?? Date.now;
    this.state = { ok: true, since: new Date(this.now()) };
  }

  health(): DestinationHealth {
    return this.state;
  }

  /** A retryable failure: `waiting` is how many records the destination holds unsettled. */
  failure(topic: string, reason: string, retryInMs: number, waiting: number): void {
    const now = this.now();
    this.failures++;
    this.peakWaiting = Math.max(this.peakWaiting, waiting);
    if (this.failingSince === undefined) {
      this.failingSince = now;
      this.lastSummary = now;
      this.state = { ok: false, since: new Date(now), reason: `${topic}: ${reason}` };
      this.log.warn(`${this.destination} failing; records are kept and retried`, {
        destination: this.destination,
        topic,
        reason,
        retryInMs,
        waiting,
      });
      return;
    }
    this.state = { ok: false, since: this.state.since, reason: `${topic}: ${reason}` };
    if (now - this.lastSummary >= this.summaryEveryMs) {
      this.lastSummary = now;
      this.log.warn(`${this.destination} still failing`, {
        destination: this.destination,
        topic,
        reason,
        retryInMs,
        waiting,
        failingForMs: now - this.failingSince,
        failures: this.failures,
      });
    }
  }

  /** An accepted request; true when it ended an outage. */
  success(): boolean {
    return this.end(`${this.destination} recovered`);
  }

  /**
   * Nothing waits any more: the last records of the outage expired (maxRetryMs) or were refused,
   * and nothing new came. The outage ends, as no record is failing; the next record's answer
   * starts another if the peer is still down. Without this, no answer would ever come to end
   * it, and readiness would stay 503 with the peer back. True when it ended an outage.
   */
  idle(): boolean {
    return this.end(`${this.destination} outage over: no record waits any more (the last expired or was refused)`);
  }

  private end(message: string): boolean {
    if (this.failingSince === undefined) return false;
    const now = this.now();
    this.log.info(message, {
      destination: this.destination,
      outageMs: now - this.failingSince,
      failures: this.failures,
      peakWaiting: this.peakWaiting,
    });
    this.failingSince = undefined;
    this.failures = 0;
    this.peakWaiting = 0;
    this.state = { ok: true, since: new Date(now) };
    return true;
  }
}
