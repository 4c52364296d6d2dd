/**
 * DmaapPublisher: per-topic batching, a bounded number of requests in flight, retry with
 * backoff, and a promise per message that settles only when Message Router accepted it, refused
 * it for good, or the publisher closed.
 *
 * Memory: messages are held until settled. The bound comes from the caller: each AMQP listener
 * has a prefetch, so at most the sum of prefetches is unsettled here. `maxPending` is only a
 * sanity cap that makes a missing bound visible (PublisherOverloadedError) instead of growing.
 *
 * Order: batches of one topic may be in flight together and retries go behind newer batches, so
 * order within a topic is not preserved (Message Router over Kafka does not promise it either).
 */
import { drainedWithin } from './drain.js';
import PQueue from 'p-queue';
import { BatchAssembler, type Sized } from './batch.js';
import { classifyError, classifyResponse, describeError, type Outcome } from './classify.js';
import { DmaapClient, type BatchPoster } from './dmaap-client.js';
import { resolvePublisherOptions, type DmaapPublisherOptions, type ResolvedPublisherOptions } from './options.js';
import { planAfter, type Plan } from './plan.js';
import { PermanentPublishError, PublisherClosedError, PublisherOverloadedError, type PublishResult } from './types.js';
import type { Destination, DestinationHealth, OutboundRecord } from './destination.js';
import { OutageTracker } from './outage.js';
import { silentLogger, type Logger } from '../util/logger.js';

export interface PublisherHealth {
  /** The last request got a 2xx (also true before the first request). */
  readonly ok: boolean;
  readonly lastError?: string;
  readonly lastStatus?: number;
}

interface Entry extends Sized {
  readonly json: string;
  readonly resolve: (r: PublishResult) => void;
  readonly reject: (e: Error) => void;
  settled: boolean;
}

interface Batch {
  readonly topic: string;
  readonly items: readonly Entry[];
  readonly attempt: number;
  readonly failingSince?: number;
}

export class DmaapPublisher implements Destination {
  readonly name = 'dmaap';
  private readonly o: ResolvedPublisherOptions;
  private readonly outage: OutageTracker;
  private readonly client: BatchPoster;
  private readonly queue: PQueue;
  private readonly assembler: BatchAssembler<Entry>;
  private readonly lingerTimers = new Map<string, NodeJS.Timeout>();
  /** Topics whose linger ran out while every request slot was busy. */
  private readonly deferred = new Set<string>();
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private readonly unsettled = new Set<Entry>();
  private readonly abort = new AbortController();
  private last: PublisherHealth = { ok: true };
  private closed = false;
  private finished = false;
  private closing?: Promise<void>;
  private onDrained?: () => void;

  /** `client` replaces the HTTP client (unit tests drive the publisher with a scripted one). */
  constructor(options: DmaapPublisherOptions, logger: Logger = silentLogger(), client?: BatchPoster) {
    this.o = resolvePublisherOptions(options);
    this.outage = new OutageTracker('dmaap', logger);
    this.client = client ?? new DmaapClient({ ...this.o, maxSockets: this.o.maxInFlightRequests });
    this.queue = new PQueue({ concurrency: this.o.maxInFlightRequests });
    this.assembler = new BatchAssembler({ maxMessages: this.o.batchMaxMessages, maxBytes: this.o.batchMaxBytes });
    this.queue.on('next', () => this.flushDeferred());
  }

  /** The Destination face: resolves once Message Router accepted the record's JSON on its topic. */
  async send(record: OutboundRecord): Promise<void> {
    await this.publish(record.topic, record.json);
  }

  publish(topic: string, json: string): Promise<PublishResult> {
    if (this.closed) return Promise.reject(new PublisherClosedError('DMaaP publisher'));
    if (this.unsettled.size >= this.o.maxPending)
      return Promise.reject(new PublisherOverloadedError(this.o.maxPending));
    return new Promise<PublishResult>((resolve, reject) => {
      const entry: Entry = { json, bytes: Buffer.byteLength(json), resolve, reject, settled: false };
      this.unsettled.add(entry);
      const sealed = this.assembler.add(topic, entry);
      if (sealed.length > 0) {
        this.stopLinger(topic);
        for (const items of sealed) this.dispatch({ topic, items, attempt: 0 });
      }
      if (this.assembler.has(topic) && !this.lingerTimers.has(topic)) {
        this.lingerTimers.set(
          topic,
          setTimeout(() => this.onLinger(topic), this.o.lingerMs),
        );
      }
    });
  }

  /** How the last request ended (for tests and diagnosis; readiness uses health()). */
  healthy(): PublisherHealth {
    return this.last;
  }

  /** Reachability: down during a streak of retryable failures, not after one refused batch. */
  health(): DestinationHealth {
    return this.outage.health();
  }

  /** Messages handed to publish() and not yet settled. */
  pending(): number {
    return this.unsettled.size;
  }

  /**
   * Stops taking messages (they reject with PublisherClosedError), spends up to `deadlineMs`
   * getting what is pending accepted, then rejects the rest with PublisherClosedError (their
   * deliveries are requeued: a request cut short may still have landed, so duplicates may follow)
   * and frees the sockets. A message already resolved is never touched.
   */
  close(deadlineMs: number): Promise<void> {
    this.closing ??= this.shutdown(deadlineMs);
    return this.closing;
  }

  private async shutdown(deadlineMs: number): Promise<void> {
    this.closed = true;
    for (const topic of this.assembler.topics()) this.flush(topic);
    if (this.unsettled.size > 0) await drainedWithin(deadlineMs, (drained) => (this.onDrained = drained));
    this.finished = true;
    this.abort.abort(new PublisherClosedError());
    this.queue.clear();
    for (const t of this.retryTimers) clearTimeout(t);
    this.retryTimers.clear();
    for (const entry of [...this.unsettled])
      this.settle(entry, () => entry.reject(new PublisherClosedError('DMaaP publisher')));
    this.client.close();
  }

  private onLinger(topic: string): void {
    this.lingerTimers.delete(topic);
    // With every slot busy, sealing now would only make the batch queue; let it grow until one frees.
    if (!this.closed && !this.slotFree()) this.deferred.add(topic);
    else this.flush(topic);
  }

  private slotFree(): boolean {
    return this.queue.size === 0 && this.queue.pending < this.o.maxInFlightRequests;
  }

  private flushDeferred(): void {
    if (this.deferred.size === 0 || !this.slotFree()) return;
    for (const topic of [...this.deferred]) this.flush(topic);
  }

  private flush(topic: string): void {
    this.stopLinger(topic);
    const items = this.assembler.take(topic);
    if (items) this.dispatch({ topic, items, attempt: 0 });
  }

  private stopLinger(topic: string): void {
    clearTimeout(this.lingerTimers.get(topic));
    this.lingerTimers.delete(topic);
    this.deferred.delete(topic);
  }

  private dispatch(batch: Batch): void {
    if (this.finished) return;
    this.queue
      .add(() => this.post(batch))
      .catch((err: unknown) => {
        // Only a bug (or a throwing hook) lands here; the callers hear of it rather than wait forever.
        const error = err instanceof Error ? err : new Error(String(err));
        for (const entry of batch.items) this.settle(entry, () => entry.reject(error));
      });
  }

  private async post(batch: Batch): Promise<void> {
    const items = batch.items.filter((e) => !e.settled);
    if (items.length === 0 || this.finished) return;
    const started = performance.now();
    let outcome: Outcome;
    let status: number | undefined;
    let error: string | undefined;
    try {
      const res = await this.client.postBatch(
        batch.topic,
        items.map((e) => e.json),
        this.abort.signal,
      );
      status = res.status;
      outcome = classifyResponse(res.status, res.headers, res.body, items.length);
    } catch (err) {
      error = describeError(err);
      outcome = classifyError(err);
    }
    // Past the close deadline every entry was already rejected; this answer changes nothing.
    if (this.finished) return;
    const durationMs = performance.now() - started;
    this.last =
      outcome.kind === 'success'
        ? { ok: true, lastStatus: status }
        : { ok: false, lastStatus: status, lastError: error ?? outcome.reason };
    this.o.hooks?.onRequest?.({
      destination: 'dmaap',
      topic: batch.topic,
      count: items.length,
      status,
      error,
      durationMs,
      outcome: outcome.kind,
    });
    const plan = planAfter(outcome, { ...batch, items }, status, Date.now(), this.o);
    // A refusal of one batch says nothing of reachability (it neither starts nor ends an outage);
    // an answer that needs a resend does, also the last one of a retry window that expires with it.
    if (outcome.kind === 'success') this.outage.success();
    else if (outcome.kind !== 'permanent')
      this.outage.failure(batch.topic, outcome.reason, plan.resend[0]?.delayMs ?? 0, this.unsettled.size);
    this.apply(batch.topic, status, plan);
  }

  private apply(topic: string, status: number | undefined, plan: Plan<Entry>): void {
    const result: PublishResult = { topic, status: status ?? 0 };
    for (const entry of plan.accepted) this.settle(entry, () => entry.resolve(result));
    const refused = plan.refused;
    if (refused) {
      // The reason names the topic: with several topics, "HTTP 403" alone does not say which refused.
      const { code, message, status: refusedStatus } = refused.error;
      const error = new PermanentPublishError(
        code as 'DMAAP_REJECTED' | 'DMAAP_RETRY_EXPIRED',
        `DMaaP topic ${topic}: ${message}`,
        refusedStatus,
      );
      for (const entry of refused.items) this.settle(entry, () => entry.reject(error));
    }
    for (const next of plan.resend) {
      this.o.hooks?.onRetry?.({
        destination: 'dmaap',
        topic,
        count: next.items.length,
        reason: next.reason,
        delayMs: next.delayMs,
      });
      const batch: Batch = { topic, items: next.items, attempt: next.attempt, failingSince: next.failingSince };
      if (next.delayMs <= 0) {
        this.dispatch(batch);
        continue;
      }
      const timer = setTimeout(() => {
        this.retryTimers.delete(timer);
        this.dispatch(batch);
      }, next.delayMs);
      this.retryTimers.add(timer);
    }
  }

  private settle(entry: Entry, how: () => void): void {
    if (entry.settled) return;
    entry.settled = true;
    this.unsettled.delete(entry);
    how();
    if (this.unsettled.size === 0) this.onDrained?.();
  }
}
