/**
 * One connection to one broker host: the rhea connection, one receiver per source address
 * (all in one session) and the dead-letter senders. It lives until it fails once; the
 * listener then builds a new one, so nothing here reconnects or retries.
 *
 * Events: 'receiver_open' (index), 'ready' (every receiver attached), 'message' (index,
 * EventContext), 'failed' (reason, secret-free).
 */
import { EventEmitter } from 'node:events';
import type { Connection, Container, EventContext, Receiver, Session } from 'rhea';
import { DeadLetterSender } from './dead-letter.js';
import { describeAmqpError } from './errors.js';
import type { ConnectPlan } from './connect-options.js';
import { SettleGate } from './settle-gate.js';

export interface BrokerSessionOptions {
  readonly vimId: string;
  readonly addresses: readonly string[];
  /** A host that has not opened the connection and attached every receiver by then has failed. */
  readonly connectTimeoutMs: number;
  /** How long a dead-letter copy may wait for the broker's answer. */
  readonly deadLetterTimeoutMs: number;
}

export class BrokerSession extends EventEmitter {
  private connection?: Connection;
  private session?: Session;
  private receivers: Receiver[] = [];
  private readonly deadLetters = new Map<string, DeadLetterSender>();
  private readonly gate = new SettleGate();
  private attached = 0;
  private connectTimer?: NodeJS.Timeout;
  private connectionError?: string;
  private over = false;

  constructor(private readonly container: Container, readonly plan: ConnectPlan, private readonly opts: BrokerSessionOptions) {
    super();
  }

  get alive(): boolean {
    return !this.over;
  }

  open(): void {
    this.connectTimer = setTimeout(() => this.fail(`${this.plan.label}: no AMQP 1.0 session within ${this.opts.connectTimeoutMs} ms`), this.opts.connectTimeoutMs);
    let conn: Connection;
    try {
      conn = this.container.connect(this.plan.options);
    } catch (e) {
      this.fail(`${this.plan.label}: ${describeAmqpError(e, 'cannot connect')}`);
      return;
    }
    this.connection = conn;
    conn.on('connection_open', () => this.attachReceivers(conn));
    conn.on('connection_error', (ctx: EventContext) => {
      this.connectionError = describeAmqpError(ctx.connection.error ?? ctx.error, 'connection error');
    });
    conn.on('connection_close', () => this.fail(`${this.plan.label}: the broker closed the connection${this.connectionError ? ` (${this.connectionError})` : ''}`));
    conn.on('disconnected', (ctx: EventContext) => this.fail(`${this.plan.label}: ${describeAmqpError(ctx.error ?? this.connectionError, 'disconnected')}`));
    conn.on('protocol_error', (e: unknown) => this.fail(`${this.plan.label}: protocol error: ${describeAmqpError(e, 'unknown')}`));
    conn.on('error', (e: unknown) => this.fail(`${this.plan.label}: ${describeAmqpError(e, 'error')}`));
  }

  addCredit(index: number, credit: number): void {
    const r = this.receivers[index];
    if (!this.over && r && credit > 0 && r.is_open()) r.add_credit(credit);
  }

  /** Settles one delivery of this connection; see SettleGate for why outcomes go in passes. */
  settle(kind: string, apply: () => void): void {
    this.gate.settle(kind, apply);
  }

  /** The dead-letter sender for `address` on this connection (one per address, made on first use). */
  deadLetterSender(queue: string, address: string): DeadLetterSender | undefined {
    if (this.over || !this.connection) return undefined;
    let s = this.deadLetters.get(address);
    if (!s) {
      s = new DeadLetterSender(this.connection, queue, address, this.opts.deadLetterTimeoutMs);
      this.deadLetters.set(address, s);
    }
    return s;
  }

  /** Graceful close: the broker requeues whatever is unsettled. Resolves within `timeoutMs`. */
  async close(timeoutMs: number): Promise<void> {
    const conn = this.connection;
    const wasOver = this.over;
    this.end('closed by the relay');
    // Releases handed in just before must leave ahead of the close frame.
    await this.gate.idle();
    if (!conn || wasOver) {
      this.destroySocket();
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      conn.once('connection_close', done);
      conn.once('disconnected', done);
      conn.close();
    });
    this.destroySocket();
  }

  private attachReceivers(conn: Connection): void {
    if (this.over) return;
    const session = conn.create_session();
    this.session = session;
    session.on('session_error', (ctx: EventContext) => this.fail(`${this.plan.label}: session refused: ${describeAmqpError(ctx.session?.error, 'session error')}`));
    session.on('session_close', () => this.fail(`${this.plan.label}: the broker ended the session`));
    session.begin();
    this.receivers = this.opts.addresses.map((address, index) => this.attachReceiver(session, address, index));
  }

  private attachReceiver(session: Session, address: string, index: number): Receiver {
    const r = session.open_receiver({
      name: `vim-event-relay:${this.opts.vimId}:${index}`,
      source: { address },
      // Manual flow control and settlement: the listener grants credit from its prefetch
      // budget and settles only when the pipeline has decided.
      autoaccept: false,
      credit_window: 0,
    });
    r.on('receiver_open', () => {
      if (this.over) return;
      this.emit('receiver_open', index);
      this.attached += 1;
      if (this.attached === this.opts.addresses.length) {
        clearTimeout(this.connectTimer);
        this.emit('ready');
      }
    });
    r.on('message', (ctx: EventContext) => this.emit('message', index, ctx));
    r.on('receiver_error', (ctx: EventContext) => this.fail(`${this.plan.label}: receiver for "${address}" refused: ${describeAmqpError(ctx.receiver?.error, 'detached')}`));
    r.on('receiver_close', () => this.fail(`${this.plan.label}: the broker detached the receiver for "${address}"`));
    return r;
  }

  private fail(reason: string): void {
    if (this.over) return;
    this.end(reason);
    this.emit('failed', reason);
    const conn = this.connection;
    if (conn && !conn.is_closed()) conn.close();
    // The socket may be half-open (e.g. a connect that never completes): do not wait for it.
    setTimeout(() => this.destroySocket(), 1000).unref();
  }

  private end(reason: string): void {
    this.over = true;
    clearTimeout(this.connectTimer);
    for (const s of this.deadLetters.values()) s.close(reason);
    this.deadLetters.clear();
  }

  /**
   * rhea's abort_socket also runs its disconnect bookkeeping (clearing heartbeat timers that
   * would otherwise keep firing for up to twice the idle timeout); a bare destroy would not.
   */
  private destroySocket(): void {
    const conn = this.connection;
    if (!conn?.socket) return;
    if (typeof conn.abort_socket === 'function') conn.abort_socket(conn.socket);
    else conn.socket.destroy?.();
  }
}
