/**
 * Each topic's partition count, looked up (Metadata) before its first record is placed and again
 * after metadataMaxAgeMs; records of a topic whose count is not known yet wait here. A failed
 * lookup is classified like a produce: retried with backoff (a KafkaTopic not yet created answers
 * UNKNOWN_TOPIC_OR_PARTITION), refused for good (TOPIC_AUTHORIZATION_FAILED: the user lacks
 * Describe), or expired after kafka.maxRetryMs. A stale count keeps serving while it is refreshed.
 */
import { backoffDelay } from '../../util/backoff.js';
import { classifyKafkaError, type KafkaOutcome } from './classify.js';
import type { KafkaClient } from './client.js';
import type { ResolvedKafkaOptions } from './options.js';
import { retryWindow } from '../plan.js';

export type LookupOutcome = KafkaOutcome & { readonly expired?: number; readonly unreferenced?: true };

interface Route<E> {
  count?: number;
  fetchedAt: number;
  readonly waiting: E[];
  looking: boolean;
  attempt: number;
  failingSince?: number;
  timer?: NodeJS.Timeout;
}

export interface RouteEvents<E> {
  place(entry: E, partitionCount: number): void;
  /**
   * A lookup failed; `expired` is set when the retry window ran out for the waiting records,
   * `unreferenced` when no subscription names the topic any more: either way they are given up.
   */
  failed(topic: string, waiting: readonly E[], outcome: LookupOutcome, durationMs: number): void;
  retrying(topic: string, waiting: number, outcome: KafkaOutcome, delayMs: number): void;
  reached(topic: string): void;
  isFinished(): boolean;
}

export class TopicRoutes<E> {
  private readonly routes = new Map<string, Route<E>>();

  constructor(
    private readonly o: Pick<
      ResolvedKafkaOptions,
      'metadataMaxAgeMs' | 'maxRetryMs' | 'retryInitialMs' | 'retryMaxMs' | 'random' | 'isTopicWanted'
    >,
    private readonly client: Pick<KafkaClient, 'partitionsOf'>,
    private readonly events: RouteEvents<E>,
  ) {}

  route(topic: string, entry: E): void {
    let r = this.routes.get(topic);
    if (!r) {
      r = { fetchedAt: 0, waiting: [], looking: false, attempt: 0 };
      this.routes.set(topic, r);
    }
    if (r.count === undefined) {
      r.waiting.push(entry);
      if (!r.timer) this.lookup(topic, r);
      return;
    }
    if (Date.now() - r.fetchedAt >= this.o.metadataMaxAgeMs && !r.timer) this.lookup(topic, r);
    this.events.place(entry, r.count);
  }

  stop(): void {
    for (const r of this.routes.values()) clearTimeout(r.timer);
  }

  private lookup(topic: string, r: Route<E>): void {
    if (r.looking) return;
    r.looking = true;
    const started = performance.now();
    this.client.partitionsOf(topic).then(
      (count) => this.found(topic, r, count, performance.now() - started),
      (err: unknown) => this.missed(topic, r, classifyKafkaError(err), performance.now() - started),
    );
  }

  private found(topic: string, r: Route<E>, count: number, durationMs: number): void {
    r.looking = false;
    if (this.events.isFinished()) return;
    if (count < 1) {
      this.missed(
        topic,
        r,
        { kind: 'retry', reason: `topic ${topic} has no partitions in the cluster's metadata` },
        durationMs,
      );
      return;
    }
    r.count = count;
    r.fetchedAt = Date.now();
    r.attempt = 0;
    r.failingSince = undefined;
    this.events.reached(topic);
    for (const entry of r.waiting.splice(0)) this.events.place(entry, count);
  }

  private missed(topic: string, r: Route<E>, outcome: KafkaOutcome, durationMs: number): void {
    r.looking = false;
    if (this.events.isFinished()) return;
    if (r.count !== undefined && r.waiting.length === 0) {
      // A refresh of a known count failed: keep serving the old one, look again after the max age.
      r.fetchedAt = Date.now();
      return;
    }
    const window = retryWindow(r.failingSince, Date.now(), this.o.maxRetryMs);
    r.failingSince = window.failingSince;
    const expired = outcome.kind === 'retry' && window.expired;
    if (outcome.kind === 'retry' && !this.o.isTopicWanted(topic)) {
      this.abandon(topic, r, outcome, durationMs);
      return;
    }
    if (outcome.kind === 'permanent' || expired) {
      this.events.failed(
        topic,
        r.waiting.splice(0),
        expired ? { ...outcome, expired: window.elapsed } : outcome,
        durationMs,
      );
      r.failingSince = undefined;
      r.attempt = 0;
      return;
    }
    this.events.failed(topic, r.waiting, outcome, durationMs);
    const delayMs = backoffDelay(
      r.attempt++,
      { initialMs: this.o.retryInitialMs, maxMs: this.o.retryMaxMs },
      this.o.random,
    );
    this.events.retrying(topic, r.waiting.length, outcome, delayMs);
    r.timer = setTimeout(() => {
      r.timer = undefined;
      if (r.waiting.length === 0) return;
      // The subscription went while its records waited: give them up now, not after one more lookup.
      if (this.o.isTopicWanted(topic)) this.lookup(topic, r);
      else this.abandon(topic, r, outcome, 0);
    }, delayMs);
  }

  /** No subscription names the topic any more: what waits for it is settled, the route forgotten. */
  private abandon(topic: string, r: Route<E>, outcome: KafkaOutcome, durationMs: number): void {
    this.routes.delete(topic);
    this.events.failed(topic, r.waiting.splice(0), { ...outcome, unreferenced: true }, durationMs);
  }
}
