/** The DMaaP publisher's face toward its callers: no AMQP types here. */
import { RelayError } from '../errors.js';

export interface PublishResult {
  readonly topic: string;
  /** HTTP status of the request that accepted it. */
  readonly status: number;
}

/** The codes a refusal by an HTTP destination (DMaaP, a VES collector) carries. */
export type PermanentCode = 'DMAAP_REJECTED' | 'DMAAP_RETRY_EXPIRED' | 'VES_REJECTED' | 'VES_RETRY_EXPIRED';

/**
 * A permanent failure for one message (disposition dead-letter): refused for good, or failing
 * past the retry window. Retryable failures are never surfaced: the publisher keeps retrying
 * (with backoff) until the message is accepted, is refused permanently, expires, or the
 * publisher closes.
 */
export class PermanentPublishError extends RelayError {
  constructor(
    code: PermanentCode,
    message: string,
    readonly status?: number,
  ) {
    super(code, message);
    this.name = 'PermanentPublishError';
  }
}

/** The publisher closed (shutdown, VIM removal) before the message was accepted: requeue. */
export class PublisherClosedError extends RelayError {
  constructor(destination = 'publisher') {
    super('PUBLISHER_CLOSED', `${destination} closed before the message was accepted`);
    this.name = 'PublisherClosedError';
  }
}

/**
 * The publisher holds more unsettled messages than its sanity cap. The caller's own bound
 * (the AMQP prefetch) should make this unreachable; seeing it means that bound is missing or
 * too large. The delivery is requeued, like PublisherClosedError.
 */
export class PublisherOverloadedError extends RelayError {
  constructor(
    readonly maxPending: number,
    key = 'publish.maxPending',
  ) {
    super('PUBLISHER_OVERLOADED', `publisher holds ${maxPending} unsettled messages (${key}); refusing more`);
    this.name = 'PublisherOverloadedError';
  }
}
