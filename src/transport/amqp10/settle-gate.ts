/**
 * Works around a rhea 3.0.5 bug that loses messages. rhea sends the dispositions queued in one
 * processing pass as ranges of consecutive delivery ids, and while a range holds a single
 * delivery it appends the next one without comparing outcomes (session.js, write_dispositions:
 * `first !== last && !are_outcomes_equivalent(...)`). So `accept(0); release(1)` in the same
 * tick goes out as "accepted 0..1": the released message is acknowledged and gone. Measured
 * on RabbitMQ 3.10.8: accept + release + release in one tick left 1 of the 2 released.
 *
 * The gate lets only one kind of outcome into each pass: the first settle of a pass sets its
 * kind, other kinds wait until rhea has written that pass (rhea processes on process.nextTick;
 * our turn is queued after its), then go in the next one.
 */
export type Defer = (fn: () => void) => void;

interface Waiting {
  readonly kind: string;
  readonly apply: () => void;
}

export class SettleGate {
  private kind?: string;
  private waiting: Waiting[] = [];
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly defer: Defer = (fn) => process.nextTick(fn)) {}

  /**
   * Runs `apply` (which settles a delivery through rhea) in a pass of its `kind`. Outcomes that
   * carry their own data (a rejection's error) must use a kind no other delivery shares.
   */
  settle(kind: string, apply: () => void): void {
    if (this.kind === undefined) {
      this.kind = kind;
      apply();
      this.defer(() => this.turn());
      return;
    }
    if (this.kind === kind && this.waiting.length === 0) apply();
    else this.waiting.push({ kind, apply });
  }

  /** Resolves once every settle handed in so far has reached rhea's output. */
  idle(): Promise<void> {
    if (this.kind === undefined) return Promise.resolve();
    return new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private turn(): void {
    this.kind = undefined;
    const waiting = this.waiting;
    this.waiting = [];
    for (const w of waiting) this.settle(w.kind, w.apply);
    if (this.kind === undefined) {
      const idle = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of idle) resolve();
    }
  }
}
