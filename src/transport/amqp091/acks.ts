/**
 * Coalesced acks for one consumer channel. Acking every delivery alone costs a frame each on
 * both sides; `basic.ack` with `multiple` acks every outstanding delivery up to a tag in one.
 * Deliveries here complete out of order (several DMaaP topics, batches in flight together), so
 * a multiple ack may only cover a contiguous prefix of settled tags: an ack waits until every
 * lower tag is settled, then the highest one goes with `multiple`. Flushed `flushMs` after the
 * first ack waiting (or at once when `flushAt` wait), so a burst of completions costs one frame
 * and a steady trickle one frame per `flushMs`; the broker only learns a little later that the
 * prefetch slots are free.
 *
 * Requeues (and anything else settled by its own frame) are sent at once by the caller, which
 * then releases their slot: a later multiple ack never covers them, because RabbitMQ's
 * `multiple` acks only what is still outstanding (the nack must go first for that). The tag a multiple ack names is always one
 * still outstanding (RabbitMQ refuses an unknown tag with 406).
 *
 * An ack held behind a delivery that stays unsettled (e.g. one retried against a failing
 * DMaaP topic) would hold its prefetch slot too; after `stragglerMs` such acks go one by one.
 */

const IN_HAND = 0;
const PENDING = 1;
const DONE = 2;

/** One delivery's place in the window (handed back to settle it). */
export interface AckSlot<T> {
  readonly item: T;
  state: typeof IN_HAND | typeof PENDING | typeof DONE;
}

/** Sends `basic.ack` for `item` (with `multiple`); the caller owns the channel and its errors. */
export type SendAck<T> = (item: T, multiple: boolean) => void;

export interface AckWindowOptions {
  /** How long a settled ack may wait for company, ms; 0 = until the end of the event-loop turn. Default 2. */
  readonly flushMs?: number;
  /** Flush at once when this many acks wait. Default 256. */
  readonly flushAt?: number;
  /** Acks held behind an unsettled delivery longer than this go one by one, ms. Default 20. */
  readonly stragglerMs?: number;
}

export class AckWindow<T> {
  /** Slots in delivery-tag order; those before `head` are done. */
  private slots: AckSlot<T>[] = [];
  private head = 0;
  private inHand = 0;
  private pending = 0;
  private ended = false;
  /** The next flush: at the end of this turn, or after flushMs. */
  private flushSoon: NodeJS.Immediate | undefined;
  private flushLater: NodeJS.Timeout | undefined;
  private straggling: NodeJS.Timeout | undefined;
  private readonly flushMs: number;
  private readonly flushAt: number;
  private readonly stragglerMs: number;

  constructor(
    private readonly send: SendAck<T>,
    opts: AckWindowOptions = {},
  ) {
    this.flushMs = opts.flushMs ?? 2;
    this.flushAt = opts.flushAt ?? 256;
    this.stragglerMs = opts.stragglerMs ?? 20;
  }

  /** Deliveries tracked and neither acked nor released. */
  get unsettled(): number {
    return this.inHand;
  }

  /** Acks settled but not sent yet. */
  get unsent(): number {
    return this.pending;
  }

  /** A new delivery; call in delivery-tag order. */
  track(item: T): AckSlot<T> {
    const slot: AckSlot<T> = { item, state: IN_HAND };
    if (!this.ended) {
      this.slots.push(slot);
      this.inHand++;
    }
    return slot;
  }

  /** Settled as done: acked at the next flush, together with every settled lower tag. */
  ack(slot: AckSlot<T>): void {
    if (slot.state !== IN_HAND || this.ended) return;
    slot.state = PENDING;
    this.inHand--;
    this.pending++;
    this.scheduleFlush();
  }

  /**
   * Settled by a frame of its own (a requeue), which the caller must have sent already: a
   * multiple ack sent before that frame would ack it instead. Never part of a multiple ack.
   */
  release(slot: AckSlot<T>): void {
    if (slot.state !== IN_HAND || this.ended) return;
    slot.state = DONE;
    this.inHand--;
    // It may have been the one holding acks back.
    if (this.pending > 0) this.scheduleFlush();
  }

  /** Items still in hand, oldest first. */
  unsettledItems(): T[] {
    return this.slots
      .slice(this.head)
      .filter((s) => s.state === IN_HAND)
      .map((s) => s.item);
  }

  /** Sends every settled ack now (before the channel closes). */
  flushAll(): void {
    this.flushPrefix();
    this.flushStragglers();
  }

  /** The channel is gone (the broker requeued everything unacked): forget all. */
  end(): void {
    this.ended = true;
    this.cancelFlush();
    clearTimeout(this.straggling);
    this.straggling = undefined;
    for (const s of this.slots) s.state = DONE;
    this.slots = [];
    this.head = this.inHand = this.pending = 0;
  }

  private scheduleFlush(): void {
    const now = this.flushMs === 0 || this.pending >= this.flushAt;
    if (this.flushSoon || (this.flushLater && !now)) return;
    this.cancelFlush();
    if (now) this.flushSoon = setImmediate(this.runFlush);
    else this.flushLater = setTimeout(this.runFlush, this.flushMs).unref();
  }

  private readonly runFlush = (): void => {
    this.cancelFlush();
    this.flushPrefix();
    this.watchStragglers();
  };

  private cancelFlush(): void {
    clearImmediate(this.flushSoon);
    clearTimeout(this.flushLater);
    this.flushSoon = this.flushLater = undefined;
  }

  /** Acks (multiple) the highest pending tag whose lower tags are all settled. */
  private flushPrefix(): void {
    if (this.ended) return;
    let last: AckSlot<T> | undefined;
    while (this.head < this.slots.length && this.slots[this.head].state !== IN_HAND) {
      const s = this.slots[this.head++];
      if (s.state === PENDING) {
        s.state = DONE;
        this.pending--;
        last = s;
      }
    }
    if (this.head === this.slots.length) {
      this.slots = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.slots.length) {
      this.slots = this.slots.slice(this.head);
      this.head = 0;
    }
    if (last) this.send(last.item, true);
  }

  /** Acks behind an unsettled delivery, one by one; the window keeps only what is not done. */
  private flushStragglers(): void {
    if (this.ended || this.pending === 0) return;
    const keep: AckSlot<T>[] = [];
    const slots = this.slots;
    for (let i = this.head; i < slots.length; i++) {
      const s = slots[i];
      if (s.state === PENDING) {
        s.state = DONE;
        this.pending--;
        this.send(s.item, false);
      } else if (s.state === IN_HAND) {
        keep.push(s);
      }
    }
    this.slots = keep;
    this.head = 0;
  }

  private watchStragglers(): void {
    if (this.pending === 0 || this.straggling || this.ended) return;
    this.straggling = setTimeout(() => {
      this.straggling = undefined;
      this.flushAll();
    }, this.stragglerMs);
    this.straggling.unref?.();
  }
}
