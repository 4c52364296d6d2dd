/**
 * The error catalogue: every failure the relay reports has a stable code, a meaning,
 * a disposition (what happens to the notification or request), and an HTTP status
 * when it reaches the admin API. The README's "Error codes" table is checked against
 * this list by test/unit/errors.test.ts.
 */
export type Disposition =
  | 'dead-letter' // the notification goes to the VIM's dead-letter queue with this code as reason
  | 'retry' // kept unacked and retried; nothing is lost
  | 'requeue' // handed back to the broker unacked (shutdown, VIM removal, overload); redelivered later
  | 'reject-request' // an admin API request is refused; nothing changes
  | 'exit' // the process cannot start or continue
  | 'ignore'; // a notification that matches no subscription: acked, counted as filtered

export interface ErrorSpec {
  readonly status: number;
  readonly disposition: Disposition;
  readonly meaning: string;
}

export const ERRORS = {
  // notifications (dead-lettered with the code in header x-relay-reason-code)
  NOT_JSON: { status: 400, disposition: 'dead-letter', meaning: 'The body is not valid UTF-8 JSON.' },
  BAD_ENVELOPE: {
    status: 400,
    disposition: 'dead-letter',
    meaning: 'The oslo envelope is not 2.0 or its oslo.message is not a JSON object string.',
  },
  NOT_A_NOTIFICATION: {
    status: 400,
    disposition: 'dead-letter',
    meaning: 'The body lacks event_type or payload, or a field has the wrong type.',
  },
  BODY_TOO_LARGE: { status: 413, disposition: 'dead-letter', meaning: 'The body exceeds transport.maxBodyBytes.' },
  UNMAPPABLE: {
    status: 422,
    disposition: 'dead-letter',
    meaning: 'A subscribed notification could not be normalised into the published message.',
  },
  DMAAP_REJECTED: {
    status: 502,
    disposition: 'dead-letter',
    meaning: 'DMaaP refused the batch permanently (a 4xx other than 404-partial, 408, 429).',
  },
  DMAAP_RETRY_EXPIRED: {
    status: 504,
    disposition: 'dead-letter',
    meaning: 'DMaaP kept failing for longer than publish.maxRetryMs.',
  },
  DMAAP_UNAVAILABLE: {
    status: 503,
    disposition: 'retry',
    meaning: 'DMaaP answered 408, 429, 5xx, a partial publish, or not at all; the batch is retried with backoff.',
  },
  KAFKA_REJECTED: {
    status: 502,
    disposition: 'dead-letter',
    meaning:
      'Kafka refused the record for good (topic authorization, record too large, invalid record); the reason names the topic and the Kafka error.',
  },
  KAFKA_RETRY_EXPIRED: {
    status: 504,
    disposition: 'dead-letter',
    meaning: 'Kafka kept failing for longer than kafka.maxRetryMs.',
  },
  KAFKA_TOPIC_UNREFERENCED: {
    status: 410,
    disposition: 'dead-letter',
    meaning:
      'The record waited for a Kafka topic (missing, or failing) that no subscription names any more: it was deleted or moved to another topic or sink; the delivery is dead-lettered, not retried for ever.',
  },
  KAFKA_UNAVAILABLE: {
    status: 503,
    disposition: 'retry',
    meaning:
      'No Kafka broker answered, or it answered a retriable error (no leader, not enough replicas, timeout); the record is retried with backoff.',
  },
  VES_REJECTED: {
    status: 502,
    disposition: 'dead-letter',
    meaning:
      "The VES collector refused the event for good (a 4xx other than 408 and 429); the reason holds the collector's answer.",
  },
  VES_RETRY_EXPIRED: {
    status: 504,
    disposition: 'dead-letter',
    meaning: 'The VES collector kept failing for longer than ves.maxRetryMs.',
  },
  VES_UNAVAILABLE: {
    status: 503,
    disposition: 'retry',
    meaning: 'The VES collector answered 408, 429, 5xx or not at all; the batch is retried with backoff.',
  },
  SINK_NOT_CONFIGURED: {
    status: 409,
    disposition: 'dead-letter',
    meaning: 'A subscription names a sink (kafka) that the configuration does not set up (kafka.brokers is empty).',
  },
  PUBLISHER_CLOSED: {
    status: 503,
    disposition: 'requeue',
    meaning:
      'A destination closed (shutdown, VIM removal) before accepting the message; the notification is requeued and redelivered.',
  },
  PUBLISHER_OVERLOADED: {
    status: 503,
    disposition: 'requeue',
    meaning:
      'A destination holds more unsettled messages than its sanity cap (publish.maxPending for DMaaP); the record is held and offered again after a short backoff, its delivery unacked (a missing prefetch bound).',
  },
  // configuration and start-up
  CONFIG_INVALID: {
    status: 400,
    disposition: 'exit',
    meaning: 'The configuration has an unknown key or a bad value; the message names the key and the fix.',
  },
  STORE_CORRUPT: {
    status: 500,
    disposition: 'exit',
    meaning: 'The store file exists but cannot be read as a store; it is never replaced silently.',
  },
  BROKER_UNREACHABLE: {
    status: 503,
    disposition: 'retry',
    meaning: "A VIM's broker cannot be reached or refused the session; the listener reconnects with backoff.",
  },
  BROKER_REFUSED: {
    status: 503,
    disposition: 'retry',
    meaning:
      'The broker refused a declaration (e.g. 406 PRECONDITION_FAILED); the listener retries with backoff and reports why.',
  },
  // admin API
  VALIDATION_FAILED: {
    status: 400,
    disposition: 'reject-request',
    meaning: 'The request body does not match the schema; the message names the field.',
  },
  UNAUTHORIZED: {
    status: 401,
    disposition: 'reject-request',
    meaning:
      'admin.authToken is set and the request lacks a matching bearer token, or admin.tls.clientCaFile is set and the request came without a client certificate it signed.',
  },
  FORBIDDEN: {
    status: 403,
    disposition: 'reject-request',
    meaning: 'The read token (admin.readToken) asked for a change; changes need the admin token (admin.authToken).',
  },
  NOT_FOUND: { status: 404, disposition: 'reject-request', meaning: 'No such route, VIM or subscription.' },
  METHOD_NOT_ALLOWED: {
    status: 405,
    disposition: 'reject-request',
    meaning: 'The route exists but not for this method.',
  },
  CONFLICT: {
    status: 409,
    disposition: 'reject-request',
    meaning: 'The change conflicts with the current state (e.g. a subscription for an unknown VIM).',
  },
  PAYLOAD_TOO_LARGE: {
    status: 413,
    disposition: 'reject-request',
    meaning: 'The request body exceeds admin.bodyLimitBytes.',
  },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    disposition: 'reject-request',
    meaning: 'The request body is not application/json.',
  },
  STORE_UNAVAILABLE: {
    status: 503,
    disposition: 'reject-request',
    meaning:
      'The shared store (PostgreSQL) cannot be reached; relaying goes on, admin writes are refused until it returns.',
  },
  INTERNAL: { status: 500, disposition: 'reject-request', meaning: 'An unexpected error; the log has the details.' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

/** An error that carries a catalogue code. Its message is safe to log and to answer with: it never holds a secret. */
export class RelayError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RelayError';
    this.code = code;
  }
  get spec(): ErrorSpec {
    return ERRORS[this.code];
  }
}

export function isRelayError(e: unknown): e is RelayError {
  return e instanceof RelayError;
}
