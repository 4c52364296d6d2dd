/**
 * The Delivery handed to the pipeline for one AMQP 1.0 transfer. It settles at most once:
 * the first of ack / requeue / deadLetter wins and later calls are ignored; a deadLetter that
 * fails leaves the delivery unsettled so the caller can still requeue it.
 */
import type { DeadLetterReason, Delivery } from '../types.js';

/** What the listener does on the wire for one delivery (it knows whether the link still lives). */
export interface Settler {
  accept(): void;
  release(): void;
  deadLetter(reason: DeadLetterReason): Promise<void>;
}

export interface DeliveryInit {
  readonly vimId: string;
  readonly body: Buffer;
  readonly source: string;
  readonly redelivered: boolean;
}

type SettleState = 'open' | 'dead-lettering' | 'settled';

export class Amqp10Delivery implements Delivery {
  readonly vimId: string;
  readonly body: Buffer;
  readonly source: string;
  readonly redelivered: boolean;
  private state: SettleState = 'open';

  constructor(
    init: DeliveryInit,
    private readonly settler: Settler,
  ) {
    this.vimId = init.vimId;
    this.body = init.body;
    this.source = init.source;
    this.redelivered = init.redelivered;
  }

  get settled(): boolean {
    return this.state === 'settled';
  }

  ack(): void {
    if (this.state !== 'open') return;
    this.state = 'settled';
    this.settler.accept();
  }

  requeue(): void {
    if (this.state !== 'open') return;
    this.state = 'settled';
    this.settler.release();
  }

  async deadLetter(reason: DeadLetterReason): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'dead-lettering';
    try {
      await this.settler.deadLetter(reason);
      this.state = 'settled';
    } catch (e) {
      this.state = 'open';
      throw e;
    }
  }
}
