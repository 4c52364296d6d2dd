/**
 * DmaapPublisher: records to Message Router topics, `POST /events/{topic}` with a JSON array of
 * the topic's batch. Batching per topic, the bounded requests in flight, retries and close are
 * the HTTP destinations' shared core (batching.ts); a promise per message settles only when
 * Message Router accepted it, refused it for good, or the publisher closed.
 *
 * Order: batches of one topic may be in flight together and retries go behind newer batches, so
 * order within a topic is not preserved (Message Router over Kafka does not promise it either).
 */
import { BatchingDestination, HttpBatcher } from '../batching.js';
import { DmaapClient, type BatchPoster } from '../dmaap-client.js';
import { resolvePublisherOptions, type DmaapPublisherOptions } from './options.js';
import { DMAAP_PEER } from '../plan.js';
import { PermanentPublishError, type PermanentCode } from '../types.js';
import type { Destination, OutboundRecord } from '../destination.js';
import { silentLogger, type Logger } from '../../util/logger.js';

export class DmaapPublisher extends BatchingDestination<string> implements Destination {
  readonly name = 'dmaap';
  /** DMaaP's batches are per topic: the topic is the key and what a batch goes to. */
  protected readonly batcher: HttpBatcher<string>;

  /** `client` replaces the HTTP client (unit tests drive the publisher with a scripted one). */
  constructor(options: DmaapPublisherOptions, logger: Logger = silentLogger(), client?: BatchPoster) {
    super();
    const o = resolvePublisherOptions(options);
    const poster = client ?? new DmaapClient({ ...o, maxSockets: o.maxInFlightRequests });
    this.batcher = new HttpBatcher<string>(
      {
        destination: 'dmaap',
        names: { closed: 'DMaaP publisher', overloaded: 'DMaaP publisher', maxPendingKey: 'publish.maxPending' },
        codes: DMAAP_PEER,
        label: (topic) => topic,
        post: (topic, items, signal) => poster.postBatch(topic, items, signal),
        // The reason names the topic: with several topics, "HTTP 403" alone does not say which refused.
        refused: (topic, _items, e) =>
          new PermanentPublishError(e.code as PermanentCode, `DMaaP topic ${topic}: ${e.message}`, e.status),
        close: () => poster.close(),
      },
      { ...o, logger },
    );
  }

  /** Resolves once Message Router accepted the record's JSON on its topic. */
  send(record: OutboundRecord): Promise<void> {
    const refusal = this.batcher.refusal();
    if (refusal) return Promise.reject(refusal);
    const { topic } = record;
    return this.batcher.enqueue(topic, topic, topic, record.json);
  }
}
