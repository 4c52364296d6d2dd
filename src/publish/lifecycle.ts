/**
 * DeliveryLifecycle: what every destination does around its sending, the same for the HTTP core
 * (batching.ts: DMaaP, VES) and Kafka (kafka/destination.ts). It holds each record unsettled
 * until the subclass settles it (unsettled.ts), refuses a record at the door when closed
 * (PUBLISHER_CLOSED) or over maxPending (PUBLISHER_OVERLOADED), reports health from the
 * destination's outage (outage.ts), and closes: stop taking records, send what waits at once,
 * give what is pending the deadline, then stop the machinery, reject the rest with
 * PUBLISHER_CLOSED and free the connections. A subclass keeps only how it sends: batches per key
 * and POSTs (HTTP), lanes per partition and produce requests (Kafka), and what their answers mean.
 */
import type { Logger } from '../util/logger.js';
import {
  DestinationClosedError,
  DestinationOverloadedError,
  type DestinationHealth,
  type DestinationName,
} from './destination.js';
import { OutageTracker } from './outage.js';
import { Unsettled, type Settleable } from './unsettled.js';

/** How a destination names itself in the errors of a record refused at the door. */
export interface DoorNames {
  /** DestinationClosedError's, e.g. "DMaaP publisher". */
  readonly closed: string;
  /** DestinationOverloadedError's, e.g. "the VES destination". */
  readonly overloaded: string;
  /** The config key of the cap, as the overload error names it, e.g. "publish.maxPending". */
  readonly maxPendingKey: string;
}

export interface LifecycleOptions {
  readonly destination: DestinationName;
  readonly logger: Logger;
  /** The sanity cap on unsettled records (PUBLISHER_OVERLOADED past it). */
  readonly maxPending: number;
  readonly names: DoorNames;
  /** How often an outage is summarised in the log, ms; default the tracker's (10000). */
  readonly outageSummaryEveryMs?: number;
}

export abstract class DeliveryLifecycle<E extends Settleable> {
  /** The records held and not settled yet: what pending(), the cap and close()'s drain read. */
  protected readonly unsettled = new Unsettled<E>();
  /** The destination's reachability and what the log says of it. */
  protected readonly outage: OutageTracker;
  /** close() was called: records are refused, what waits is sent without lingering. */
  protected closed = false;
  /** close()'s drain is over: nothing more is sent, and an answer that comes changes nothing. */
  protected finished = false;
  private closing?: Promise<void>;

  constructor(private readonly life: LifecycleOptions) {
    this.outage = new OutageTracker(life.destination, life.logger, { summaryEveryMs: life.outageSummaryEveryMs });
  }

  /** Why a record offered now would be refused at once (closed, over maxPending), if it would. */
  refusal(): Error | undefined {
    if (this.closed) return this.closedError();
    const { maxPending, names } = this.life;
    if (this.unsettled.size >= maxPending)
      return new DestinationOverloadedError(names.overloaded, maxPending, names.maxPendingKey);
    return undefined;
  }

  /** Reachability: down during a streak of retryable failures, not after one refused batch. */
  health(): DestinationHealth {
    return this.outage.health();
  }

  /** Records held and not yet settled. */
  pending(): number {
    return this.unsettled.size;
  }

  /**
   * Stops taking records (refusal() says closed), spends up to `deadlineMs` getting what is
   * pending accepted, then rejects the rest with PUBLISHER_CLOSED (a request cut short may still
   * have landed, so duplicates may follow) and frees the connections. A settled record is never
   * touched.
   */
  close(deadlineMs: number): Promise<void> {
    this.closing ??= this.shutdown(deadlineMs);
    return this.closing;
  }

  /**
   * Holds `entry` until it is settled and returns its promise. The executor keeps nothing but
   * the entry: no closure context holding the record's key, group or topic.
   */
  protected hold(entry: E): Promise<void> {
    const promise = new Promise<void>((resolve, reject) => {
      entry.resolve = resolve;
      entry.reject = reject;
    });
    this.unsettled.add(entry);
    return promise;
  }

  /** What a record offered after close(), or unsettled at its deadline, rejects with. */
  protected closedError(): Error {
    return new DestinationClosedError(this.life.names.closed);
  }

  /** close() began: send what waits now instead of after its linger. */
  protected abstract flushAll(): void;
  /** The deadline passed or nothing is left: cancel timers and requests; nothing is sent after. */
  protected abstract stop(): void;
  /** Frees the connections; called once, after the rest was rejected. */
  protected abstract release(): void | Promise<void>;

  private async shutdown(deadlineMs: number): Promise<void> {
    this.closed = true;
    this.flushAll();
    await this.unsettled.drained(deadlineMs);
    this.finished = true;
    this.stop();
    // A request cut short may still land: the requeued deliveries may be published twice.
    this.unsettled.rejectAll(this.closedError());
    const released = this.release();
    if (released) await released;
  }
}
