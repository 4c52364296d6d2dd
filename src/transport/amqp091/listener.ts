/**
 * One VIM's AMQP 0-9-1 listener: connect (host failover, backoff with full jitter), declare,
 * consume, and start over on any loss. amqplib's built-in recovery is not used: it knows one
 * URL, while an oslo transport_url lists several hosts to fail over between.
 */
import { EventEmitter } from 'node:events';
import type { ChannelModel, ConsumeMessage } from 'amqplib';
import type { VimConfig } from '../../config/vim.js';
import { RelayError } from '../../errors.js';
import type { Logger } from '../../util/logger.js';
import { backoffDelay } from '../../util/backoff.js';
import type { TransportOptions } from '../options.js';
import { parseTransportUrl, redactTransportUrl, type TransportUrl } from '../transport-url.js';
import type { Delivery, ListenerStatus, ListenerStatusChange, VimListener } from '../types.js';
import { closeQuietly, connectRound, errorText } from './connect.js';
import { hostLabel } from '../transport-url.js';
import { DeadLetterPublisher } from './dead-letter.js';
import { ConsumeSession } from './delivery.js';
import { declareTopology } from './topology.js';

/** One live connection and what runs on it. */
interface Active {
  readonly model: ChannelModel;
  readonly hostIndex: number;
  /** Resolves with the reason once the connection is gone. */
  readonly lost: Promise<string>;
  session?: ConsumeSession;
  /** Why we are closing it ourselves, when we are. */
  failure?: string;
  teardown?: Promise<void>;
}

export class Amqp091Listener extends EventEmitter implements VimListener {
  readonly vimId: string;
  private readonly url: TransportUrl;
  private readonly log: Logger;
  private current: ListenerStatusChange = { status: 'PENDING', since: new Date() };
  private onDelivery: ((d: Delivery) => void) | undefined;
  private loop: Promise<void> | undefined;
  private active: Active | undefined;
  private nextHost = 0;
  private generation = 0;
  private consuming = true;
  private closing: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly vim: VimConfig, private readonly opts: TransportOptions, logger: Logger) {
    super();
    this.vimId = vim.id;
    this.url = parseTransportUrl(vim.transportUrl);
    if (this.url.kind !== 'amqp091') {
      throw new RelayError('CONFIG_INVALID', `VIM ${vim.id}: ${this.url.scheme}:// is AMQP 1.0; the AMQP 0-9-1 listener needs rabbit://`);
    }
    this.log = logger.child({ vimId: vim.id, transport: 'amqp091', url: redactTransportUrl(vim.transportUrl) });
  }

  get status(): ListenerStatusChange {
    return this.current;
  }

  /** Deliveries handed out and not yet settled on the live consumer channel. */
  unsettled(): number {
    return this.active?.session?.unsettled ?? 0;
  }

  start(onDelivery: (d: Delivery) => void): Promise<void> {
    if (this.loop) return Promise.reject(new Error(`listener for VIM ${this.vimId} was already started`));
    this.onDelivery = onDelivery;
    return new Promise<void>((attempted) => {
      this.loop = this.run(attempted);
    });
  }

  async stopConsuming(): Promise<void> {
    this.consuming = false;
    this.wake?.();
    await this.active?.session?.cancel();
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.consuming = false;
    this.wake?.();
    if (this.active) await this.teardown(this.active);
    await this.loop;
    this.log.info('listener closed');
  }

  private get wanted(): boolean {
    return this.consuming && this.closing === undefined;
  }

  private async run(attempted: () => void): Promise<void> {
    let attempt = 0;
    let first = true;
    while (this.wanted) {
      if (!first) {
        await this.sleep(backoffDelay(attempt++, { initialMs: this.opts.reconnectInitialMs, maxMs: this.opts.reconnectMaxMs }));
        if (!this.wanted) break;
      }
      first = false;
      const active = await this.establish();
      attempted();
      if (!active) continue;
      attempt = 0;
      if (!this.wanted) await this.teardown(active);
      const reason = await active.lost;
      this.active = undefined;
      if (active.teardown && !active.failure) break;
      this.setStatus('UNREACHABLE', reason);
      this.log.warn('connection lost; reconnecting', { reason });
      // oslo's round robin: after losing a host, start the next round at the one after it.
      this.nextHost = (active.hostIndex + 1) % this.url.hosts.length;
    }
    attempted();
  }

  /** Connects, declares and consumes; on failure reports UNREACHABLE and resolves undefined. */
  private async establish(): Promise<Active | undefined> {
    let model: ChannelModel | undefined;
    try {
      const connected = await connectRound(this.url, this.opts, this.nextHost, this.vimId);
      model = connected.model;
      const active = this.watch(connected.model, connected.hostIndex);
      await declareTopology(model, this.vim);
      active.session = await this.openSession(active);
      this.active = active;
      this.setStatus('REACHABLE');
      this.log.info('consuming', { host: hostLabel(this.url.hosts[active.hostIndex]!), queue: this.vim.queue, generation: active.session.generation });
      return active;
    } catch (err) {
      if (model) await closeQuietly(model);
      if (!this.wanted) return undefined;
      const reason = errorText(err);
      this.setStatus('UNREACHABLE', reason);
      this.log.warn('broker unavailable; retrying with backoff', { reason, code: err instanceof RelayError ? err.code : 'BROKER_UNREACHABLE' });
      return undefined;
    }
  }

  private watch(model: ChannelModel, hostIndex: number): Active {
    const host = hostLabel(this.url.hosts[hostIndex]!);
    let resolveLost!: (reason: string) => void;
    const lost = new Promise<string>((resolve) => (resolveLost = resolve));
    const active: Active = { model, hostIndex, lost };
    // 'close' always follows 'error'; the reconnect hangs off 'close'.
    model.on('error', (err: Error) => this.log.warn('connection error', { host, reason: errorText(err) }));
    model.on('close', (err?: Error) => {
      active.session?.end();
      resolveLost(active.failure ?? `connection to ${host} lost: ${err ? errorText(err) : 'closed by the broker'}`);
    });
    model.on('blocked', (reason: string) => this.log.warn('broker blocked the connection (resource alarm); dead-letter copies wait until it unblocks', { host, reason }));
    model.on('unblocked', () => this.log.info('broker unblocked the connection', { host }));
    return active;
  }

  private async openSession(active: Active): Promise<ConsumeSession> {
    const channel = await active.model.createChannel();
    const confirm = await active.model.createConfirmChannel();
    const session = new ConsumeSession(++this.generation, channel, new DeadLetterPublisher(confirm, this.vim), this.vimId);
    for (const [name, ch] of [['consumer', channel], ['dead-letter', confirm]] as const) {
      // amqplib emits 'error' only when the broker closes the channel alone (the connection's
      // own loss closes channels without one). A session with one channel gone would strand
      // deliveries or dead-letters, so restart it whole.
      ch.on('error', (err: Error) => this.fail(active, `${name} channel closed by the broker: ${errorText(err)}`));
      ch.on('close', () => session.end());
    }
    await channel.prefetch(this.opts.prefetch);
    await session.consume(this.vim.queue, (msg) => this.onMessage(active, session, msg));
    return session;
  }

  private onMessage(active: Active, session: ConsumeSession, msg: ConsumeMessage | null): void {
    if (msg === null) {
      void this.resumeAfterCancel(active, session);
      return;
    }
    const delivery = session.track(msg);
    // Arrived between our basic.cancel and its cancel-ok: nobody is taking work any more.
    if (!session.wanted || !this.wanted) return delivery.requeue();
    try {
      this.onDelivery!(delivery);
    } catch (err) {
      this.log.error('delivery handler threw; requeued', { code: 'INTERNAL', reason: errorText(err) });
      delivery.requeue();
    }
  }

  /** The broker cancelled our consumer (queue deleted, or its node went down): declare again, resume. */
  private async resumeAfterCancel(active: Active, session: ConsumeSession): Promise<void> {
    this.log.warn('the broker cancelled the consumer (queue deleted?); declaring again', { queue: this.vim.queue });
    try {
      await declareTopology(active.model, this.vim);
      await session.consume(this.vim.queue, (msg) => this.onMessage(active, session, msg));
      this.log.info('consuming again after the broker cancelled the consumer', { queue: this.vim.queue });
    } catch (err) {
      this.fail(active, `resuming after the broker cancelled the consumer failed: ${errorText(err)}`);
    }
  }

  /** Drops the connection so the loop reconnects, reporting `reason`. */
  private fail(active: Active, reason: string): void {
    if (active.teardown) return;
    this.log.warn('restarting the session', { reason });
    active.failure = reason;
    active.teardown = closeQuietly(active.model);
  }

  /** Our own close: cancel, hand everything back, close. Idempotent. */
  private teardown(active: Active): Promise<void> {
    active.teardown ??= (async () => {
      const session = active.session;
      if (session) {
        await session.cancel();
        session.requeueAll();
        await session.close();
      }
      await closeQuietly(active.model);
    })();
    return active.teardown;
  }

  private setStatus(status: ListenerStatus, reason?: string): void {
    if (this.current.status === status && this.current.reason === reason) return;
    const since = this.current.status === status ? this.current.since : new Date();
    this.current = reason === undefined ? { status, since } : { status, since, reason };
    this.emit('status', this.current);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}
