/**
 * The records a destination holds and has not settled yet, each settled exactly once: accepted
 * (resolve), refused or closed (reject). What `pending()`, the maxPending cap and close()'s
 * drain-or-deadline read. Every destination holds its records here, through lifecycle.ts.
 * Settling takes no closure: on the hot path every accepted record passes through here.
 */
import { drainedWithin } from './drain.js';

/** A record's promise, as a destination keeps it: it resolves with nothing (Destination.send()). */
export interface Settleable {
  resolve: () => void;
  reject: (e: Error) => void;
  settled: boolean;
}

/** What a new entry's resolve and reject are until DeliveryLifecycle.hold() gives it its promise's. */
export const UNHELD = (): void => undefined;

export class Unsettled<E extends Settleable> {
  private readonly entries = new Set<E>();
  private onDrained?: () => void;

  get size(): number {
    return this.entries.size;
  }

  add(entry: E): void {
    this.entries.add(entry);
  }

  /** Accepted; a no-op for a record already settled. */
  resolve(entry: E): void {
    if (!this.release(entry)) return;
    entry.resolve();
    this.drainedYet();
  }

  /** Refused or closed; a no-op for a record already settled. */
  reject(entry: E, error: Error): void {
    if (!this.release(entry)) return;
    entry.reject(error);
    this.drainedYet();
  }

  /** Rejects every record still unsettled (close's deadline passed). */
  rejectAll(error: Error): void {
    for (const entry of [...this.entries]) this.reject(entry, error);
  }

  /** Resolves once nothing is unsettled, or after `deadlineMs`, whichever comes first. */
  async drained(deadlineMs: number): Promise<void> {
    if (this.entries.size > 0) await drainedWithin(deadlineMs, (drained) => (this.onDrained = drained));
  }

  /** Marks the entry settled; false if it already was. */
  private release(entry: E): boolean {
    if (entry.settled) return false;
    entry.settled = true;
    this.entries.delete(entry);
    return true;
  }

  private drainedYet(): void {
    if (this.entries.size === 0) this.onDrained?.();
  }
}
