/**
 * The seam between the connection supervisor (supervisor.ts) and a protocol (amqp091/,
 * amqp10/), after Benthos' AsyncReader around Connect/Read/Close: a protocol only knows how to
 * open one session on one host and how to end it. Status, host round robin, backoff, the
 * connect timeout and slot, stop and close live once, in the supervisor.
 */
import type { TransportHost } from './transport-url.js';
import type { Delivery } from './types.js';

/** One live connection to one host, consuming. It ends once; the supervisor opens a new one. */
export interface Session {
  /**
   * Resolves (never rejects) once the session has ended, with why (secret-free, without the
   * host: the supervisor names it). Also resolves after close(). Deliveries of an ended
   * session settle as no-ops: the broker requeued them.
   */
  readonly closed: Promise<string>;
  /** Deliveries handed out and not yet settled. */
  unsettled(): number;
  /** Stops taking deliveries; those in hand can still be settled. */
  stopConsuming(): Promise<void>;
  /** Hands back whatever is unsettled and closes the connection. Idempotent. */
  close(): Promise<void>;
  /** Fields for the supervisor's "consuming" log line (queue, addresses, credit...). */
  readonly detail: Readonly<Record<string, unknown>>;
}

export interface OpenRequest {
  readonly host: TransportHost;
  readonly hostIndex: number;
  /** host:port, for texts (never credentials). */
  readonly label: string;
  /**
   * Aborts on the connect timeout or when the listener stops: the protocol then tears down
   * what it has built (socket included) and rejects.
   */
  readonly signal: AbortSignal;
  /** Call once the TCP connection is up: the process-wide connect slot then passes on. */
  readonly connected: () => void;
  /** Hands a delivery on (a throwing handler's delivery is requeued; after stop it goes straight back). */
  readonly deliver: (d: Delivery) => void;
  /**
   * false once the listener is stopping or its VIM is no longer registered as the listener has
   * it (ListenerHooks.stillWanted): a session then never declares its queue again.
   */
  readonly stillWanted: () => boolean;
}

export interface SessionOpener {
  /** Connects, logs in, declares and starts consuming on one host; rejects with the broker's error. */
  open(req: OpenRequest): Promise<Session>;
}
