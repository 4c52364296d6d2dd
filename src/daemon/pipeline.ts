/**
 * delivery -> parse -> filter -> normalise -> publish -> settle.
 *
 * A delivery is acked only after every topic it is bound for accepted it; dead-lettered (with
 * the catalogue code as reason) when it cannot ever be published; requeued when the publisher
 * is closing. Retryable DMaaP failures never reach here: the publisher keeps the message and
 * retries, so the delivery stays unacked and the broker's prefetch is the backpressure.
 */
import { parseNotification } from '../notifications/parse.js';
import { matchSubscriptions } from '../filter/match.js';
import { classify, type Classification } from '../filter/classify.js';
import { toVmFields } from '../normalize/vm-message.js';
import type { VmFields } from '../normalize/vm-fields.js';
import { renderMessages, type ComputeNodeRenderer } from './render.js';
import { isRelayError, RelayError, type ErrorCode } from '../errors.js';
import { PermanentPublishError, type MessagePublisher } from '../publish/types.js';
import type { Delivery } from '../transport/types.js';
import type { Subscription, Match } from '../filter/types.js';
import type { Notification } from '../notifications/types.js';
import type { Logger } from '../util/logger.js';
import { RecentIds, RecentStateChanges } from './windows.js';

/** What the pipeline reports; the daemon turns it into metrics. */
export interface PipelineObserver {
  consumed(vimId: string): void;
  filtered(vimId: string): void;
  published(vimId: string, topic: string, seconds: number): void;
  deadLettered(vimId: string, code: string): void;
  duplicate(vimId: string): void;
  inFlight(vimId: string, delta: 1 | -1): void;
}

export interface VimPipelineState {
  readonly vimId: string;
  readonly dedupe: RecentIds;
  readonly recent: RecentStateChanges;
  /** Promises of deliveries being processed: what shutdown and VIM removal wait for. */
  readonly inFlight: Set<Promise<void>>;
}

export interface PipelineDeps {
  readonly publisher: MessagePublisher;
  readonly subscriptions: () => readonly Subscription[];
  readonly observer: PipelineObserver;
  readonly logger: Logger;
  readonly maxBodyBytes: number;
  /** Compute-node events (with their per-node memory); absent = such events are dead-lettered UNMAPPABLE. */
  readonly computeNode?: ComputeNodeRenderer;
  /** Told how every rendered notification ended (the compute-node memory follows only what DMaaP accepted). */
  readonly settle?: SettleListener;
}

/** How a rendered notification ended. Both may be called for one that is not the listener's; it ignores those. */
export interface SettleListener {
  /** Every topic accepted its message, or it had none to send (suppressed); awaited before the ack. Must not reject. */
  published(vimId: string, n: Notification): Promise<void>;
  /** Requeued or dead-lettered instead, or its handling failed; may follow published() when the ack itself fails. */
  abandoned(vimId: string, n: Notification): void;
}

/** Pause before a delivery whose dead-letter copy failed goes back to the broker. */
const DEAD_LETTER_RETRY_PAUSE_MS = 1000;

/** The window behind check_vim_status sees every completed or failed instance operation. */
const windowSubscription = (vimId: string): Subscription => ({ id: '', vimId, states: ['*'], topic: '', phases: ['end', 'error'] });

export class Pipeline {
  private readonly handlingIds = new WeakMap<VimPipelineState, Map<string, Promise<void>>>();
  /** The check_vim_status window's subscription, one per VIM (not one object per notification). */
  private readonly windowSubs = new Map<string, readonly Subscription[]>();

  constructor(private readonly deps: PipelineDeps) {}

  /** Takes a delivery; the returned promise settles when the delivery is settled (never rejects). */
  accept(state: VimPipelineState, d: Delivery): Promise<void> {
    const started = process.hrtime.bigint();
    this.deps.observer.consumed(state.vimId);
    this.deps.observer.inFlight(state.vimId, 1);
    const p = this.process(state, d, started)
      .catch((e: unknown) => {
        this.deps.logger.error('delivery left unsettled; the broker will redeliver it', { vim: state.vimId, error: (e as Error).message });
      })
      .finally(() => {
        state.inFlight.delete(p);
        this.deps.observer.inFlight(state.vimId, -1);
      });
    state.inFlight.add(p);
    return p;
  }

  private async process(state: VimPipelineState, d: Delivery, started: bigint): Promise<void> {
    if (d.body.length > this.deps.maxBodyBytes) {
      return this.deadLetter(state, d, new RelayError('BODY_TOO_LARGE', `body of ${d.body.length} bytes exceeds transport.maxBodyBytes (${this.deps.maxBodyBytes})`));
    }
    const parsed = parseNotification(d.body);
    if (!parsed.ok) return this.deadLetter(state, d, parsed.error);
    const n = parsed.notification;
    // A broker redelivers what was unacked on a lost channel while our first copy may still be
    // waiting for DMaaP: let that copy finish, so that once it is published the redelivery is
    // recognised below instead of being published a second time.
    const ids = this.handling(state);
    for (let earlier = ids.get(n.messageId); earlier; earlier = ids.get(n.messageId)) await earlier;
    let done!: () => void;
    ids.set(n.messageId, new Promise<void>((resolve) => (done = resolve)));
    try {
      await this.handle(state, d, n, started);
    } finally {
      ids.delete(n.messageId);
      done();
    }
  }

  /** message_id -> settles when the delivery carrying it is settled, per VIM. */
  private handling(state: VimPipelineState): Map<string, Promise<void>> {
    let ids = this.handlingIds.get(state);
    if (!ids) this.handlingIds.set(state, (ids = new Map()));
    return ids;
  }

  private async handle(state: VimPipelineState, d: Delivery, n: Notification, started: bigint): Promise<void> {
    if (state.dedupe.has(n.messageId)) {
      this.deps.observer.duplicate(state.vimId);
      d.ack();
      return;
    }
    // The payload is mapped once, for the window and for every topic alike.
    let mapped: VmFields | undefined;
    const fields = (): VmFields => (mapped ??= toVmFields(n));
    const c = classify(n);
    this.remember(state, n, c, fields);
    const matches = matchSubscriptions(state.vimId, n, this.deps.subscriptions(), c);
    if (matches.length === 0) {
      this.deps.observer.filtered(state.vimId);
      d.ack();
      return;
    }
    let messages: Map<Match, string | null>;
    try {
      messages = await renderMessages(state.vimId, n, matches, this.deps.computeNode, fields);
    } catch (e) {
      return this.deadLetter(state, d, isRelayError(e) ? e : new RelayError('UNMAPPABLE', (e as Error).message));
    }
    try {
      await this.publishAll(state, d, n, messages, started);
    } catch (e) {
      this.deps.settle?.abandoned(state.vimId, n);
      throw e;
    }
  }

  private async publishAll(state: VimPipelineState, d: Delivery, n: Notification, messages: Map<Match, string | null>, started: bigint): Promise<void> {
    // As Promise.allSettled, then the first failure in topic order, without its per-message arrays.
    let failures: { reason: unknown }[] | undefined;
    const sends: Promise<void>[] = [];
    for (const [m, json] of messages) {
      if (json === null) continue;
      const i = sends.length;
      const topic = m.subscription.topic;
      const fail = (reason: unknown): void => void ((failures ??= [])[i] = { reason });
      sends.push(this.deps.publisher.publish(topic, json).then(() => {
        try {
          this.deps.observer.published(state.vimId, topic, Number(process.hrtime.bigint() - started) / 1e9);
        } catch (reason) {
          fail(reason);
        }
      }, fail));
    }
    if (sends.length === 1) await sends[0];
    else await Promise.all(sends);
    const failed = failures?.find((f) => f !== undefined);
    if (!failed) {
      await this.deps.settle?.published(state.vimId, n);
      d.ack();
      state.dedupe.add(n.messageId);
      return;
    }
    const err: unknown = failed.reason;
    this.deps.settle?.abandoned(state.vimId, n);
    if (err instanceof PermanentPublishError) {
      return this.deadLetter(state, d, new RelayError(err.code, err.message));
    }
    // Publisher closing (shutdown, VIM removal) or overloaded: hand it back to the broker.
    this.deps.logger.debug('requeueing notification', { vim: state.vimId, messageId: n.messageId, reason: (err as Error).message });
    d.requeue();
  }

  /** Feed the check_vim_status window with every completed or failed instance operation. */
  private remember(state: VimPipelineState, n: Notification, c: Classification | null, fields: () => VmFields): void {
    let window = this.windowSubs.get(state.vimId);
    if (!window) this.windowSubs.set(state.vimId, (window = [windowSubscription(state.vimId)]));
    const [m] = matchSubscriptions(state.vimId, n, window, c);
    if (!m || m.event.startsWith('COMPUTE_NODE_')) return;
    try {
      const v = fields();
      state.recent.push({
        state_description: v.state_description, launched_at: v.launched_at, instance_id: v.instance_id,
        display_name: v.display_name, state: v.state, event: m.event, timestamp: n.timestamp,
      });
    } catch {
      // Unmappable here means unmappable for subscribers too; that path dead-letters with the reason.
    }
  }

  private async deadLetter(state: VimPipelineState, d: Delivery, e: RelayError): Promise<void> {
    this.deps.logger.warn('dead-lettering notification', { vim: state.vimId, code: e.code, reason: e.message, source: d.source });
    try {
      await d.deadLetter({ code: e.code as ErrorCode, message: e.message });
    } catch (err) {
      // The copy was not confirmed (DLQ deleted meanwhile and re-declared, broker nack): the
      // original is still ours and unacked. Kept, it would hold a prefetch slot until the
      // connection drops; handed back after a pause, it is tried again without a hot loop.
      this.deps.logger.warn('dead-letter copy not confirmed; the notification goes back to the broker and is tried again', {
        vim: state.vimId, code: e.code, reason: (err as Error).message, retryInMs: DEAD_LETTER_RETRY_PAUSE_MS,
      });
      await new Promise((resolve) => setTimeout(resolve, DEAD_LETTER_RETRY_PAUSE_MS));
      d.requeue();
      return;
    }
    this.deps.observer.deadLettered(state.vimId, e.code);
  }
}
