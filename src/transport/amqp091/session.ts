/**
 * One AMQP 0-9-1 session on one host: the connection, the declarations, the consumer channel
 * and the dead-letter confirm channel. It ends once (broker loss, a channel the broker closed,
 * or close()); the supervisor then opens a new one. amqplib's built-in recovery is not used:
 * it knows one URL, while an oslo transport_url lists several hosts to fail over between.
 */
import type { ChannelModel, ConsumeMessage } from 'amqplib';
import type { Logger } from '../../util/logger.js';
import type { TransportOptions } from '../options.js';
import type { OpenRequest, Session, SessionOpener } from '../session.js';
import type { TransportUrl } from '../transport-url.js';
import type { ListenerSpec } from '../types.js';
import { closeQuietly, connectHost, errorText } from './connect.js';
import { DeadLetterPublisher } from './dead-letter.js';
import { ConsumeSession } from './delivery.js';
import { declareTopology } from './topology.js';

export class Amqp091Opener implements SessionOpener {
  /** Consumer channel generations, across the listener's sessions (for logs). */
  private generation = 0;

  constructor(
    private readonly vim: ListenerSpec,
    private readonly url: TransportUrl,
    private readonly opts: TransportOptions,
    private readonly log: Logger,
  ) {}

  async open(req: OpenRequest): Promise<Session> {
    const model = await connectHost(this.url, req.host, this.opts, this.vim.id, req.signal, req.connected);
    const session = new Amqp091Session(model, this.vim, req, this.log);
    // Declarations and consumers are part of the attempt: a timeout or stop closes the model,
    // which rejects whatever is pending.
    const abort = (): void => void session.close();
    req.signal.addEventListener('abort', abort, { once: true });
    try {
      await session.setUp(++this.generation, this.opts.prefetch);
      if (req.signal.aborted) throw req.signal.reason;
      return session;
    } catch (err) {
      await session.close();
      throw err;
    } finally {
      req.signal.removeEventListener('abort', abort);
    }
  }
}

class Amqp091Session implements Session {
  readonly closed: Promise<string>;
  detail: Record<string, unknown> = {};
  private consumer: ConsumeSession | undefined;
  /** Why we are closing it ourselves, when we are. */
  private failure: string | undefined;
  private teardown: Promise<void> | undefined;
  private ours = false;

  constructor(
    private readonly model: ChannelModel,
    private readonly vim: ListenerSpec,
    private readonly req: Pick<OpenRequest, 'label' | 'deliver' | 'stillWanted'>,
    private readonly log: Logger,
  ) {
    const host = req.label;
    let lost!: (reason: string) => void;
    this.closed = new Promise<string>((resolve) => (lost = resolve));
    // 'close' always follows 'error'; the end of the session hangs off 'close'.
    model.on('error', (err: Error) => this.log.warn('connection error', { host, reason: errorText(err) }));
    model.on('close', (err?: Error) => {
      this.consumer?.end();
      lost(this.failure ?? (this.ours ? 'closed by the relay' : err ? errorText(err) : 'closed by the broker'));
    });
    model.on('blocked', (reason: string) =>
      this.log.warn('broker blocked the connection (resource alarm); dead-letter copies wait until it unblocks', {
        host,
        reason,
      }),
    );
    model.on('unblocked', () => this.log.info('broker unblocked the connection', { host }));
  }

  unsettled(): number {
    return this.consumer?.unsettled ?? 0;
  }

  async setUp(generation: number, prefetch: number): Promise<void> {
    await declareTopology(this.model, this.vim, this.log);
    const channel = await this.model.createChannel();
    const confirm = await this.model.createConfirmChannel();
    const consumer = new ConsumeSession(generation, channel, new DeadLetterPublisher(confirm, this.vim), this.vim.id);
    this.consumer = consumer;
    for (const [name, ch] of [
      ['consumer', channel],
      ['dead-letter', confirm],
    ] as const) {
      // amqplib emits 'error' only when the broker closes the channel alone (the connection's
      // own loss closes channels without one). A session with one channel gone would strand
      // deliveries or dead-letters, so restart it whole.
      ch.on('error', (err: Error) => this.fail(`${name} channel closed by the broker: ${errorText(err)}`));
      ch.on('close', () => consumer.end());
    }
    await channel.prefetch(prefetch);
    await consumer.consume(this.vim.queue, (msg) => this.onMessage(consumer, msg));
    this.detail = { queue: this.vim.queue, generation };
  }

  async stopConsuming(): Promise<void> {
    await this.consumer?.cancel();
  }

  /** Our own close: cancel, hand everything back, close. Idempotent. */
  close(): Promise<void> {
    this.ours = true;
    this.teardown ??= (async () => {
      const consumer = this.consumer;
      if (consumer) {
        await consumer.cancel();
        consumer.requeueAll();
        await consumer.close();
      }
      await closeQuietly(this.model);
    })();
    return this.teardown;
  }

  private onMessage(consumer: ConsumeSession, msg: ConsumeMessage | null): void {
    if (msg === null) {
      void this.resumeAfterCancel(consumer);
      return;
    }
    const delivery = consumer.track(msg);
    // Arrived between our basic.cancel and its cancel-ok: nobody is taking work any more.
    if (!consumer.wanted) return delivery.requeue();
    this.req.deliver(delivery);
  }

  /**
   * The broker cancelled our consumer: its queue was deleted (or its node went down). Declared
   * again and resumed only while the VIM is still wanted as this listener has it: a runner that
   * is stopping, or whose VIM was removed or moved (another replica retiring the queue), must not
   * put the queue back, bound and unconsumed. An operator's mistaken delete of a registered
   * VIM's queue is recovered from.
   */
  private async resumeAfterCancel(consumer: ConsumeSession): Promise<void> {
    if (this.teardown || !consumer.wanted) return;
    if (!this.req.stillWanted()) {
      this.log.warn(
        'the broker cancelled the consumer and the VIM is no longer registered as this listener reads it; not declaring its queue again',
        { queue: this.vim.queue },
      );
      // The supervisor does not reconnect while the VIM is unwanted; its stop ends the wait.
      this.fail('the broker cancelled the consumer (queue deleted) and the VIM is being removed or changed');
      return;
    }
    this.log.warn('the broker cancelled the consumer (queue deleted?); declaring again', { queue: this.vim.queue });
    try {
      await declareTopology(this.model, this.vim, this.log);
      await consumer.consume(this.vim.queue, (msg) => this.onMessage(consumer, msg));
      this.log.info('consuming again after the broker cancelled the consumer', { queue: this.vim.queue });
    } catch (err) {
      this.fail(`resuming after the broker cancelled the consumer failed: ${errorText(err)}`);
    }
  }

  /** Drops the connection so the supervisor reconnects, reporting `reason`. */
  private fail(reason: string): void {
    if (this.teardown) return;
    this.log.warn('restarting the session', { host: this.req.label, reason });
    this.failure = reason;
    this.teardown = closeQuietly(this.model);
  }
}
