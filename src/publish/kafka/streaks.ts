/**
 * Reachability over many partitions and topic lookups: Kafka is failing while any of them is in a
 * retriable streak, and recovers when the last of them is answered again. One OutageTracker
 * (one warn, summaries, one recovery line) over all of them: with one partition leaderless and
 * the others fine, the log says "failing" once, not "failing, recovered" at every request.
 */
import type { OutageTracker } from '../outage.js';

export class Streaks {
  private readonly failing = new Set<string>();

  /** `tracker` is the destination's own (lifecycle.ts), which its health() reads. */
  constructor(private readonly tracker: OutageTracker) {}

  /** `id` (a partition or a topic lookup) failed retriably; `waiting` = records held in all. */
  failure(id: string, topic: string, reason: string, retryInMs: number, waiting: number): void {
    this.failing.add(id);
    this.tracker.failure(topic, reason, retryInMs, waiting);
  }

  /** `id` was answered. */
  success(id: string): void {
    this.failing.delete(id);
    if (this.failing.size === 0) this.tracker.success();
  }

  /**
   * Nothing waits on `id` any more (its records expired): it stops counting, and once nothing
   * else is failing the outage is over (not a recovery: the next record's answer starts another
   * if Kafka is still down). Without this, readiness would stay 503 with nothing to deliver.
   */
  idle(id: string): void {
    this.failing.delete(id);
    if (this.failing.size === 0) this.tracker.idle();
  }

  /**
   * Nothing will be sent to `id` again (no subscription names its topic): it stops counting and,
   * when nothing else is failing, Kafka counts as answering again (the outage is over for the
   * subscriptions that remain).
   */
  abandoned(id: string): void {
    this.success(id);
  }
}
