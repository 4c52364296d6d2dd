/**
 * What every transport (amqp091/, amqp10/) hands the pipeline: a delivery carrying its own
 * settle functions (Benthos style), so "ack only after publish" is structural. The pipeline
 * never sees amqplib or rhea types.
 */
import type { EventEmitter } from 'node:events';

/**
 * The headers (0-9-1) and application properties (1.0) a dead-letter copy carries: operators'
 * tooling reads them, so both transports name them from here.
 */
export const DEAD_LETTER_HEADERS = {
  reasonCode: 'x-relay-reason-code',
  reason: 'x-relay-reason',
  vimId: 'x-relay-vim-id',
  /** 0-9-1: the routing key it came with; 1.0: the source address. */
  routingKey: 'x-relay-routing-key',
  source: 'x-relay-source',
  deadLetteredAt: 'x-relay-dead-lettered-at',
  /** Correlates a basic.return with the publish it answers (0-9-1). */
  id: 'x-relay-dead-letter-id',
} as const;

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

/** The type of a queue the relay creates; a queue that exists keeps its own. */
export type QueueType = 'quorum' | 'classic';

/**
 * What a listener needs to know about its VIM. config/vim.ts's VimConfig (the VIM with its
 * defaults applied) is assignable to it; transport/ defines its own so that it never imports
 * the config layer.
 */
export interface ListenerSpec {
  readonly id: string;
  readonly transportUrl: string;
  /** The control exchange nova publishes to (0-9-1; the default 1.0 addresses name it too). */
  readonly exchange: string;
  readonly exchangeDurable: boolean;
  readonly topics: readonly string[];
  readonly priorities: readonly string[];
  readonly queue: string;
  readonly deadLetterQueue: string;
  readonly queueType: QueueType;
  /** Quorum queues only: x-delivery-limit; 0 = the broker's default. */
  readonly deliveryLimit: number;
  readonly singleActiveConsumer: boolean;
  /** x-max-length with overflow drop-head; 0 = unbounded. */
  readonly maxLength: number;
  /** AMQP 1.0 only; empty = oslo's routable notification addresses. */
  readonly addresses: readonly string[];
}

/**
 * One VIM's consumer. Events: 'status' (ListenerStatusChange), once per change of `status`
 * (a newer reason for the same status updates `status.reason` without an event).
 * start() returns at once: connecting happens in the background (it waits its turn for a
 * process-wide connect slot), never throws on an unreachable broker, keeps reconnecting and
 * reports UNREACHABLE. A listener starts once: a second start() rejects.
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
