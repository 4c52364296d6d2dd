/**
 * One destination of relayed messages: DMaaP Message Router, Kafka, or a VES collector. The
 * pipeline hands each rendered message to the destination its subscription names and acks the
 * notification only when every destination accepted what it produced.
 *
 * A destination never surfaces a retryable failure: it keeps the record and retries (with
 * backoff) until it is accepted, refused for good, expired, or the destination closes. So the
 * promise of send() settles in one of three ways:
 * - resolves: accepted;
 * - rejects with a RelayError whose disposition is 'dead-letter' (refused for good, or the retry
 *   window expired); its message names the destination and the topic;
 * - rejects with a RelayError whose disposition is 'requeue' (closing, or over its sanity cap):
 *   the delivery goes back to the broker.
 * The pipeline settles by the code's disposition (src/errors.ts), in one place.
 */
import { RelayError } from '../errors.js';
export type DestinationName = 'dmaap' | 'kafka' | 'ves';

export const DESTINATION_NAMES: readonly DestinationName[] = ['dmaap', 'kafka', 'ves'];

/** What a subscription's `sink` may name (VES is driven by VES agent configurations, not subscriptions). */
export type SinkName = Exclude<DestinationName, 'ves'>;
export const SINK_NAMES: readonly SinkName[] = ['dmaap', 'kafka'];

export interface OutboundRecord {
  /** The DMaaP or Kafka topic; for VES, the VIM id whose VES agent configuration names the collector. */
  readonly topic: string;
  /** The serialised message: the VM or compute-node message, or one VES event object. */
  readonly json: string;
  /** Kafka record key (instance_id; compute-node: uuid, else host). Ignored elsewhere. */
  readonly key?: string;
  /** Kafka record headers. Ignored elsewhere. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** Reachability, for readiness: a refused batch is not an outage, a failing connection is. */
export interface DestinationHealth {
  readonly ok: boolean;
  /** When ok last changed. */
  readonly since: Date;
  /** Why not ok, secrets redacted. */
  readonly reason?: string;
}

export interface Destination {
  readonly name: DestinationName;
  send(record: OutboundRecord): Promise<void>;
  health(): DestinationHealth;
  /** Records handed to send() and not yet settled. */
  pending(): number;
  /**
   * Stop taking records (send() rejects with PUBLISHER_CLOSED), spend up to `deadlineMs` getting
   * what is pending accepted, then reject the rest with PUBLISHER_CLOSED and free the connections.
   */
  close(deadlineMs: number): Promise<void>;
}

/** What a destination reports of each request it made; metrics and logs are built from these. */
export interface RequestEvent {
  readonly destination: DestinationName;
  readonly topic: string;
  readonly count: number;
  /** HTTP status, or the Kafka error code as a number; absent when there was no answer. */
  readonly status?: number;
  readonly error?: string;
  readonly durationMs: number;
  readonly outcome: 'success' | 'retry' | 'partial' | 'permanent';
}

export interface RetryEvent {
  readonly destination: DestinationName;
  readonly topic: string;
  /** Records that will be sent again. */
  readonly count: number;
  readonly reason: string;
  readonly delayMs: number;
}

/** They run synchronously on the publishing path and must not throw. */
export interface DestinationHooks {
  onRequest?(event: RequestEvent): void;
  onRetry?(event: RetryEvent): void;
}

/**
 * A destination closed (shutdown, VIM removal) before it accepted the record: the delivery is
 * requeued (PUBLISHER_CLOSED). Every destination refuses with this one, naming itself.
 */
export class DestinationClosedError extends RelayError {
  constructor(destination: string) {
    super('PUBLISHER_CLOSED', `${destination} closed before the record was accepted; the delivery is requeued`);
    this.name = 'DestinationClosedError';
  }
}

/**
 * A destination holds more unsettled records than its sanity cap (PUBLISHER_OVERLOADED). The
 * AMQP prefetch should make this unreachable; the pipeline holds the record and offers it again
 * (publish/overload.ts).
 */
export class DestinationOverloadedError extends RelayError {
  constructor(
    destination: string,
    readonly maxPending: number,
    key: string,
  ) {
    super('PUBLISHER_OVERLOADED', `${destination} holds ${maxPending} unsettled records (${key}); refusing more`);
    this.name = 'DestinationOverloadedError';
  }
}
