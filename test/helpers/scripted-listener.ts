/**
 * A VimListener a test drives (the runner's, the catalogue's and the admin routes' tests): it
 * hands over the deliveries the test makes, records how each was settled, and answers
 * stopConsuming() and close() as scripted, including never (a broker that stopped reading the
 * socket). The AMQP listeners themselves are tested against RabbitMQ in test/integration.
 */
import { EventEmitter } from 'node:events';
import type { VimConfig } from '../../src/config/vim.js';
import type { DeadLetterReason, Delivery, ListenerStatusChange, VimListener } from '../../src/transport/types.js';

export type Settlement = { kind: 'ack' } | { kind: 'requeue' } | { kind: 'dead'; reason: DeadLetterReason };

export interface RecordedDelivery extends Delivery {
  readonly settled: Settlement[];
}

/** What stopConsuming() / close() return: settle at once, or never. */
export type Answer = 'now' | 'never';

export class ScriptedListener extends EventEmitter implements VimListener {
  status: ListenerStatusChange = { status: 'PENDING', since: new Date(0) };
  readonly calls: string[] = [];
  stopAnswer: Answer = 'now';
  closeAnswer: Answer = 'now';
  private onDelivery?: (d: Delivery) => void;

  constructor(readonly vim: VimConfig) {
    super();
  }

  get vimId(): string {
    return this.vim.id;
  }

  async start(onDelivery: (d: Delivery) => void): Promise<void> {
    this.calls.push('start');
    this.onDelivery = onDelivery;
  }

  stopConsuming(): Promise<void> {
    this.calls.push('stopConsuming');
    return answer(this.stopAnswer);
  }

  close(): Promise<void> {
    this.calls.push('close');
    return answer(this.closeAnswer);
  }

  /** Reports a status change, as a transport does on connect and disconnect. */
  report(status: ListenerStatusChange): void {
    this.status = status;
    this.emit('status', status);
  }

  /** Hands a delivery to the runner, as the broker would. */
  deliver(body: string): RecordedDelivery {
    if (!this.onDelivery) throw new Error('deliver() before start()');
    const settled: Settlement[] = [];
    const d: RecordedDelivery = {
      vimId: this.vim.id,
      body: Buffer.from(body),
      source: 'versioned_notifications.info',
      redelivered: false,
      settled,
      ack: () => void settled.push({ kind: 'ack' }),
      requeue: () => void settled.push({ kind: 'requeue' }),
      deadLetter: async (reason) => void settled.push({ kind: 'dead', reason }),
    };
    this.onDelivery(d);
    return d;
  }
}

function answer(a: Answer): Promise<void> {
  return a === 'now' ? Promise.resolve() : new Promise<void>(() => undefined);
}
