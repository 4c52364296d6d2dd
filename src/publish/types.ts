/** The publisher's face toward the pipeline: no AMQP types here. */

export interface PublishResult {
  readonly topic: string;
  /** HTTP status of the request that accepted it. */
  readonly status: number;
}

/**
 * A permanent failure for one message: the pipeline dead-letters the delivery with `code`.
 * Retryable failures are never surfaced: the publisher keeps retrying (with backoff) until
 * the message is accepted, is refused permanently, expires (publish.maxRetryMs), or the
 * publisher is closed (then it rejects with PublisherClosedError and the delivery is requeued).
 */
/** The codes a refusal by an HTTP destination (DMaaP, a VES collector) carries. */
export type PermanentCode = 'DMAAP_REJECTED' | 'DMAAP_RETRY_EXPIRED' | 'VES_REJECTED' | 'VES_RETRY_EXPIRED';

export class PermanentPublishError extends Error {
  constructor(
    readonly code: PermanentCode,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'PermanentPublishError';
  }
}

export class PublisherClosedError extends Error {
  constructor() {
    super('publisher closed before the message was accepted');
    this.name = 'PublisherClosedError';
  }
}

export interface MessagePublisher {
  /** Resolves when DMaaP accepted `json` (one serialised message object) on `topic`. */
  publish(topic: string, json: string): Promise<PublishResult>;
}

/**
 * The publisher holds more unsettled messages than publish.maxPending. The caller's own bound
 * (the AMQP prefetch) should make this unreachable; seeing it means that bound is missing or
 * too large. The delivery is requeued, like PublisherClosedError.
 */
export class PublisherOverloadedError extends Error {
  constructor(readonly maxPending: number) {
    super(`publisher holds ${maxPending} unsettled messages (publish.maxPending); refusing more`);
    this.name = 'PublisherOverloadedError';
  }
}
