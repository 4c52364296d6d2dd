/**
 * Copies a dead-lettered notification into the VIM's dead-letter queue over AMQP 1.0 and
 * waits for the broker's `accepted`. Needed because RabbitMQ 3.x drops a `rejected` message
 * unless its queue has a dead-letter exchange, and then keeps no reason (measured, see
 * docs/amqp10.md).
 *
 * The sender lives in its own session: RabbitMQ ends the whole session when an attach fails,
 * and a missing dead-letter queue must not take the notification receivers down with it.
 */
import rhea from 'rhea';
import type { Connection, EventContext, Message, Sender, Session, Delivery as RheaDelivery } from 'rhea';
import { RelayError } from '../../errors.js';
import { DEAD_LETTER_HEADERS, type DeadLetterReason } from '../types.js';
import { describeAmqpError } from './errors.js';

export interface DeadLetterCopy {
  readonly vimId: string;
  readonly source: string;
  readonly body: Buffer;
  readonly original: Message;
  readonly reason: DeadLetterReason;
}

interface Pending {
  done: boolean;
  readonly resolve: () => void;
  readonly reject: (e: Error) => void;
  timer?: NodeJS.Timeout;
  delivery?: RheaDelivery;
}

/** The copy: the exact body bytes as one data section, the reason in application properties. */
export function deadLetterMessage(copy: DeadLetterCopy): Message {
  const o = copy.original;
  return {
    // rhea types the section (and Message.body) as any; it is an opaque value rhea encodes.
    body: rhea.message.data_section(copy.body) as unknown,
    durable: true,
    ...(o.message_id !== undefined ? { message_id: o.message_id } : {}),
    ...(o.content_type !== undefined ? { content_type: o.content_type } : {}),
    ...(o.content_encoding !== undefined ? { content_encoding: o.content_encoding } : {}),
    application_properties: {
      ...(o.application_properties ?? {}),
      [DEAD_LETTER_HEADERS.reasonCode]: copy.reason.code,
      [DEAD_LETTER_HEADERS.reason]: copy.reason.message,
      [DEAD_LETTER_HEADERS.vimId]: copy.vimId,
      [DEAD_LETTER_HEADERS.source]: copy.source,
    },
  };
}

export class DeadLetterSender {
  private ready?: Promise<Sender>;
  private session?: Session;
  private readonly inFlight = new Map<RheaDelivery, Pending>();
  /** Copies waiting for link credit from the broker. */
  private waiting: Array<() => void> = [];
  private closed = false;

  constructor(
    private readonly connection: Connection,
    readonly queue: string,
    readonly address: string,
    private readonly timeoutMs: number,
  ) {}

  /**
   * Resolves once the broker accepted the copy; rejects (BROKER_REFUSED) otherwise, or when
   * the check, the attach and the answer together take longer than the timeout.
   */
  send(copy: DeadLetterCopy): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const p: Pending = { done: false, resolve, reject };
      p.timer = setTimeout(
        () => this.finish(p, this.refused(`no answer from the broker within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
      this.open().then(
        (sender) => {
          const go = (): void => {
            if (p.done) return;
            if (this.closed || !sender.is_open()) return this.finish(p, this.refused('the dead-letter link is closed'));
            p.delivery = sender.send(deadLetterMessage(copy));
            this.inFlight.set(p.delivery, p);
          };
          if (sender.sendable()) go();
          else this.waiting.push(go);
        },
        (e: Error) => this.finish(p, e),
      );
    });
  }

  /** Rejects whatever is waiting (the connection is gone) and ends the session. */
  close(why: string): void {
    if (this.closed) return;
    this.closed = true;
    this.failAll(why);
    if (this.session && !this.session.is_closed()) this.session.close();
  }

  private failAll(why: string): void {
    for (const p of [...this.inFlight.values()]) this.finish(p, this.refused(why));
    const waiting = this.waiting;
    this.waiting = [];
    for (const go of waiting) go();
  }

  private refused(detail: string): RelayError {
    return new RelayError('BROKER_REFUSED', `dead-letter copy to ${this.address} failed: ${detail}`);
  }

  private finish(p: Pending, error?: Error): void {
    if (p.done) return;
    p.done = true;
    clearTimeout(p.timer);
    if (p.delivery) this.inFlight.delete(p.delivery);
    if (error) p.reject(error);
    else p.resolve();
  }

  private outcome(delivery: RheaDelivery | undefined, error?: Error): void {
    if (!delivery) return;
    const p = this.inFlight.get(delivery);
    if (p) this.finish(p, error);
  }

  private open(): Promise<Sender> {
    if (this.closed) return Promise.reject(this.refused('the connection is closed'));
    if (!this.ready) {
      const ready = this.attach();
      this.ready = ready;
      // A failed attach (e.g. missing queue) is retried on the next dead letter, not cached.
      ready.catch(() => {
        if (this.ready === ready) this.ready = undefined;
      });
    }
    return this.ready;
  }

  private attach(): Promise<Sender> {
    return new Promise<Sender>((resolve, reject) => {
      const session = this.connection.create_session();
      this.session = session;
      const fail = (ctx: EventContext, what: string): void => {
        reject(
          this.refused(
            `${what}: ${describeAmqpError(ctx.session?.error ?? ctx.sender?.error ?? ctx.receiver?.error, 'refused by the broker')}`,
          ),
        );
      };
      session.on('session_error', (ctx: EventContext) => fail(ctx, `dead-letter queue "${this.queue}" is not usable`));
      session.on('session_close', (ctx: EventContext) => {
        fail(ctx, 'session closed');
        this.ready = undefined;
        this.failAll('the broker ended the dead-letter session');
      });
      session.begin();
      // RabbitMQ 3.x accepts and silently drops messages sent to /amq/queue/<missing>; a
      // receiver attach (no credit, so it takes nothing) fails NOT_FOUND instead: a real check.
      const probe = session.open_receiver({ source: { address: this.address }, credit_window: 0, autoaccept: false });
      probe.on('receiver_error', (ctx: EventContext) =>
        fail(ctx, `dead-letter queue "${this.queue}" cannot be checked`),
      );
      probe.on('receiver_close', () => undefined);
      probe.on('receiver_open', () => {
        probe.close();
        this.attachSender(session, resolve, reject);
      });
    });
  }

  private attachSender(session: Session, resolve: (s: Sender) => void, reject: (e: Error) => void): void {
    const sender = session.open_sender({ target: { address: this.address } });
    sender.on('sender_open', () => resolve(sender));
    sender.on('sender_error', (ctx: EventContext) =>
      reject(this.refused(describeAmqpError(ctx.sender?.error, 'sender refused'))),
    );
    sender.on('sender_close', () => {
      // Detached by the broker: the next dead letter attaches (and checks) again.
      this.ready = undefined;
      this.failAll('the broker detached the dead-letter sender');
    });
    sender.on('accepted', (ctx: EventContext) => this.outcome(ctx.delivery));
    for (const outcome of ['rejected', 'released', 'modified'] as const) {
      sender.on(outcome, (ctx: EventContext) => {
        const state = ctx.delivery?.remote_state as { error?: unknown } | undefined;
        const detail = state?.error ? ` (${describeAmqpError(state.error, '')})` : '';
        this.outcome(ctx.delivery, this.refused(`the broker answered ${outcome}${detail}`));
      });
    }
    // rhea would transfer without credit; only send while the broker grants some.
    sender.on('sendable', () => {
      while (this.waiting.length > 0 && sender.sendable()) this.waiting.shift()!();
    });
  }
}
