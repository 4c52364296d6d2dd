/**
 * One connection to one broker host: the rhea connection, one receiver per source address
 * (all in one session) and the dead-letter senders. It lives until it fails once; the
 * supervisor then has a new one built, so nothing here reconnects, retries or times out (the
 * supervisor aborts an attempt that takes too long).
 *
 * Events: 'receiver_open' (index), 'ready' (every receiver attached), 'message' (index,
 * EventContext), 'failed' (reason: secret-free text without the host; cause: the rhea error
 * object when there is one, for ../broker-errors.ts).
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
  /** How long a dead-letter copy may wait for the broker's answer. */
  readonly deadLetterTimeoutMs: number;
}

/** What rhea's Connection has but its typings leave to an `any` index: its socket and the abort. */
interface SocketOwner {
  readonly socket?: { destroy?: () => void };
  readonly abort_socket?: (socket: unknown) => void;
  readonly [member: string]: unknown;
}

export class BrokerSession extends EventEmitter {
  private connection?: Connection;
  private session?: Session;
  private receivers: Receiver[] = [];
  private readonly deadLetters = new Map<string, DeadLetterSender>();
  private readonly gate = new SettleGate();
  private attached = 0;
  private connectionError?: string;
  private connectionErrorCause?: unknown;
  private over = false;

  constructor(
    private readonly container: Container,
    readonly plan: ConnectPlan,
    private readonly opts: BrokerSessionOptions,
  ) {
    super();
  }

  get alive(): boolean {
    return !this.over;
  }

  /** Connects; `connected` is called once TCP is up (the supervisor's connect slot passes on). */
  open(connected: () => void = () => undefined): void {
    let conn: Connection;
    try {
      conn = this.container.connect(this.plan.options);
    } catch (e) {
      this.fail(describeAmqpError(e, 'cannot connect'), e);
      return;
    }
    this.connection = conn;
    const socket = conn.socket as { once?: (event: string, fn: () => void) => void; connecting?: boolean } | undefined;
    if (socket?.once && socket.connecting !== false) socket.once('connect', connected);
    else connected();
    conn.on('connection_open', () => this.attachReceivers(conn));
    conn.on('connection_error', (ctx: EventContext) => {
      this.connectionErrorCause = ctx.connection.error ?? ctx.error;
      this.connectionError = describeAmqpError(this.connectionErrorCause, 'connection error');
    });
    conn.on('connection_close', () =>
      this.fail(
        `the broker closed the connection${this.connectionError ? ` (${this.connectionError})` : ''}`,
        this.connectionErrorCause,
      ),
    );
    conn.on('disconnected', (ctx: EventContext) =>
      this.fail(
        describeAmqpError(ctx.error ?? this.connectionError, 'disconnected'),
        this.connectionErrorCause ?? ctx.error,
      ),
    );
    conn.on('protocol_error', (e: unknown) => this.fail(`protocol error: ${describeAmqpError(e, 'unknown')}`, e));
    conn.on('error', (e: unknown) => this.fail(describeAmqpError(e, 'error'), e));
  }

  /** Gives up on this connection (the supervisor's timeout or stop): emits 'failed' and drops the socket. */
  abort(reason: string): void {
    this.fail(reason);
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
    session.on('session_error', (ctx: EventContext) =>
      this.fail(`session refused: ${describeAmqpError(ctx.session?.error, 'session error')}`, ctx.session?.error),
    );
    session.on('session_close', () => this.fail('the broker ended the session'));
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
      if (this.attached === this.opts.addresses.length) this.emit('ready');
    });
    r.on('message', (ctx: EventContext) => this.emit('message', index, ctx));
    r.on('receiver_error', (ctx: EventContext) =>
      this.fail(
        `receiver for "${address}" refused: ${describeAmqpError(ctx.receiver?.error, 'detached')}`,
        ctx.receiver?.error,
      ),
    );
    r.on('receiver_close', () => this.fail(`the broker detached the receiver for "${address}"`));
    return r;
  }

  private fail(reason: string, cause?: unknown): void {
    if (this.over) return;
    this.end(reason);
    this.emit('failed', reason, cause);
    const conn = this.connection;
    if (conn && !conn.is_closed()) conn.close();
    // The socket may be half-open (e.g. a connect that never completes): do not wait for it.
    setTimeout(() => this.destroySocket(), 1000).unref();
  }

  private end(reason: string): void {
    this.over = true;
    for (const s of this.deadLetters.values()) s.close(reason);
    this.deadLetters.clear();
  }

  /**
   * rhea's abort_socket also runs its disconnect bookkeeping (clearing heartbeat timers that
   * would otherwise keep firing for up to twice the idle timeout); a bare destroy would not.
   */
  private destroySocket(): void {
    const conn: SocketOwner | undefined = this.connection;
    if (!conn?.socket) return;
    if (typeof conn.abort_socket === 'function') conn.abort_socket(conn.socket);
    else conn.socket.destroy?.();
  }
}
