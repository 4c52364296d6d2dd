/**
 * Deliveries and the consumer channel they belong to. An AMQP delivery tag is only meaningful
 * on the channel that delivered it: acking it on a later channel is a 406 that kills that
 * channel. So each consumer channel is a ConsumeSession with a generation number, and a
 * delivery whose session has ended settles as a no-op (the broker requeued it when the
 * channel died and will deliver it again). Acks are coalesced per channel (acks.ts).
 */
import { IllegalOperationError, type Channel, type ConsumeMessage } from 'amqplib';
import type { DeadLetterReason, Delivery } from '../types.js';
import { originalRoutingKey, type DeadLetterPublisher } from './dead-letter.js';
import { closeQuietly } from './connect.js';
import { AckWindow, type AckSlot } from './acks.js';

export class ConsumeSession {
  private isAlive = true;
  private cancelled = false;
  private consumerTag: string | undefined;
  /** Deliveries in tag order and their coalesced acks. */
  readonly acks: AckWindow<Amqp091Delivery>;

  constructor(
    readonly generation: number,
    readonly channel: Channel,
    readonly deadLetters: DeadLetterPublisher,
    readonly vimId: string,
  ) {
    this.acks = new AckWindow((d, multiple) => this.send((ch) => ch.ack(d.msg, multiple)));
  }

  get alive(): boolean {
    return this.isAlive;
  }

  /** false once stopConsuming()/close() asked to cancel: later deliveries go straight back. */
  get wanted(): boolean {
    return this.isAlive && !this.cancelled;
  }

  get unsettled(): number {
    return this.acks.unsettled;
  }

  /** Starts (or, after a broker-side cancel, restarts) the consumer on this channel. */
  async consume(queue: string, onMessage: (msg: ConsumeMessage | null) => void): Promise<void> {
    if (!this.wanted) return;
    const { consumerTag } = await this.channel.consume(queue, onMessage, { noAck: false });
    this.consumerTag = consumerTag;
    // cancel() may have been called while basic.consume was in flight.
    if (this.cancelled) await this.cancelConsumer();
  }

  /** Cancels the consumer; deliveries in hand stay settleable. Idempotent. */
  async cancel(): Promise<void> {
    if (this.cancelled) return;
    this.cancelled = true;
    await this.cancelConsumer();
  }

  private async cancelConsumer(): Promise<void> {
    const tag = this.consumerTag;
    this.consumerTag = undefined;
    if (tag === undefined || !this.isAlive) return;
    try {
      await this.channel.cancel(tag);
    } catch {
      // The channel died meanwhile, and the consumer with it: already cancelled.
    }
  }

  track(msg: ConsumeMessage): Amqp091Delivery {
    return new Amqp091Delivery(this, msg);
  }

  /** Hands every unsettled delivery back to the broker (shutdown). */
  requeueAll(): void {
    for (const d of this.acks.unsettledItems()) d.requeue();
  }

  /** Runs a settle operation on the live channel; on a dead or closing one it is moot (the broker redelivers). */
  send(op: (ch: Channel) => void): void {
    if (!this.isAlive) return;
    try {
      op(this.channel);
    } catch (err) {
      // The channel is closing in this very tick: same as dead, the broker redelivers.
      if (!(err instanceof IllegalOperationError)) throw err;
    }
  }

  /**
   * Closes both channels and waits for the broker's close-ok. amqplib buffers each channel's
   * frames separately, so closing the connection straight away can overtake acks just sent
   * (the broker would then requeue acked messages); a channel close is queued behind them.
   */
  async close(): Promise<void> {
    // Acks still coalescing go first: the channel close is queued behind them.
    this.acks.flushAll();
    await Promise.all([closeQuietly(this.channel), this.deadLetters.close()]);
  }

  /** The channel is gone: the broker has requeued everything unacked on it. */
  end(): void {
    this.isAlive = false;
    this.acks.end();
  }
}

export class Amqp091Delivery implements Delivery {
  readonly vimId: string;
  readonly body: Buffer;
  readonly source: string;
  readonly redelivered: boolean;
  private readonly slot: AckSlot<Amqp091Delivery>;
  private settled = false;
  private deadLettering: Promise<void> | undefined;

  constructor(
    private readonly session: ConsumeSession,
    readonly msg: ConsumeMessage,
  ) {
    this.vimId = session.vimId;
    this.body = msg.content;
    this.source = originalRoutingKey(msg);
    this.redelivered = msg.fields.redelivered;
    this.slot = session.acks.track(this);
  }

  /** The consumer channel generation it came from (for logs). */
  get generation(): number {
    return this.session.generation;
  }

  /** Coalesced (acks.ts): sent with `multiple` once every earlier delivery is settled, within ~2 ms usually. */
  ack(): void {
    if (this.settle()) this.session.acks.ack(this.slot);
  }

  requeue(): void {
    if (!this.settle()) return;
    // The nack first: a coalesced multiple ack sent before it would cover this tag.
    this.session.send((ch) => ch.nack(this.msg, false, true));
    this.session.acks.release(this.slot);
  }

  deadLetter(reason: DeadLetterReason): Promise<void> {
    this.deadLettering ??= this.copyThenAck(reason).catch((err: unknown) => {
      // Let the caller retry (or requeue) after a failed copy.
      this.deadLettering = undefined;
      throw err;
    });
    return this.deadLettering;
  }

  private async copyThenAck(reason: DeadLetterReason): Promise<void> {
    if (this.settled) return;
    if (!this.session.alive) {
      // The broker redelivers it; a copy now would be a duplicate in the DLQ.
      this.settle();
      return;
    }
    await this.session.deadLetters.publish(this.msg, reason);
    this.ack();
  }

  /** Marks it settled; false when it already was or its channel is gone (nothing to send). */
  private settle(): boolean {
    if (this.settled) return false;
    this.settled = true;
    return this.session.alive;
  }
}
