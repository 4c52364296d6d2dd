/**
 * AMQP 1.0 VimListener (rhea): reads a VIM's notifications from qpid-dispatch-router, or from
 * RabbitMQ's AMQP 1.0 plugin, one receiver per source address, with credit-based flow
 * control and at-least-once settlement. Reconnects itself (rhea's reconnect is off) over the
 * transport_url's hosts, round robin, with capped exponential backoff and full jitter, and
 * reports PENDING -> REACHABLE <-> UNREACHABLE as 'status' events.
 */
import { EventEmitter } from 'node:events';
import rhea from 'rhea';
import type { Container, EventContext, Message, Delivery as RheaDelivery } from 'rhea';
import type { VimConfig } from '../../config/vim.js';
import type { Logger } from '../../util/logger.js';
import type { TransportOptions } from '../options.js';
import { parseTransportUrl, type TransportUrl } from '../transport-url.js';
import type { DeadLetterReason, Delivery, ListenerStatus, ListenerStatusChange, VimListener } from '../types.js';
import { deadLetterAddress, sourceAddresses } from './addresses.js';
import { nextAttemptDelay } from './backoff.js';
import { bodyToBuffer, isRedelivered } from './body.js';
import { BrokerSession } from './broker-session.js';
import { connectPlan } from './connect-options.js';
import { planCredit, type CreditPlan } from './credit.js';
import { Amqp10Delivery, type Settler } from './delivery.js';
import { describeAmqpError } from './errors.js';

/** Timeouts that are not part of the operator's config; tests shorten them. */
export interface Amqp10Timeouts {
  /** A host must open the connection and attach every receiver within this. */
  readonly connectMs: number;
  /** A dead-letter copy must be accepted by the broker within this. */
  readonly deadLetterMs: number;
  /** close() waits this long for the broker to confirm the close. */
  readonly closeMs: number;
}

export const DEFAULT_AMQP10_TIMEOUTS: Amqp10Timeouts = { connectMs: 15000, deadLetterMs: 30000, closeMs: 5000 };

/** The error condition on a `rejected` outcome (used only where no dead-letter queue is reachable). */
export const DEAD_LETTER_CONDITION = 'vim-event-relay:dead-letter';

interface InFlight {
  readonly session: BrokerSession;
  readonly receiver: number;
  readonly delivery: RheaDelivery;
}

export class Amqp10Listener extends EventEmitter implements VimListener {
  readonly vimId: string;
  private readonly url: TransportUrl;
  private readonly addresses: readonly string[];
  private readonly credit: CreditPlan;
  private readonly container: Container;
  private readonly log: Logger;
  private readonly inFlight = new Set<InFlight>();
  private current?: BrokerSession;
  private attempts = 0;
  private failuresInRow = 0;
  private onDelivery?: (d: Delivery) => void;
  private statusChange: ListenerStatusChange = { status: 'PENDING', since: new Date() };
  private stopped = false;
  private closing?: Promise<void>;
  private retryTimer?: NodeJS.Timeout;
  private firstAttempt?: () => void;
  private rejections = 0;

  constructor(
    private readonly vim: VimConfig,
    private readonly opts: TransportOptions,
    logger: Logger,
    private readonly timeouts: Amqp10Timeouts = DEFAULT_AMQP10_TIMEOUTS,
  ) {
    super();
    this.vimId = vim.id;
    this.url = parseTransportUrl(vim.transportUrl);
    this.addresses = sourceAddresses(vim);
    this.credit = planCredit(opts.prefetch, this.addresses.length);
    this.log = logger.child({ transport: 'amqp10' });
    this.container = rhea.create_container({ id: `vim-event-relay-${vim.id}` });
    // rhea re-emits unhandled connection errors on its container; an 'error' without a
    // listener would throw out of the event loop. BrokerSession handles them per connection.
    this.container.on('error', (e: unknown) => this.log.debug('rhea container error', { error: describeAmqpError(e, 'unknown') }));
  }

  get status(): ListenerStatusChange {
    return this.statusChange;
  }

  /** Deliveries handed out and not yet settled, across all receivers (at most the prefetch). */
  unsettled(): number {
    return this.inFlight.size;
  }

  start(onDelivery: (d: Delivery) => void): Promise<void> {
    if (this.onDelivery) return Promise.resolve();
    this.onDelivery = onDelivery;
    if (this.credit.raised) {
      this.log.warn('transport.prefetch is below the number of AMQP 1.0 addresses; each receiver gets 1 credit', { prefetch: this.opts.prefetch, addresses: this.addresses.length });
    }
    return new Promise<void>((resolve) => {
      this.firstAttempt = resolve;
      this.connect();
    });
  }

  /** No more credit is granted and anything still arriving is released; in-hand deliveries can be settled. */
  async stopConsuming(): Promise<void> {
    this.stopped = true;
  }

  /** Stops reconnecting, releases every unsettled delivery (the broker requeues it) and closes. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    for (const entry of this.inFlight) entry.session.settle('released', () => entry.delivery.release());
    const released = this.inFlight.size;
    this.inFlight.clear();
    const session = this.current;
    this.current = undefined;
    this.resolveFirstAttempt();
    if (session) await session.close(this.timeouts.closeMs);
    this.log.info('AMQP 1.0 listener closed', { released });
  }

  private connect(): void {
    if (this.closing) return;
    const attempt = this.attempts++;
    let session: BrokerSession;
    try {
      session = new BrokerSession(this.container, connectPlan(this.url, attempt, this.opts, this.vimId), {
        vimId: this.vimId,
        addresses: this.addresses,
        connectTimeoutMs: this.timeouts.connectMs,
        deadLetterTimeoutMs: this.timeouts.deadLetterMs,
      });
    } catch (e) {
      // Only the TLS files can fail here (unreadable ssl_ca_file and the like).
      this.onFailed(undefined, describeAmqpError(e, 'cannot prepare the connection'));
      return;
    }
    this.current = session;
    session.on('receiver_open', (index: number) => this.grant(session, index, this.credit.shares[index] ?? 0));
    session.on('ready', () => this.onReady(session));
    session.on('message', (index: number, ctx: EventContext) => this.onMessage(session, index, ctx));
    session.on('failed', (reason: string) => this.onFailed(session, reason));
    this.log.debug('connecting', { host: session.plan.label, attempt });
    session.open();
  }

  private onReady(session: BrokerSession): void {
    if (session !== this.current) return;
    this.failuresInRow = 0;
    this.log.info('AMQP 1.0 receivers attached', { host: session.plan.label, addresses: this.addresses, credit: this.credit.total });
    this.setStatus('REACHABLE');
    this.resolveFirstAttempt();
  }

  private onFailed(session: BrokerSession | undefined, reason: string): void {
    if (session && session !== this.current) return;
    this.current = undefined;
    // The broker requeues what the lost connection held; settling those later is a no-op.
    this.inFlight.clear();
    this.failuresInRow += 1;
    if (this.closing) return;
    // While still PENDING, one dead host of several is failover, not an outage: report
    // UNREACHABLE once every host of the round has failed.
    const roundFailed = this.failuresInRow % this.url.hosts.length === 0;
    if (this.statusChange.status !== 'PENDING' || roundFailed) this.setStatus('UNREACHABLE', reason);
    this.resolveFirstAttempt();
    const delay = nextAttemptDelay(this.failuresInRow, this.url.hosts.length, { initialMs: this.opts.reconnectInitialMs, maxMs: this.opts.reconnectMaxMs });
    this.log.warn('AMQP 1.0 connection failed; reconnecting', { reason, retryInMs: delay });
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  private onMessage(session: BrokerSession, index: number, ctx: EventContext): void {
    const rheaDelivery = ctx.delivery;
    const message = ctx.message;
    if (!rheaDelivery || !message) return;
    if (session !== this.current || this.stopped || !this.onDelivery) {
      // Credit granted before stopConsuming() can still bring messages: hand them back.
      session.settle('released', () => rheaDelivery.release());
      return;
    }
    const entry: InFlight = { session, receiver: index, delivery: rheaDelivery };
    this.inFlight.add(entry);
    const source = this.addresses[index]!;
    const body = bodyToBuffer(message.body);
    const delivery = new Amqp10Delivery({ vimId: this.vimId, body, source, redelivered: isRedelivered(message) }, this.settlerFor(entry, message, body, source));
    try {
      this.onDelivery(delivery);
    } catch (e) {
      this.log.error('the delivery handler threw; the delivery stays unsettled until settled or close()', { error: describeAmqpError(e, 'unknown') });
    }
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
    entry.session.settle(kind, () => outcome(entry.delivery));
    this.grant(entry.session, entry.receiver, 1);
    return true;
  }

  private grant(session: BrokerSession, index: number, credit: number): void {
    if (session === this.current && !this.stopped) session.addCredit(index, credit);
  }

  private async deadLetter(entry: InFlight, d: { message: Message; body: Buffer; source: string; reason: DeadLetterReason }): Promise<void> {
    if (!this.inFlight.has(entry)) return;
    const target = deadLetterAddress(d.source, this.vim.deadLetterQueue);
    if (!target) {
      // Not RabbitMQ: nothing to copy to; the broker behind the router decides (e.g. its DLQ).
      const error = { condition: DEAD_LETTER_CONDITION, description: `${d.reason.code}: ${d.reason.message}`, info: { 'x-relay-reason-code': d.reason.code, 'x-relay-reason': d.reason.message } };
      // Each rejection in a pass of its own: rhea would send one range with the first error.
      if (this.settle(entry, `rejected:${++this.rejections}`, (x) => x.reject(error))) this.log.warn('dead letter rejected to the broker', { code: d.reason.code, source: d.source });
      return;
    }
    const sender = entry.session.deadLetterSender(this.vim.deadLetterQueue, target);
    if (!sender) return;
    try {
      await sender.send({ vimId: this.vimId, source: d.source, body: d.body, original: d.message, reason: d.reason });
    } catch (e) {
      // The connection died meanwhile: the broker redelivers the original, nothing is lost.
      if (!this.inFlight.has(entry)) return;
      throw e;
    }
    if (this.settle(entry, 'accepted', (x) => x.accept())) {
      this.log.info('dead-lettered', { code: d.reason.code, queue: this.vim.deadLetterQueue, source: d.source });
    } else {
      this.log.warn('dead-letter copy stored but the connection was lost before the original was settled; it will be redelivered', { queue: this.vim.deadLetterQueue });
    }
  }

  private setStatus(status: ListenerStatus, reason?: string): void {
    if (this.closing) return;
    const prev = this.statusChange;
    if (prev.status === status) {
      // Same state, newer cause: keep `since`, show the latest reason, no event.
      if (reason !== prev.reason) this.statusChange = { ...prev, reason };
      return;
    }
    this.statusChange = reason === undefined ? { status, since: new Date() } : { status, since: new Date(), reason };
    this.emit('status', this.statusChange);
  }

  private resolveFirstAttempt(): void {
    const resolve = this.firstAttempt;
    this.firstAttempt = undefined;
    resolve?.();
  }
}
