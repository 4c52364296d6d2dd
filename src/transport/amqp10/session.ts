/**
 * One AMQP 1.0 session on one host (rhea): one receiver per source address, with
 * credit-based flow control and at-least-once settlement, and the dead-letter copies. It ends
 * once; the supervisor (../supervisor.ts) then opens a new one.
 */
import rhea from 'rhea';
import type { Container, EventContext, Message, Delivery as RheaDelivery } from 'rhea';
import type { Logger } from '../../util/logger.js';
import type { TransportOptions } from '../options.js';
import type { OpenRequest, Session, SessionOpener } from '../session.js';
import type { TransportUrl } from '../transport-url.js';
import { DEAD_LETTER_HEADERS, type DeadLetterReason, type Delivery, type ListenerSpec } from '../types.js';
import { deadLetterAddress, sourceAddresses } from './addresses.js';
import { bodyToBuffer, isRedelivered } from './body.js';
import { BrokerSession } from './broker-session.js';
import { connectPlan } from './connect-options.js';
import { planCredit, type CreditPlan } from './credit.js';
import { Amqp10Delivery, type Settler } from './delivery.js';
import { describeAmqpError } from './errors.js';
import { declareAmqp10Topology } from './declare.js';

/** Timeouts that are not part of the operator's config; tests shorten them. */
export interface Amqp10Timeouts {
  /** A dead-letter copy must be accepted by the broker within this. */
  readonly deadLetterMs: number;
  /** close() waits this long for the broker to confirm the close. */
  readonly closeMs: number;
}

export const DEFAULT_AMQP10_TIMEOUTS: Amqp10Timeouts = { deadLetterMs: 30000, closeMs: 5000 };

/** The error condition on a `rejected` outcome (used only where no dead-letter queue is reachable). */
export const DEAD_LETTER_CONDITION = 'vim-event-relay:dead-letter';

/** A failed attempt: the text for the status, the rhea error for ../broker-errors.ts. */
export class Amqp10AttemptError extends Error {
  constructor(message: string, cause: unknown) {
    super(message, { cause });
    this.name = 'Amqp10AttemptError';
  }
}

export interface Amqp10Plan {
  readonly vim: ListenerSpec;
  readonly url: TransportUrl;
  readonly opts: TransportOptions;
  readonly timeouts: Amqp10Timeouts;
  readonly log: Logger;
}

export class Amqp10Opener implements SessionOpener {
  readonly addresses: readonly string[];
  readonly credit: CreditPlan;
  private readonly container: Container;

  constructor(private readonly plan: Amqp10Plan) {
    this.addresses = sourceAddresses(plan.vim);
    this.credit = planCredit(plan.opts.prefetch, this.addresses.length);
    this.container = rhea.create_container({ id: `vim-event-relay-${plan.vim.id}` });
    // rhea re-emits unhandled connection errors on its container; an 'error' without a
    // listener would throw out of the event loop. BrokerSession handles them per connection.
    this.container.on('error', (e: unknown) =>
      plan.log.debug('rhea container error', { error: describeAmqpError(e, 'unknown') }),
    );
  }

  /**
   * On RabbitMQ, a VIM whose addresses read its own queue gets that queue (and its dead-letter
   * queue, exchange and bindings) declared over 0-9-1 on the same host first, as a 0-9-1 VIM
   * does (see declare.ts); then the 1.0 session opens. The declaration is a help, not a gate:
   * when it fails (a login refused, a broker without 0-9-1), the 1.0 session still opens and
   * reports in its own words what is wrong, or reads the queue if it exists anyway.
   */
  async open(req: OpenRequest): Promise<Session> {
    const { vim, opts, log } = this.plan;
    try {
      // Checked again here: the declaration is its own connection, made after the supervisor's check.
      if (req.stillWanted()) await declareAmqp10Topology(vim, opts, log, req.hostIndex);
    } catch (e) {
      log.warn("could not declare the VIM's queue over AMQP 0-9-1; attaching to it as it is", {
        queue: vim.queue,
        reason: (e as Error).message,
      });
    }
    return this.attach(req);
  }

  private attach(req: OpenRequest): Promise<Session> {
    const { vim, url, opts, timeouts } = this.plan;
    // Throws only for the TLS files (unreadable ssl_ca_file and the like): a rejection.
    const broker = new BrokerSession(this.container, connectPlan(url, req.hostIndex, opts, vim.id), {
      vimId: vim.id,
      addresses: this.addresses,
      deadLetterTimeoutMs: timeouts.deadLetterMs,
    });
    const session = new Amqp10Session(broker, this, this.plan, req.deliver);
    return new Promise<Session>((resolve, reject) => {
      const onAbort = (): void => broker.abort('attempt abandoned');
      const settle = (): void => {
        req.signal.removeEventListener('abort', onAbort);
        broker.off('ready', onReady);
        broker.off('failed', onFailed);
      };
      const onReady = (): void => {
        settle();
        resolve(session);
      };
      const onFailed = (reason: string, cause: unknown): void => {
        settle();
        reject(new Amqp10AttemptError(reason, cause));
      };
      broker.on('ready', onReady);
      broker.on('failed', onFailed);
      req.signal.addEventListener('abort', onAbort, { once: true });
      broker.open(req.connected);
    });
  }
}

interface InFlight {
  readonly receiver: number;
  readonly delivery: RheaDelivery;
}

class Amqp10Session implements Session {
  readonly closed: Promise<string>;
  readonly detail: Record<string, unknown>;
  private readonly inFlight = new Set<InFlight>();
  private stopped = false;
  private closing: Promise<void> | undefined;
  private rejections = 0;
  private ended!: (reason: string) => void;

  constructor(
    private readonly broker: BrokerSession,
    private readonly opener: Amqp10Opener,
    private readonly plan: Amqp10Plan,
    private readonly deliver: (d: Delivery) => void,
  ) {
    this.detail = { addresses: opener.addresses, credit: opener.credit.total };
    this.closed = new Promise<string>((resolve) => (this.ended = resolve));
    broker.once('failed', (reason: string) => {
      // The broker requeues what the lost connection held; settling those later is a no-op.
      this.inFlight.clear();
      this.ended(reason);
    });
    broker.on('receiver_open', (index: number) => this.grant(index, opener.credit.shares[index] ?? 0));
    broker.on('message', (index: number, ctx: EventContext) => this.onMessage(index, ctx));
  }

  unsettled(): number {
    return this.inFlight.size;
  }

  /** No more credit is granted and anything still arriving is released; in-hand deliveries can be settled. */
  async stopConsuming(): Promise<void> {
    this.stopped = true;
  }

  /** Releases every unsettled delivery (the broker requeues it) and closes. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.stopped = true;
      for (const entry of this.inFlight) this.broker.settle('released', () => entry.delivery.release());
      this.inFlight.clear();
      await this.broker.close(this.plan.timeouts.closeMs);
      this.ended('closed by the relay');
    })();
    return this.closing;
  }

  private onMessage(index: number, ctx: EventContext): void {
    const rheaDelivery = ctx.delivery;
    const message = ctx.message;
    if (!rheaDelivery || !message) return;
    if (!this.broker.alive || this.stopped) {
      // Credit granted before stopConsuming() can still bring messages: hand them back.
      this.broker.settle('released', () => rheaDelivery.release());
      return;
    }
    const entry: InFlight = { receiver: index, delivery: rheaDelivery };
    this.inFlight.add(entry);
    const source = this.opener.addresses[index];
    const body = bodyToBuffer(message.body);
    const init = { vimId: this.plan.vim.id, body, source, redelivered: isRedelivered(message) };
    this.deliver(new Amqp10Delivery(init, this.settlerFor(entry, message, body, source)));
  }

  private settlerFor(entry: InFlight, message: Message, body: Buffer, source: string): Settler {
    return {
      accept: () => this.settle(entry, 'accepted', (d) => d.accept()),
      release: () => this.settle(entry, 'released', (d) => d.release()),
      deadLetter: (reason) => this.deadLetter(entry, { message, body, source, reason }),
    };
  }

  /** Settles on the wire if the delivery's connection still lives, then returns its credit. */
  private settle(entry: InFlight, kind: string, outcome: (d: RheaDelivery) => void): boolean {
    if (!this.inFlight.delete(entry)) return false;
    this.broker.settle(kind, () => outcome(entry.delivery));
    this.grant(entry.receiver, 1);
    return true;
  }

  private grant(index: number, credit: number): void {
    if (!this.stopped) this.broker.addCredit(index, credit);
  }

  private async deadLetter(
    entry: InFlight,
    d: { message: Message; body: Buffer; source: string; reason: DeadLetterReason },
  ): Promise<void> {
    if (!this.inFlight.has(entry)) return;
    const { vim, log } = this.plan;
    const target = deadLetterAddress(d.source, vim.deadLetterQueue);
    if (!target) {
      // Not RabbitMQ: nothing to copy to; the broker behind the router decides (e.g. its DLQ).
      const error = {
        condition: DEAD_LETTER_CONDITION,
        description: `${d.reason.code}: ${d.reason.message}`,
        info: { [DEAD_LETTER_HEADERS.reasonCode]: d.reason.code, [DEAD_LETTER_HEADERS.reason]: d.reason.message },
      };
      // Each rejection in a pass of its own: rhea would send one range with the first error.
      if (this.settle(entry, `rejected:${++this.rejections}`, (x) => x.reject(error)))
        log.warn('dead letter rejected to the broker', { code: d.reason.code, source: d.source });
      return;
    }
    const sender = this.broker.deadLetterSender(vim.deadLetterQueue, target);
    if (!sender) return;
    try {
      await sender.send({ vimId: vim.id, source: d.source, body: d.body, original: d.message, reason: d.reason });
    } catch (e) {
      // The connection died meanwhile: the broker redelivers the original, nothing is lost.
      if (!this.inFlight.has(entry)) return;
      throw e;
    }
    if (this.settle(entry, 'accepted', (x) => x.accept())) {
      log.info('dead-lettered', { code: d.reason.code, queue: vim.deadLetterQueue, source: d.source });
    } else {
      log.warn(
        'dead-letter copy stored but the connection was lost before the original was settled; it will be redelivered',
        { queue: vim.deadLetterQueue },
      );
    }
  }
}
