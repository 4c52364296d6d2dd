/**
 * The one connection supervisor behind both transports' VimListener: status (PENDING ->
 * REACHABLE <-> UNREACHABLE, with since and reason), host round robin with full-jitter
 * backoff between failed rounds, the connect timeout, the process-wide connect slot, stop and
 * close. A protocol plugs in as a SessionOpener (session.ts) and knows nothing of these.
 *
 * Rules it settles for both protocols alike:
 * - 'status' is emitted once per change of status; a newer reason for the same status only
 *   updates status.reason (a broker that keeps refusing must not flood the status path).
 * - While PENDING, one dead host followed by a good one is failover, not an outage: UNREACHABLE
 *   is reported once every host of a round has failed, naming each host's failure.
 * - A delivery handler that throws has its delivery requeued (redelivered, never stranded).
 * - start() returns at once and may be called once.
 */
import { EventEmitter } from 'node:events';
import { RelayError } from '../errors.js';
import type { Logger } from '../util/logger.js';
import { redactText } from '../util/redact.js';
import { ConnectTimeoutError, explainConnectFailure } from './broker-errors.js';
import { abortReason, type ConnectLimiter } from './connect-limiter.js';
import type { TransportOptions } from './options.js';
import { nextAttemptDelay } from './reconnect.js';
import type { Session, SessionOpener } from './session.js';
import { hostLabel, type TransportUrl } from './transport-url.js';
import type { Delivery, ListenerHooks, ListenerStatus, ListenerStatusChange, VimListener } from './types.js';

type SupervisorOptions = Pick<TransportOptions, 'reconnectInitialMs' | 'reconnectMaxMs' | 'connectTimeoutMs'>;

/** Why an attempt was abandoned because the listener stops (not a broker failure). */
class Stopping extends Error {}

export class SupervisedListener extends EventEmitter implements VimListener {
  protected readonly log: Logger;
  private current: ListenerStatusChange = { status: 'PENDING', since: new Date() };
  private onDelivery: ((d: Delivery) => void) | undefined;
  private loop: Promise<void> | undefined;
  private session: Session | undefined;
  private consuming = true;
  private closing: Promise<void> | undefined;
  /** Aborted by stopConsuming()/close(): wakes a backoff sleep, leaves the slot queue, aborts an attempt. */
  private readonly stop = new AbortController();
  private failuresInRow = 0;
  private nextHost = 0;
  private roundFailures: string[] = [];
  /** Said once per spell of "not wanted", not once per check. */
  private toldUnwanted = false;

  constructor(
    readonly vimId: string,
    private readonly url: TransportUrl,
    private readonly opener: SessionOpener,
    private readonly opts: SupervisorOptions,
    private readonly limiter: ConnectLimiter,
    logger: Logger,
    private readonly hooks: ListenerHooks = {},
  ) {
    super();
    this.log = logger.child({ vim: vimId, transport: url.kind });
  }

  get status(): ListenerStatusChange {
    return this.current;
  }

  /** Deliveries handed out and not yet settled on the live session. */
  unsettled(): number {
    return this.session?.unsettled() ?? 0;
  }

  start(onDelivery: (d: Delivery) => void): Promise<void> {
    if (this.loop || this.closing) {
      const why = this.closing ? 'closed' : 'already started';
      return Promise.reject(
        new RelayError(
          'INTERNAL',
          `the listener for VIM ${this.vimId} was ${why}; a listener starts once (make a new one to start again)`,
        ),
      );
    }
    this.onDelivery = onDelivery;
    this.loop = this.run().catch((err: unknown) => {
      this.log.error('connection supervisor stopped by an unexpected error', { code: 'INTERNAL', reason: textOf(err) });
    });
    return Promise.resolve();
  }

  async stopConsuming(): Promise<void> {
    this.consuming = false;
    this.stop.abort(new Stopping('stopping'));
    await this.session?.stopConsuming();
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.consuming = false;
    this.stop.abort(new Stopping('closing'));
    const released = this.unsettled();
    await this.session?.close();
    await this.loop;
    this.log.info('listener closed', { requeued: released });
  }

  private get wanted(): boolean {
    return this.consuming && this.closing === undefined;
  }

  /**
   * Whether a session may declare the VIM's queue again: the listener runs and its VIM is still
   * registered as it has it. A VIM another replica removed (its queue deleted) or moved to
   * another queue is stopped here by the next reconcile; until then nothing is re-created.
   */
  private readonly stillWanted = (): boolean => this.wanted && (this.hooks.stillWanted?.() ?? true);

  /** Hands a delivery to the pipeline; see the rules above. */
  private readonly deliver = (d: Delivery): void => {
    if (!this.wanted || !this.onDelivery) return d.requeue();
    try {
      this.onDelivery(d);
    } catch (err) {
      this.log.error('the delivery handler threw; the delivery is requeued', { code: 'INTERNAL', reason: textOf(err) });
      d.requeue();
    }
  };

  private async run(): Promise<void> {
    const hosts = this.url.hosts.length;
    while (this.wanted) {
      const delay = nextAttemptDelay(this.failuresInRow, hosts, {
        initialMs: this.opts.reconnectInitialMs,
        maxMs: this.opts.reconnectMaxMs,
      });
      if (delay > 0) {
        this.log.debug('waiting before the next round of connection attempts', { retryInMs: delay });
        await this.sleep(delay);
        if (!this.wanted) break;
      }
      if (!this.stillWanted()) {
        await this.awaitUnwantedEnd();
        continue;
      }
      const hostIndex = this.nextHost;
      this.nextHost = (hostIndex + 1) % hosts;
      const session = await this.attempt(hostIndex);
      if (session) await this.consume(session, hostIndex);
    }
  }

  /**
   * The VIM is no longer registered as this listener has it: no connection (which would declare
   * its queue again) until the listener is stopped, as the store's change will have it, or the
   * VIM is registered so again. Checked every reconnectMaxMs.
   */
  private async awaitUnwantedEnd(): Promise<void> {
    if (!this.toldUnwanted) {
      this.toldUnwanted = true;
      this.log.warn(
        'the VIM is no longer registered as this listener reads it (removed or changed, maybe by another replica); not connecting nor declaring its queue again until the listener is stopped',
      );
      this.setStatus('UNREACHABLE', 'the VIM is being removed or changed; its listener is stopping');
    }
    await this.sleep(this.opts.reconnectMaxMs);
    if (this.stillWanted()) this.toldUnwanted = false;
  }

  /** Runs one session to its end and reports the loss. */
  private async consume(session: Session, hostIndex: number): Promise<void> {
    const label = hostLabel(this.url.hosts[hostIndex]);
    if (!this.wanted) {
      await session.close();
      return;
    }
    this.session = session;
    this.failuresInRow = 0;
    this.roundFailures = [];
    this.setStatus('REACHABLE');
    this.log.info('consuming', { host: label, ...session.detail });
    const reason = await session.closed;
    this.session = undefined;
    if (this.closing) return;
    const text = `connection to ${label} lost: ${reason}`;
    this.setStatus('UNREACHABLE', text);
    if (!this.wanted) return;
    this.log.warn('connection lost; reconnecting', { host: label, reason: text });
    // The lost host counts as the first failure of a new round, which starts at the next host
    // (oslo's failover order): with one host the reconnect waits a first jittered backoff, so
    // every VIM of a restarted broker does not come back in the same millisecond.
    this.failuresInRow = 1;
  }

  /** One attempt on one host within the connect slot and timeout; undefined when it failed. */
  private async attempt(hostIndex: number): Promise<Session | undefined> {
    const host = this.url.hosts[hostIndex];
    const label = hostLabel(host);
    let release: () => void;
    try {
      release = await this.limiter.acquire(this.stop.signal);
    } catch {
      return undefined;
    }
    const ctl = new AbortController();
    const onStop = (): void => ctl.abort(this.stop.signal.reason);
    this.stop.signal.addEventListener('abort', onStop, { once: true });
    const timer = setTimeout(
      () => ctl.abort(new ConnectTimeoutError(this.opts.connectTimeoutMs)),
      this.opts.connectTimeoutMs,
    );
    this.log.debug('connecting', { host: label, slotsInUse: this.limiter.inUse });
    let opening: Promise<Session> | undefined;
    try {
      opening = this.opener.open({
        host,
        hostIndex,
        label,
        signal: ctl.signal,
        connected: release,
        deliver: this.deliver,
        stillWanted: this.stillWanted,
      });
      return await untilAborted(opening, ctl.signal);
    } catch (err) {
      // A session that opens after we gave up on it is closed at once.
      opening?.then(
        (s) => s.close(),
        () => undefined,
      );
      if (!(err instanceof Stopping) && this.wanted) this.failed(hostIndex, err);
      return undefined;
    } finally {
      clearTimeout(timer);
      this.stop.signal.removeEventListener('abort', onStop);
      release();
    }
  }

  private failed(hostIndex: number, err: unknown): void {
    const host = this.url.hosts[hostIndex];
    const label = hostLabel(host);
    const { text, hostIndependent } = explainConnectFailure(err, {
      kind: this.url.kind,
      vhost: this.url.vhost,
      username: host.username,
      password: host.password,
      connectTimeoutMs: this.opts.connectTimeoutMs,
    });
    const line = hostIndependent ? text : `${label}: ${text}`;
    if (!this.roundFailures.includes(line)) this.roundFailures.push(line);
    this.failuresInRow += 1;
    const roundOver = this.failuresInRow % this.url.hosts.length === 0;
    if (roundOver) {
      const lines = this.roundFailures;
      this.roundFailures = [];
      this.setStatus(
        'UNREACHABLE',
        lines.length === 1 ? lines[0] : `no host of the transport_url accepted the connection: ${lines.join('; ')}`,
      );
    }
    const code = err instanceof RelayError ? err.code : 'BROKER_UNREACHABLE';
    this.log.warn(
      roundOver
        ? 'connection attempt failed; retrying with backoff'
        : 'connection attempt failed; trying the next host',
      { host: label, code, reason: line },
    );
  }

  private setStatus(status: ListenerStatus, reason?: string): void {
    if (this.closing) return;
    const prev = this.current;
    if (prev.status === status) {
      if (reason !== prev.reason)
        this.current = reason === undefined ? { status, since: prev.since } : { status, since: prev.since, reason };
      return;
    }
    this.current = reason === undefined ? { status, since: new Date() } : { status, since: new Date(), reason };
    this.emit('status', this.current);
  }

  private sleep(ms: number): Promise<void> {
    const signal = this.stop.signal;
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}

/** `p`, or a rejection with the signal's reason as soon as it aborts. */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(abortReason(signal));
  return new Promise<T>((resolve, reject) => {
    signal.addEventListener('abort', () => reject(abortReason(signal)), { once: true });
    p.then(resolve, reject);
  });
}

function textOf(err: unknown): string {
  return redactText(err instanceof Error ? err.message : String(err));
}
