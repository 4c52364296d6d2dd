/**
 * HttpBatcher: the delivery core of the HTTP destinations, the DMaaP publisher and the VES
 * destination. Records are batched per key (DMaaP: the topic; VES: the collector and the
 * domain) until the batch is full (batch.ts) or its linger runs out, or later while every request
 * slot is busy, so that it grows instead of queueing; at most maxInFlightRequests requests run at
 * once; each answer is classified (classify.ts) and planned (plan.ts): records accepted, refused
 * for good, or sent again after a backoff within the retry window. Each record's promise settles
 * once. A streak of retryable answers is an outage (outage.ts); a refusal neither starts nor ends
 * one, except that an outage ends once nothing waits any more (the last records expired).
 * Holding records unsettled, refusing them when closed or over maxPending, health and close()
 * are the lifecycle every destination shares (lifecycle.ts); close() also aborts the requests.
 *
 * What differs between destinations is their HttpPeer: how a batch is sent, what a refused
 * record rejects with, and the names in hooks, logs and errors.
 *
 * Memory: records are held until settled; the bound is the callers' (each AMQP listener has a
 * prefetch); maxPending only makes a missing bound visible (PUBLISHER_OVERLOADED).
 * Order: batches of one key may be in flight together and retries go behind newer batches, so
 * order within a key is not preserved.
 */
import PQueue from 'p-queue';
import type { Logger } from '../util/logger.js';
import { BatchAssembler, type Sized } from './batch.js';
import type { ResolvedBatchingOptions } from './batching-options.js';
import { classifyError, classifyResponse, describeError, type Outcome } from './classify.js';
import type { DmaapResponse } from './dmaap-client.js';
import type { DestinationHealth, DestinationName } from './destination.js';
import { DeliveryLifecycle, type DoorNames } from './lifecycle.js';
import { UNHELD, type Settleable } from './unsettled.js';
import { planAfter, type PeerCodes, type Plan, type PlanOptions } from './plan.js';
import type { PermanentPublishError } from './types.js';

/** One record held until settled. */
export interface BatchEntry extends Sized, Settleable {
  /** The record's own topic (DMaaP: the topic; VES: the VIM id). */
  readonly topic: string;
  readonly json: string;
}

/** What a destination adds to the core; `G` is what one key's batches go to. */
export interface HttpPeer<G> {
  readonly destination: DestinationName;
  /** How it names itself refusing a record after close() (PUBLISHER_CLOSED) or over maxPending (PUBLISHER_OVERLOADED). */
  readonly names: DoorNames;
  /** The codes and words of a refusal and of an expiry. */
  readonly codes: PeerCodes;
  /** The batch's name in hooks and the outage log (DMaaP: the topic; VES: the endpoint). */
  label(group: G): string;
  /** One request with `items` (never empty); resolves with any answer, rejects when there is none. */
  post(group: G, items: readonly BatchEntry[], signal: AbortSignal): Promise<DmaapResponse>;
  /** What the records refused for good reject with; `error` is the plan's (its message names no batch). */
  refused(group: G, items: readonly BatchEntry[], error: PermanentPublishError): Error;
  /** Frees the connections; called once, when close() has settled everything. */
  close(): void;
}

export interface HttpBatcherOptions extends ResolvedBatchingOptions {
  readonly logger: Logger;
  /** How often an outage is summarised in the log, ms; default the tracker's (10000). */
  readonly outageSummaryEveryMs?: number;
  /** Body bytes around the `[a,b,...]` batch.ts counts (VES: `{"eventList":}`); default 0. */
  readonly envelopeBytes?: number;
}

interface Batch<G> {
  readonly group: G;
  readonly items: readonly BatchEntry[];
  readonly attempt: number;
  readonly failingSince?: number;
}

export class HttpBatcher<G> extends DeliveryLifecycle<BatchEntry> {
  private readonly queue: PQueue;
  private readonly assembler: BatchAssembler<BatchEntry>;
  private readonly plan: PlanOptions;
  private readonly lingerTimers = new Map<string, NodeJS.Timeout>();
  /** The group of each key with an open batch, for the batch its linger or close() seals. */
  private readonly openGroups = new Map<string, G>();
  /** Keys whose linger ran out while every request slot was busy. */
  private readonly deferred = new Set<string>();
  /** Batches waiting for their retry, by timer; `paced` when the peer set the delay (Retry-After). */
  private readonly retryTimers = new Map<NodeJS.Timeout, { readonly batch: Batch<G>; readonly paced: boolean }>();
  private readonly abort = new AbortController();

  constructor(
    private readonly peer: HttpPeer<G>,
    private readonly o: HttpBatcherOptions,
  ) {
    super({
      destination: peer.destination,
      logger: o.logger,
      maxPending: o.maxPending,
      names: peer.names,
      outageSummaryEveryMs: o.outageSummaryEveryMs,
    });
    this.queue = new PQueue({ concurrency: o.maxInFlightRequests });
    this.assembler = new BatchAssembler({
      maxMessages: o.batchMaxMessages,
      maxBytes: Math.max(1, o.batchMaxBytes - (o.envelopeBytes ?? 0)),
    });
    this.plan = {
      retryInitialMs: o.retryInitialMs,
      retryMaxMs: o.retryMaxMs,
      maxRetryMs: o.maxRetryMs,
      random: o.random,
      peer: peer.codes,
    };
    this.queue.on('next', () => this.flushDeferred());
  }

  /**
   * Holds the record in `key`'s batch, which goes to `group`; settles once it is accepted,
   * refused for good, or the batcher closed. refusal() is the caller's to check first.
   */
  enqueue(key: string, group: G, topic: string, json: string): Promise<void> {
    const entry: BatchEntry = {
      topic,
      json,
      bytes: Buffer.byteLength(json),
      resolve: UNHELD,
      reject: UNHELD,
      settled: false,
    };
    const promise = this.hold(entry);
    const sealed = this.assembler.add(key, entry);
    if (sealed.length > 0) {
      this.stopLinger(key);
      for (const items of sealed) this.dispatch({ group, items, attempt: 0 });
    }
    if (this.assembler.has(key) && !this.lingerTimers.has(key)) this.startLinger(key, group);
    return promise;
  }

  protected flushAll(): void {
    for (const key of this.assembler.topics()) this.flush(key);
  }

  /** Aborts the requests in flight, drops the queued ones and the retries. */
  protected stop(): void {
    this.abort.abort(this.closedError());
    this.queue.clear();
    for (const t of this.retryTimers.keys()) clearTimeout(t);
    this.retryTimers.clear();
  }

  protected release(): void {
    this.peer.close();
  }

  private startLinger(key: string, group: G): void {
    this.openGroups.set(key, group);
    this.lingerTimers.set(
      key,
      setTimeout(() => this.onLinger(key), this.o.lingerMs),
    );
  }

  private onLinger(key: string): void {
    this.lingerTimers.delete(key);
    // With every slot busy, sealing now would only make the batch queue; let it grow until one frees.
    if (!this.closed && !this.slotFree()) this.deferred.add(key);
    else this.flush(key);
  }

  private slotFree(): boolean {
    return this.queue.size === 0 && this.queue.pending < this.o.maxInFlightRequests;
  }

  private flushDeferred(): void {
    if (this.deferred.size === 0 || !this.slotFree()) return;
    for (const key of [...this.deferred]) this.flush(key);
  }

  private flush(key: string): void {
    const group = this.openGroups.get(key);
    this.stopLinger(key);
    const items = this.assembler.take(key);
    if (items && group !== undefined) this.dispatch({ group, items, attempt: 0 });
  }

  private stopLinger(key: string): void {
    clearTimeout(this.lingerTimers.get(key));
    this.lingerTimers.delete(key);
    this.deferred.delete(key);
    this.openGroups.delete(key);
  }

  private dispatch(batch: Batch<G>): void {
    if (this.finished) return;
    this.queue
      .add(() => this.post(batch))
      .catch((err: unknown) => {
        // Only a bug (or a throwing hook) lands here; the callers hear of it rather than wait forever.
        const error = err instanceof Error ? err : new Error(String(err));
        for (const entry of batch.items) this.unsettled.reject(entry, error);
      });
  }

  private async post(batch: Batch<G>): Promise<void> {
    const items = batch.items.filter((e) => !e.settled);
    if (items.length === 0 || this.finished) return;
    const started = performance.now();
    let outcome: Outcome;
    let status: number | undefined;
    let error: string | undefined;
    try {
      const res = await this.peer.post(batch.group, items, this.abort.signal);
      status = res.status;
      outcome = classifyResponse(res.status, res.headers, res.body, items.length);
    } catch (err) {
      error = describeError(err);
      outcome = classifyError(err);
    }
    // Past the close deadline every entry was already rejected; this answer changes nothing.
    if (this.finished) return;
    const durationMs = performance.now() - started;
    const label = this.peer.label(batch.group);
    this.o.hooks?.onRequest?.({
      destination: this.peer.destination,
      topic: label,
      count: items.length,
      status,
      error,
      durationMs,
      outcome: outcome.kind,
    });
    const plan = planAfter(outcome, { ...batch, items }, status, Date.now(), this.plan);
    // A refusal of one batch says nothing of reachability (it neither starts nor ends an outage);
    // an answer that needs a resend does, also the last one of a retry window that expires with it.
    if (outcome.kind === 'success') {
      if (this.outage.success()) this.wakeRetries();
    } else if (outcome.kind !== 'permanent')
      this.outage.failure(label, outcome.reason, plan.resend[0]?.delayMs ?? 0, this.unsettled.size);
    this.apply(batch, label, plan);
  }

  private apply(batch: Batch<G>, label: string, plan: Plan<BatchEntry>): void {
    const { group } = batch;
    for (const entry of plan.accepted) this.unsettled.resolve(entry);
    const refused = plan.refused;
    if (refused) {
      const error = this.peer.refused(group, refused.items, refused.error);
      for (const entry of refused.items) this.unsettled.reject(entry, error);
      // The last waiting records expired or were refused: no answer is coming that could end
      // an outage, so it ends here (anything still unsettled will be answered and decide).
      if (this.unsettled.size === 0) this.outage.idle();
    }
    for (const next of plan.resend) {
      this.o.hooks?.onRetry?.({
        destination: this.peer.destination,
        topic: label,
        count: next.items.length,
        reason: next.reason,
        delayMs: next.delayMs,
      });
      const again: Batch<G> = { group, items: next.items, attempt: next.attempt, failingSince: next.failingSince };
      if (next.delayMs <= 0) {
        this.dispatch(again);
        continue;
      }
      const timer = setTimeout(() => {
        this.retryTimers.delete(timer);
        this.dispatch(again);
      }, next.delayMs);
      this.retryTimers.set(timer, { batch: again, paced: next.paced === true });
    }
  }

  /**
   * The peer accepted a request after an outage: the batches waiting out our own backoff (up to
   * retryMaxMs, 30 s by default) go now, through the request slots, instead of each waking on
   * its own timer while the backlog waits behind them. Delays the peer set (Retry-After) stand.
   */
  private wakeRetries(): void {
    for (const [timer, { batch, paced }] of this.retryTimers) {
      if (paced) continue;
      clearTimeout(timer);
      this.retryTimers.delete(timer);
      this.dispatch(batch);
    }
  }
}

/** What a Destination built on an HttpBatcher answers from it: health(), pending(), close(). */
export abstract class BatchingDestination<G> {
  protected abstract readonly batcher: HttpBatcher<G>;

  /** Reachability: down during a streak of retryable failures, not after one refused batch. */
  health(): DestinationHealth {
    return this.batcher.health();
  }

  /** Records handed to send() and not yet settled. */
  pending(): number {
    return this.batcher.pending();
  }

  /**
   * Stops taking records (they reject with PUBLISHER_CLOSED), spends up to `deadlineMs` getting
   * what is pending accepted, then rejects the rest with PUBLISHER_CLOSED (their deliveries are
   * requeued: a request cut short may still have landed, so duplicates may follow) and frees the
   * sockets. A record already accepted is never touched.
   */
  close(deadlineMs: number): Promise<void> {
    return this.batcher.close(deadlineMs);
  }
}
