/**
 * What every transport (amqp091/, amqp10/) hands the pipeline: a delivery carrying its own
 * settle functions (Benthos style), so "ack only after publish" is structural. The pipeline
 * never sees amqplib or rhea types.
 */
import type { EventEmitter } from 'node:events';

export interface DeadLetterReason {
  /** A code from src/errors.ts. */
  readonly code: string;
  /** Human-readable, no secrets. */
  readonly message: string;
}

export interface Delivery {
  readonly vimId: string;
  readonly body: Buffer;
  /** AMQP routing key (0-9-1) or source address (1.0) it came from. */
  readonly source: string;
  /** true when the broker says it was delivered before (crash or requeue). */
  readonly redelivered: boolean;
  /** Settle as done: every topic accepted it. */
  ack(): void;
  /** Hand back to the broker for redelivery (shutdown, listener stop). */
  requeue(): void;
  /** Store the body with the reason in the VIM's dead-letter queue, then ack. Resolves once the broker confirmed the copy. */
  deadLetter(reason: DeadLetterReason): Promise<void>;
}

export type ListenerStatus = 'PENDING' | 'REACHABLE' | 'UNREACHABLE';

export interface ListenerStatusChange {
  readonly status: ListenerStatus;
  readonly since: Date;
  /** Why (on UNREACHABLE), secrets redacted. */
  readonly reason?: string;
}

/**
 * One VIM's consumer. Events: 'status' (ListenerStatusChange).
 * start() resolves once the first connection attempt is made (it does not throw on an
 * unreachable broker: it keeps reconnecting and reports UNREACHABLE).
 */
export interface VimListener extends EventEmitter {
  readonly vimId: string;
  readonly status: ListenerStatusChange;
  start(onDelivery: (d: Delivery) => void): Promise<void>;
  /** Stop consuming (cancel); deliveries in hand may still be settled until close(). */
  stopConsuming(): Promise<void>;
  /** Requeue whatever is unsettled and close the connection. */
  close(): Promise<void>;
}
