/**
 * VesDestination: VES events to each VIM's collector. A record's topic is the VIM id, its json
 * one VES event; the collector (endpoint, credentials) is looked up at send time, so a changed
 * VES agent configuration applies to the next event.
 *
 * Events are batched per collector and per domain (the collector refuses a batch mixing domains
 * since 1.10.0): one event goes as {"event": ...} to the endpoint, several as
 * {"eventList": [...]} to <endpoint>/eventBatch. Any 2xx is accepted (the collector answers
 * 202); network errors, timeouts, 408, 429 and 5xx are retried with backoff (Retry-After
 * honoured) for up to ves.maxRetryMs; any other 4xx refuses the batch for good with the
 * collector's answer. Batching, requests in flight, classification, retries, the outage and close
 * are the HTTP destinations' shared core (src/publish/batching.ts), as for DMaaP.
 */
import { readFileSync } from 'node:fs';
import { RelayError } from '../../errors.js';
import type { VesSubscription } from '../../model/ves.js';
import { BatchingDestination, HttpBatcher } from '../batching.js';
import type { Destination, OutboundRecord } from '../destination.js';
import { VES_PEER } from '../plan.js';
import { CollectorClients, collectorKey } from './collectors.js';
import { resolveVesOptions, type ResolvedVesOptions, type VesDestinationOptions } from './options.js';

/** The events of one collector and one domain: what a batch goes to. */
interface Group {
  readonly key: string;
  readonly collector: VesSubscription;
  /** The endpoint: the "topic" of hooks and logs (it carries no credentials: the schema forbids a user part). */
  readonly label: string;
}

/** {"eventList":} around the `[...]` the assembler counts. */
const BATCH_ENVELOPE_BYTES = 14;

export class VesDestination extends BatchingDestination<Group> implements Destination {
  readonly name = 'ves' as const;
  private readonly o: ResolvedVesOptions;
  protected readonly batcher: HttpBatcher<Group>;

  constructor(options: VesDestinationOptions) {
    super();
    this.o = resolveVesOptions(options);
    // Read once here so that a missing CA stops the start, instead of failing every request.
    if (this.o.caFile) readCaOrThrow(this.o.caFile);
    const clients = new CollectorClients({
      caFile: this.o.caFile,
      timeoutMs: this.o.timeoutMs,
      maxSockets: this.o.maxInFlightRequests,
    });
    const logger = this.o.logger;
    this.batcher = new HttpBatcher<Group>(
      {
        destination: 'ves',
        names: { closed: 'the VES destination', overloaded: 'the VES destination', maxPendingKey: 'maxPending' },
        codes: VES_PEER,
        label: (group) => group.label,
        post: (group, items, signal) => {
          const [path, body] =
            items.length === 1
              ? ['', `{"event":${items[0].json}}`]
              : ['/eventBatch', `{"eventList":[${items.map((e) => e.json).join(',')}]}`];
          return clients.use(group.key, group.collector, (c) => c.post(path, body, signal));
        },
        refused: (group, items, refusal) => {
          const error = new RelayError(
            refusal.code,
            `VES collector ${group.label} (VIM ${items[0]?.topic}): ${refusal.message}`,
          );
          logger.warn('VES collector refused events', {
            destination: 'ves',
            topic: group.label,
            code: error.code,
            reason: refusal.message,
            count: items.length,
          });
          return error;
        },
        close: () => clients.closeAll(),
      },
      { ...this.o, envelopeBytes: BATCH_ENVELOPE_BYTES },
    );
  }

  send(record: OutboundRecord): Promise<void> {
    const refusal = this.batcher.refusal();
    if (refusal) return Promise.reject(refusal);
    const collector = this.o.collectorFor(record.topic);
    if (!collector) {
      // The configuration was deleted while the event was on its way: VES events for that VIM stop.
      this.o.logger.info('VES event dropped: the VIM has no VES agent configuration any more', { vim: record.topic });
      return Promise.resolve();
    }
    const domain = domainOf(record.json);
    if (!domain)
      return Promise.reject(
        new RelayError('VES_REJECTED', `VES event for VIM ${record.topic} has no commonEventHeader.domain; not sent`),
      );
    // A fresh group per event, not a cache: the batch its key opens keeps the first one, and a
    // map of them would keep every collector (and password) a VIM ever had for the process's life.
    const key = `${collectorKey(collector)}\u0000${domain}`;
    const group: Group = { key, collector, label: collector.endpoint };
    return this.batcher.enqueue(group.key, group, record.topic, record.json);
  }
}

function domainOf(json: string): string | undefined {
  try {
    const domain = (JSON.parse(json) as { commonEventHeader?: { domain?: unknown } }).commonEventHeader?.domain;
    return typeof domain === 'string' && domain !== '' ? domain : undefined;
  } catch {
    return undefined;
  }
}

function readCaOrThrow(path: string): void {
  try {
    readFileSync(path);
  } catch (err) {
    throw new RelayError(
      'CONFIG_INVALID',
      `ves.caFile: cannot read ${path}: ${(err as Error).message}; point it at a PEM CA bundle or leave it empty for the system CAs`,
    );
  }
}
