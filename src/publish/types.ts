/** How an HTTP destination (DMaaP, a VES collector) refuses a record for good: its codes and its error. */
import { RelayError } from '../errors.js';

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
