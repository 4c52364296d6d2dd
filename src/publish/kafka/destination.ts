/**
 * KafkaDestination: each record goes to the partition Kafka's default partitioner picks for its
 * key; each partition is a lane with at most one produce request in flight (acks=all), and a
 * bounded number of requests in flight over all lanes. A lane's batch that fails retriably is
 * sent again (with backoff, new records of the lane added behind it) before anything younger of
 * that partition: without an idempotent producer, two requests in flight to one partition could
 * land out of order when the first is retried, and one in flight per partition cannot.
 * A permanent refusal settles its batch (KAFKA_REJECTED) and the lane goes on; a record-sized
 * refusal in a batch of several is first retried record by record so only the culprit is refused.
 *
 * Holding records unsettled, refusing them when closed or over maxPending, health and close()
 * are the lifecycle every destination shares (lifecycle.ts).
 *
 * Memory: records are held until settled; the bound is the callers' (every listener's prefetch);
 * maxPending only makes a missing bound visible (PUBLISHER_OVERLOADED).
 */
import { UNHELD, type Settleable } from '../unsettled.js';
import { RelayError } from '../../errors.js';
import type { Logger } from '../../util/logger.js';
import { backoffDelay } from '../../util/backoff.js';
import type { Destination, OutboundRecord } from '../destination.js';
import { DeliveryLifecycle } from '../lifecycle.js';
import { retryWindow } from '../plan.js';
import { classifyKafkaError, isRecordScoped, type KafkaOutcome } from './classify.js';
import { KafkajsClient, type KafkaClient, type ProducedRecord } from './client.js';
import { resolveKafkaOptions, type KafkaDestinationOptions, type ResolvedKafkaOptions } from './options.js';
import { defaultPartitioner, type PartitionFor } from './partitions.js';
import { TopicRoutes, type LookupOutcome } from './routes.js';
import { topicProblem } from './topic-check.js';
import { Streaks } from './streaks.js';

interface Entry extends Settleable {
  readonly record: OutboundRecord;
  readonly bytes: number;
}

interface Lane {
  readonly topic: string;
  readonly partition: number;
  readonly queue: Entry[];
  /** Bytes of the records in queue (kept, not summed: a queue holds thousands during an outage). */
  queuedBytes: number;
  /** The batch in flight or waiting for its retry: nothing younger of this partition goes first. */
  batch?: Entry[];
  sending: boolean;
  attempt: number;
  failingSince?: number;
  /** Records still to be sent one per request after a record-sized refusal of their batch. */
  singles: number;
  linger?: NodeJS.Timeout;
  retry?: NodeJS.Timeout;
  /** The retry waits out a failure with no Kafka error code (no connection, no answer): the cluster's, not the partition's. */
  unreachable: boolean;
}

export interface KafkaDestinationDeps {
  readonly client?: KafkaClient;
  readonly partitionFor?: PartitionFor;
}

export class KafkaDestination extends DeliveryLifecycle<Entry> implements Destination {
  readonly name = 'kafka' as const;
  private readonly o: ResolvedKafkaOptions;
  private readonly client: KafkaClient;
  private readonly partitionFor: PartitionFor;
  private readonly streaks: Streaks;
  private readonly routes: TopicRoutes<Entry>;
  private readonly lanes = new Map<string, Lane>();
  private readonly slotWaiters = new Set<Lane>();
  private inFlight = 0;

  constructor(options: KafkaDestinationOptions, log: Logger, deps: KafkaDestinationDeps = {}) {
    const o = resolveKafkaOptions(options);
    super({
      destination: 'kafka',
      logger: log,
      maxPending: o.maxPending,
      names: { closed: 'kafka destination', overloaded: 'kafka', maxPendingKey: 'maxPending' },
    });
    this.o = o;
    this.client = deps.client ?? new KafkajsClient(this.o, log);
    this.partitionFor = deps.partitionFor ?? defaultPartitioner();
    this.streaks = new Streaks(this.outage);
    this.routes = new TopicRoutes<Entry>(this.o, this.client, {
      place: (entry, count) => this.place(entry, count),
      failed: (topic, entries, outcome, durationMs) => this.lookupFailed(topic, entries, outcome, durationMs),
      retrying: (topic, count, outcome, delayMs) => this.lookupRetrying(topic, count, outcome, delayMs),
      reached: (topic) => this.streaks.success(`lookup/${topic}`),
      isFinished: () => this.finished,
    });
  }

  send(record: OutboundRecord): Promise<void> {
    const refusal = this.refusal();
    if (refusal) return Promise.reject(refusal);
    const entry: Entry = {
      record,
      bytes: Buffer.byteLength(record.json),
      resolve: UNHELD,
      reject: UNHELD,
      settled: false,
    };
    const promise = this.hold(entry);
    try {
      this.routes.route(record.topic, entry);
    } catch (err) {
      // Only a bug lands here; the record's promise says so, as when routing ran in its executor.
      this.unsettled.reject(entry, err instanceof Error ? err : new Error(String(err)));
    }
    return promise;
  }

  /** Why records for `topic` would not be delivered now (topic-check.ts); undefined when it exists. */
  topicProblem(topic: string): Promise<string | undefined> {
    return topicProblem(this.client, topic, this.o.brokers, this.o.connectionTimeoutMs);
  }

  protected flushAll(): void {
    for (const lane of this.lanes.values()) this.kick(lane);
  }

  /** Stops the lookups, the lingers and the retries; a produce in flight is left to end unheard. */
  protected stop(): void {
    this.routes.stop();
    for (const lane of this.lanes.values()) {
      clearTimeout(lane.linger);
      clearTimeout(lane.retry);
    }
  }

  protected release(): Promise<void> {
    return this.client.disconnect();
  }

  private place(entry: Entry, partitionCount: number): void {
    if (entry.settled) return;
    const { topic, key } = entry.record;
    const partition = this.partitionFor(topic, key, partitionCount);
    const id = laneId({ topic, partition });
    let lane = this.lanes.get(id);
    if (!lane) {
      lane = {
        topic,
        partition,
        queue: [],
        queuedBytes: 0,
        sending: false,
        attempt: 0,
        singles: 0,
        unreachable: false,
      };
      this.lanes.set(id, lane);
    }
    lane.queue.push(entry);
    lane.queuedBytes += entry.bytes;
    this.kick(lane);
  }

  /** Send now when the batch is full (or closing), else after the linger. */
  private kick(lane: Lane): void {
    if (this.finished || lane.batch || lane.queue.length === 0) return;
    const full =
      this.closed ||
      lane.singles > 0 ||
      lane.queue.length >= this.o.batchMaxMessages ||
      lane.queuedBytes >= this.o.batchMaxBytes;
    if (!full) {
      lane.linger ??= setTimeout(() => {
        lane.linger = undefined;
        this.ready(lane);
      }, this.o.lingerMs);
      return;
    }
    clearTimeout(lane.linger);
    lane.linger = undefined;
    this.ready(lane);
  }

  private ready(lane: Lane): void {
    if (this.finished || lane.sending || lane.retry || (!lane.batch && lane.queue.length === 0)) return;
    if (this.inFlight >= this.o.maxInFlightRequests) {
      this.slotWaiters.add(lane);
      return;
    }
    lane.batch = this.take(lane);
    void this.produce(lane, lane.batch);
  }

  /** The lane's batch, topped up from its queue within the limits (the first record always goes). */
  private take(lane: Lane): Entry[] {
    const batch = (lane.batch ?? []).filter((e) => !e.settled);
    const maxMessages = lane.singles > 0 ? 1 : this.o.batchMaxMessages;
    let bytes = batch.reduce((n, e) => n + e.bytes, 0);
    let taken = 0;
    for (const next of lane.queue) {
      if (batch.length >= maxMessages || (batch.length > 0 && bytes + next.bytes > this.o.batchMaxBytes)) break;
      taken++;
      lane.queuedBytes -= next.bytes;
      if (next.settled) continue;
      batch.push(next);
      bytes += next.bytes;
    }
    lane.queue.splice(0, taken);
    if (lane.singles > 0) lane.singles--;
    return batch;
  }

  private async produce(lane: Lane, batch: Entry[]): Promise<void> {
    this.inFlight++;
    lane.sending = true;
    const started = performance.now();
    let outcome: KafkaOutcome | undefined;
    try {
      await this.client.produce(lane.topic, lane.partition, batch.map(toProduced));
    } catch (err) {
      outcome = classifyKafkaError(err);
    }
    this.inFlight--;
    lane.sending = false;
    if (this.finished) return;
    const durationMs = performance.now() - started;
    this.o.hooks?.onRequest?.({
      destination: 'kafka',
      topic: lane.topic,
      count: batch.length,
      durationMs,
      outcome: outcome?.kind ?? 'success',
      status: outcome?.code ?? 0,
      error: outcome?.reason,
    });
    if (!outcome) this.accepted(lane, batch);
    else if (outcome.kind === 'permanent') this.refused(lane, batch, outcome);
    else this.failed(lane, batch, outcome);
    for (const waiter of this.slotWaiters) {
      if (this.inFlight >= this.o.maxInFlightRequests) break;
      this.slotWaiters.delete(waiter);
      this.ready(waiter);
    }
  }

  private accepted(lane: Lane, batch: Entry[]): void {
    const recovered = lane.attempt > 0;
    lane.batch = undefined;
    lane.attempt = 0;
    lane.failingSince = undefined;
    this.streaks.success(laneId(lane));
    for (const entry of batch) this.unsettled.resolve(entry);
    this.kick(lane);
    if (recovered) this.wakeUnreachable(lane);
  }

  /**
   * A partition that was failing has just been answered: the lanes waiting out a backoff because
   * the cluster could not be reached try again now rather than when their timers say (up to
   * retryMaxMs later, with the listeners' prefetch held by their records meanwhile). Only on a
   * recovery, not on every success: lanes whose brokers are still down fail again and back off
   * further, and are woken again only by the next recovery. Partition-level failures (no leader,
   * not enough replicas) keep their timers: another partition's answer says nothing about them.
   */
  private wakeUnreachable(recovered: Lane): void {
    for (const lane of this.lanes.values()) {
      if (lane === recovered || !lane.retry || !lane.unreachable) continue;
      clearTimeout(lane.retry);
      lane.retry = undefined;
      this.ready(lane);
    }
  }

  private refused(lane: Lane, batch: Entry[], outcome: KafkaOutcome): void {
    lane.batch = undefined;
    if (batch.length > 1 && isRecordScoped(outcome)) {
      lane.queue.unshift(...batch);
      for (const entry of batch) lane.queuedBytes += entry.bytes;
      lane.singles = batch.length;
    } else {
      const error = new RelayError(
        'KAFKA_REJECTED',
        `kafka refused ${batch.length} record(s) for topic "${lane.topic}" (partition ${lane.partition}): ${outcome.reason}`,
      );
      for (const entry of batch) this.unsettled.reject(entry, error);
    }
    this.kick(lane);
  }

  private failed(lane: Lane, batch: Entry[], outcome: KafkaOutcome): void {
    if (!this.o.isTopicWanted(lane.topic)) {
      this.abandon(lane, batch, outcome.reason);
      return;
    }
    const window = retryWindow(lane.failingSince, Date.now(), this.o.maxRetryMs);
    lane.failingSince = window.failingSince;
    if (window.expired) {
      lane.batch = undefined;
      const error = new RelayError(
        'KAFKA_RETRY_EXPIRED',
        `kafka kept failing for topic "${lane.topic}" (partition ${lane.partition}) for ${window.elapsed} ms, over kafka.maxRetryMs; last error ${outcome.reason}`,
      );
      for (const entry of batch) this.unsettled.reject(entry, error);
      if (lane.queue.length === 0) this.streaks.idle(laneId(lane));
      this.kick(lane);
      return;
    }
    const delayMs = backoffDelay(
      lane.attempt++,
      { initialMs: this.o.retryInitialMs, maxMs: this.o.retryMaxMs },
      this.o.random,
    );
    this.streaks.failure(laneId(lane), lane.topic, outcome.reason, delayMs, this.unsettled.size);
    this.o.hooks?.onRetry?.({
      destination: 'kafka',
      topic: lane.topic,
      count: batch.length,
      reason: outcome.reason,
      delayMs,
    });
    lane.unreachable = outcome.code === undefined;
    lane.retry = setTimeout(() => {
      lane.retry = undefined;
      // The subscription went while the batch waited: give it up now rather than send it again.
      if (lane.batch && !this.o.isTopicWanted(lane.topic)) this.abandon(lane, lane.batch, outcome.reason);
      else this.ready(lane);
    }, delayMs);
  }

  /** No subscription names the lane's topic any more: its failed batch and its queue are settled. */
  private abandon(lane: Lane, batch: Entry[], reason: string): void {
    const entries = [...batch, ...lane.queue];
    clearTimeout(lane.linger);
    lane.linger = undefined;
    lane.batch = undefined;
    lane.queue.length = 0;
    lane.queuedBytes = 0;
    lane.attempt = 0;
    lane.failingSince = undefined;
    this.lanes.delete(laneId(lane));
    this.streaks.abandoned(laneId(lane));
    const error = unreferencedError(lane.topic, entries.length, reason);
    for (const entry of entries) this.unsettled.reject(entry, error);
  }

  /** A topic's partition lookup failed: its waiting records are refused, expired, or kept. */
  private lookupFailed(topic: string, entries: readonly Entry[], outcome: LookupOutcome, durationMs: number): void {
    this.o.hooks?.onRequest?.({
      destination: 'kafka',
      topic,
      count: entries.length,
      durationMs,
      outcome: outcome.kind,
      status: outcome.code ?? 0,
      error: outcome.reason,
    });
    if (outcome.unreferenced) {
      this.streaks.abandoned(`lookup/${topic}`);
      const error = unreferencedError(topic, entries.length, outcome.reason);
      for (const entry of entries) this.unsettled.reject(entry, error);
      return;
    }
    if (outcome.kind === 'permanent' || outcome.expired !== undefined) this.streaks.idle(`lookup/${topic}`);
    if (outcome.kind === 'permanent') {
      const error = new RelayError('KAFKA_REJECTED', `kafka refused topic "${topic}": ${outcome.reason}`);
      for (const entry of entries) this.unsettled.reject(entry, error);
    } else if (outcome.expired !== undefined) {
      const error = new RelayError(
        'KAFKA_RETRY_EXPIRED',
        `kafka kept failing for topic "${topic}" for ${outcome.expired} ms, over kafka.maxRetryMs; last error ${outcome.reason}`,
      );
      for (const entry of entries) this.unsettled.reject(entry, error);
    }
  }

  private lookupRetrying(topic: string, count: number, outcome: KafkaOutcome, delayMs: number): void {
    this.streaks.failure(`lookup/${topic}`, topic, outcome.reason, delayMs, this.unsettled.size);
    this.o.hooks?.onRetry?.({ destination: 'kafka', topic, count, reason: outcome.reason, delayMs });
  }
}

function toProduced(entry: Entry): ProducedRecord {
  const { key, json, headers } = entry.record;
  return { key, value: json, headers: { ...headers, 'content-type': 'application/json' } };
}

function laneId(lane: Pick<Lane, 'topic' | 'partition'>): string {
  return `${lane.partition}/${lane.topic}`;
}

function unreferencedError(topic: string, count: number, reason: string): RelayError {
  return new RelayError(
    'KAFKA_TOPIC_UNREFERENCED',
    `${count} record(s) waited for kafka topic "${topic}", which no subscription names any more; given up (last error ${reason})`,
  );
}
