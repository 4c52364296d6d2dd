/**
 * One topic of the development Message Router: a bounded log of messages (JSON text), the
 * read position of each consumer group, and the long polls waiting for news.
 *
 * Retention: at most `retain` messages are kept; publishing more drops the oldest. A consumer
 * group whose position falls behind the oldest kept message skips ahead to it (what Kafka does
 * with auto.offset.reset after retention deleted its offset), so it never sees the dropped ones.
 * A group seen for the first time starts at the oldest kept message, so a demo that publishes
 * first and consumes afterwards sees everything.
 */

export interface Read {
  readonly messages: string[];
  /** First offset read. */
  readonly from: number;
  /** Offset after the last one read: the group's position once the answer is delivered. */
  readonly to: number;
}

/** A long poll: returns true once it has been answered, and is then forgotten. */
export type Waiter = () => boolean;

export class TopicLog {
  /** Ring buffer: grows to `retain`, then overwrites at `start`. */
  private readonly buf: string[] = [];
  private start = 0;
  private firstOffset = 0;
  private nextOffset = 0;
  private readonly groups = new Map<string, number>();
  private readonly waiters = new Set<Waiter>();

  constructor(
    readonly name: string,
    private readonly retain: number,
  ) {
    if (!(Number.isInteger(retain) && retain >= 1))
      throw new RangeError(`retainPerTopic must be an integer >= 1, got ${retain}`);
  }

  append(messages: readonly string[]): void {
    for (const m of messages) {
      if (this.buf.length < this.retain) {
        this.buf.push(m);
      } else {
        this.buf[this.start] = m;
        this.start = (this.start + 1) % this.retain;
        this.firstOffset++;
      }
      this.nextOffset++;
    }
    if (messages.length > 0) this.wake();
  }

  /** Reads up to `limit` messages for `group` and moves its position past them. */
  read(group: string, limit: number): Read {
    const from = Math.max(this.groups.get(group) ?? this.firstOffset, this.firstOffset);
    const to = Math.min(this.nextOffset, from + limit);
    const messages: string[] = [];
    for (let o = from; o < to; o++) messages.push(this.at(o));
    this.groups.set(group, to);
    return { messages, from, to };
  }

  /**
   * Gives a read back when its answer never reached the consumer (MR commits offsets only after
   * writing the answer), unless the group has read further since.
   */
  unread(group: string, read: Read): void {
    if (read.to > read.from && this.groups.get(group) === read.to) this.groups.set(group, read.from);
  }

  /** All retained messages, oldest first. */
  all(): string[] {
    const out: string[] = [];
    for (let o = this.firstOffset; o < this.nextOffset; o++) out.push(this.at(o));
    return out;
  }

  get size(): number {
    return this.nextOffset - this.firstOffset;
  }

  wait(waiter: Waiter): () => void {
    this.waiters.add(waiter);
    return () => this.waiters.delete(waiter);
  }

  private wake(): void {
    for (const w of [...this.waiters]) if (w()) this.waiters.delete(w);
  }

  private at(offset: number): string {
    return this.buf[(this.start + (offset - this.firstOffset)) % this.buf.length];
  }
}
