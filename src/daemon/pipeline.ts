/**
 * delivery -> parse -> filter -> normalise -> route -> send -> settle.
 *
 * A delivery is acked only after every destination it is bound for accepted what it produced.
 * Every failure carries a catalogue code, and the delivery is settled in one place by that
 * code's disposition (src/errors.ts): dead-letter (with the code as reason) or requeue.
 * Retryable destination failures never reach here: a destination keeps the record and retries,
 * so the delivery stays unacked and the broker's prefetch is the backpressure.
 */
import { decodeBody, parseDecoded, peekDecodedHead, type Decoded } from '../notifications/parse.js';
import { restIsSilent, type Peeked } from '../notifications/peek.js';
import { couldMatch, matchSubscriptions } from '../filter/match.js';
import { classify, classifyType, type Classification } from '../filter/classify.js';
import { toVmFields } from '../normalize/vm-message.js';
import type { VmFields } from '../normalize/vm-fields.js';
import { ERRORS, isRelayError, RelayError } from '../errors.js';
import type { Destination, DestinationName, SinkName } from '../publish/destination.js';
import type { Delivery } from '../transport/types.js';
import type { Subscription, Match } from '../model/subscription.js';
import type { Notification } from '../notifications/types.js';
import type { Logger } from '../util/logger.js';
import {
  isComputeNodeMatch,
  renderMatches,
  renderVmMessages,
  type ComputeNodeStep,
  type PreparedStep,
  type RenderedMatches,
  type RenderOptions,
  type SideStep,
} from '../steps/render.js';
import { sendHeld } from '../publish/overload.js';
import { routeMessages, sinkNotConfigured } from './routes.js';
import type { Routed } from '../steps/render.js';
import type { VimState } from './vim-state.js';
import { stateLabel } from '../filter/classify.js';
import { filteredReason, type DecisionLog, type DecisionInput } from './decisions.js';

/** What the pipeline reports; the daemon turns it into metrics. */
export interface PipelineObserver {
  consumed(vimId: string): void;
  /** `state`: the state label of its event type (decisions.ts stateLabel). */
  filtered(vimId: string, state: string): void;
  published(vimId: string, destination: DestinationName, topic: string, seconds: number): void;
  deadLettered(vimId: string, code: string): void;
  duplicate(vimId: string): void;
  inFlight(vimId: string, delta: 1 | -1): void;
}

export type { SideStep };

export interface PipelineDeps {
  readonly destinations: Readonly<Partial<Record<DestinationName, Destination>>>;
  /** The sink of a subscription that names none (config sinks.default). */
  readonly defaultSink: SinkName;
  readonly subscriptions: () => readonly Subscription[];
  readonly observer: PipelineObserver;
  readonly logger: Logger;
  readonly maxBodyBytes: number;
  /** Compute-node events (with their per-node memory); absent = such events are dead-lettered UNMAPPABLE. */
  readonly computeNode?: ComputeNodeStep;
  readonly sideSteps?: readonly SideStep[];
  /**
   * Ack notifications nothing can want (no subscription, window or side step, judged from the
   * event type) without parsing their message. Default true; false takes the full path for
   * every notification (the property test that proves both decide alike).
   */
  readonly fastFilter?: boolean;
  /** Where each settled notification's decision goes (GET .../recent, the debug line); none = not kept. */
  readonly decisions?: DecisionLog;
  /** How messages are rendered (messages.*); default DEFAULT_RENDER. */
  readonly render?: RenderOptions;
}

/** What a notification comes to before it is sent: its records, nothing wanted (undefined), or a duplicate. */
const DUPLICATE = Symbol('duplicate');
type Decided = Routed[] | undefined | typeof DUPLICATE;
/** decide() threw: deliver() settles it by its code, as any later failure. */
class Failed {
  constructor(readonly error: unknown) {}
}

/** A message_id being handled; a redelivered twin waits for it to settle. */
interface Handling {
  waiters?: (() => void)[];
}

/** A destination's failure as thrown on: an Error as it is, anything else described. */
const asError = (reason: unknown): Error =>
  reason instanceof Error
    ? reason
    : new Error(reason === undefined || reason === null ? 'destination failed' : JSON.stringify(reason));

const unmappable = (e: unknown): RelayError =>
  isRelayError(e) ? e : new RelayError('UNMAPPABLE', (e as Error).message);

/** Bound of the fast path's per-subscription-list memo; cleared when full (event types are few in practice). */
const WANTED_MEMO_MAX = 10_000;
const SETTLED = Promise.resolve();

/** What a decision says about the notification it is about. */
interface About {
  readonly id: string | null;
  readonly eventType: string;
  readonly c: Classification | null;
}

/** One parsed delivery on its way, from handle() to its settling: what deliver() needs. */
interface InHand {
  readonly state: VimState;
  readonly d: Delivery;
  readonly id: string;
  readonly about: About;
  /** Its entry in state.handling, where a redelivered twin waits. */
  readonly mine: Handling;
  /** The steps its decision prepared: each committed once its own records were accepted, all released always. */
  readonly steps: StepRun[];
  /** performance.now() when it arrived, for the publish latency. */
  readonly started: number;
}

/**
 * A step the decision prepared, and its own records: routed[from] up to routed[to - 1]. It is
 * committed once all of them were accepted (at once when it has none), whatever the others
 * answer (src/store/prepared-step.ts).
 */
interface StepRun {
  readonly step: PreparedStep<unknown>;
  readonly from: number;
  readonly to: number;
  /** Its records not accepted yet. */
  left: number;
}

/** The step whose record routed[i] is, if any. */
function stepOf(steps: readonly StepRun[], i: number): StepRun | undefined {
  for (const s of steps) if (i >= s.from && i < s.to) return s;
  return undefined;
}

/** One of the step's records was accepted: its commit once that was the last. */
const acceptedFor = (s: StepRun): Promise<void> => (--s.left === 0 ? s.step.commit() : SETTLED);

/** A prepared step and its own records, appended to the notification's. */
function addStep(steps: StepRun[], routed: Routed[], step: PreparedStep<unknown>, own: readonly Routed[]): void {
  steps.push({ step, from: routed.length, to: routed.length + own.length, left: own.length });
  routed.push(...own);
}

/** A body that was not parsed (too large, not JSON, no notification). */
const UNREAD: About = { id: null, eventType: '', c: null };
const DUPLICATE_REASON = 'published already: its message_id is among the last dedupe.windowSize published';
const NONE: readonly string[] = [];

function decision(
  about: About,
  outcome: DecisionInput['outcome'],
  reason: string,
  routed?: readonly Routed[],
): DecisionInput {
  return {
    message_id: about.id,
    event_type: about.eventType,
    state: about.c ? stateLabel(about.c) : null,
    subscriptions: routed ? routed.map((r) => r.subscription) : NONE,
    destinations: routed ? routed.map((r) => `${r.destination}:${r.record.topic}`) : NONE,
    outcome,
    reason,
  };
}

/** The fast path's decision: read no further than the event type. */
function unreadDecision(head: Peeked): DecisionInput {
  const c = classifyType(head.eventType, head.priority);
  return {
    message_id: null,
    event_type: head.eventType,
    state: stateLabel(c),
    subscriptions: NONE,
    destinations: NONE,
    outcome: 'filtered',
    reason: filteredReason(c, head.eventType, true),
  };
}

/** Pause before a delivery whose dead-letter copy failed goes back to the broker. */
const DEAD_LETTER_RETRY_PAUSE_MS = 1000;

export class Pipeline {
  private readonly fastFilter: boolean;
  /**
   * Per subscription list (the store's snapshot array): "vim\ntype\npriority" -> null when
   * something may want it, else the state label it is counted as filtered under.
   */
  private readonly wantedMemo = new WeakMap<readonly Subscription[], Map<string, string | null>>();

  constructor(private readonly deps: PipelineDeps) {
    this.fastFilter = deps.fastFilter ?? true;
  }

  /** Takes a delivery; the returned promise settles when the delivery is settled (never rejects). */
  accept(state: VimState, d: Delivery): Promise<void> {
    const started = performance.now();
    this.deps.observer.consumed(state.vimId);
    let decoded: Decoded | undefined;
    if (d.body.length <= this.deps.maxBodyBytes) {
      decoded = decodeBody(d.body);
      const unwanted = decoded.ok && this.fastFilter ? this.filteredUnread(state, decoded.value) : null;
      if (unwanted) {
        try {
          d.ack();
          this.deps.observer.filtered(state.vimId, unwanted.label);
          this.deps.decisions?.record(state.vimId, unreadDecision(unwanted.head));
        } catch (e) {
          this.leftUnsettled(state, e);
        }
        return SETTLED;
      }
    }
    this.deps.observer.inFlight(state.vimId, 1);
    state.inFlight.add();
    return this.process(state, d, started, decoded);
  }

  /** What every path of process() ends with, whatever happened: the delivery is no longer in flight. */
  private settled(state: VimState): void {
    state.inFlight.done();
    this.deps.observer.inFlight(state.vimId, -1);
  }

  /** For the dead-letter paths: as deliver() does for the others. */
  private async guarded(state: VimState, work: Promise<void>): Promise<void> {
    try {
      await work;
    } catch (e) {
      this.leftUnsettled(state, e);
    } finally {
      this.settled(state);
    }
  }

  private leftUnsettled(state: VimState, e: unknown): void {
    this.deps.logger.error('delivery left unsettled; the broker will redeliver it', {
      vim: state.vimId,
      error: (e as Error).message,
    });
  }

  /**
   * The filtered fast path: true when the body is an oslo 2.0 envelope whose event type (read
   * from the head of its message, peek.ts) no subscription of the VIM, no check_vim_status
   * window and no side step can want, whatever its payload says. A well-formed one would be
   * acked as filtered by the full path too; it is acked unparsed, and a message broken past its
   * event type is acked with it rather than dead-lettered (docs/performance.md).
   */
  private filteredUnread(state: VimState, value: unknown): { head: Peeked; label: string } | null {
    // The rest of the message is searched only for a type nothing wants: what something may
    // want is parsed in full anyway, and the search of its ~2 KB would be wasted.
    const head = peekDecodedHead(value);
    if (head === null) return null;
    const label = this.unwantedLabel(state, head);
    return label !== null && restIsSilent(head) ? { head, label } : null;
  }

  /** null when something may want a notification of this type; else the state label it is filtered under. */
  private unwantedLabel(state: VimState, p: Peeked): string | null {
    const vimId = state.vimId;
    if (this.sideMayWant(vimId, p.eventType)) return null;
    const subs = this.deps.subscriptions();
    let memo = this.wantedMemo.get(subs);
    if (!memo) this.wantedMemo.set(subs, (memo = new Map<string, string | null>()));
    const key = `${vimId}\n${p.eventType}\n${p.priority}`;
    let label = memo.get(key);
    if (label === undefined) {
      const c = classifyType(p.eventType, p.priority);
      const wanted = couldMatch(vimId, c, subs) || couldMatch(vimId, c, state.windowSubscriptions);
      label = wanted ? null : stateLabel(c);
      if (memo.size >= WANTED_MEMO_MAX) memo.clear();
      memo.set(key, label);
    }
    return label;
  }

  /** Whether any side step may produce a record for this VIM and event type. */
  private sideMayWant(vimId: string, eventType: string): boolean {
    for (const side of this.deps.sideSteps ?? []) if (side.mayWant(vimId, eventType)) return true;
    return false;
  }

  /**
   * `decoded` is undefined when the body exceeds maxBodyBytes (it was not decoded). The promise
   * never rejects, and settled() has run when it settles.
   */
  private process(state: VimState, d: Delivery, started: number, decoded: Decoded | undefined): Promise<void> {
    if (decoded === undefined) {
      const e = new RelayError(
        'BODY_TOO_LARGE',
        `body of ${d.body.length} bytes exceeds transport.maxBodyBytes (${this.deps.maxBodyBytes})`,
      );
      return this.guarded(state, this.deadLetter(state, d, e));
    }
    if (!decoded.ok) return this.guarded(state, this.deadLetter(state, d, decoded.error));
    const parsed = parseDecoded(decoded.value, d.body);
    if (!parsed.ok) return this.guarded(state, this.deadLetter(state, d, parsed.error));
    const n = parsed.notification;
    // A broker redelivers what was unacked on a lost channel while our first copy may still be
    // waiting for a destination: let that copy finish, so that once it is published the
    // redelivery is recognised as a duplicate instead of being published a second time.
    if (state.handling.has(n.messageId)) return this.afterTwin(state, d, n, started);
    return this.handle(state, d, n, started);
  }

  /** Waits (on promises that only resolve) until no earlier copy is being handled, then handles this one. */
  private async afterTwin(state: VimState, d: Delivery, n: Notification, started: number): Promise<void> {
    const ids = state.handling;
    for (let earlier = ids.get(n.messageId); earlier; earlier = ids.get(n.messageId)) {
      const twin = earlier;
      await new Promise<void>((resolve) => (twin.waiters ??= []).push(resolve));
    }
    return this.handle(state, d, n, started);
  }

  /**
   * Claims the message_id and decides, synchronously, everything the notification produces;
   * only the records and the steps go on to wait for the destinations. The parsed notification
   * and its mapped fields are dropped here: kept across the wait (tens of milliseconds, with up
   * to a prefetch of them in flight) they survived young-generation collections and were copied
   * and promoted, the largest share of the relay's garbage-collection cost (docs/performance.md).
   * Never throws; deliver() runs settled() at its end.
   */
  private handle(state: VimState, d: Delivery, n: Notification, started: number): Promise<void> {
    const id = n.messageId;
    const mine: Handling = {};
    state.handling.set(id, mine);
    const steps: StepRun[] = [];
    let decided: Decided | Promise<Decided> | Failed;
    let c: Classification | null = null;
    try {
      c = classify(n);
      decided = this.decide(state, n, c, steps);
    } catch (e) {
      decided = new Failed(e);
    }
    const about: About = { id, eventType: n.eventType, c };
    return this.deliver({ state, d, id, about, mine, steps, started }, decided);
  }

  private async deliver(h: InHand, decided: Decided | Promise<Decided> | Failed): Promise<void> {
    const { state, d, id, about, mine, steps, started } = h;
    try {
      try {
        if (decided instanceof Failed) throw decided.error;
        const routed = decided instanceof Promise ? await decided : decided;
        if (routed === DUPLICATE) {
          this.deps.observer.duplicate(state.vimId);
          d.ack();
          this.deps.decisions?.record(state.vimId, decision(about, 'duplicate', DUPLICATE_REASON));
        } else if (routed === undefined) {
          this.deps.observer.filtered(state.vimId, stateLabel(about.c));
          d.ack();
          this.deps.decisions?.record(
            state.vimId,
            decision(about, 'filtered', filteredReason(about.c, about.eventType, false)),
          );
        } else {
          // A step with no records of its own (a suppressed compute-node update) has nothing to wait for.
          for (const s of steps) if (s.left === 0) await s.step.commit();
          if (routed.length === 1) await this.sendOne(state.vimId, routed[0], started, steps);
          else await this.sendAll(state.vimId, routed, started, steps);
          d.ack();
          state.dedupe.add(id);
          this.deps.decisions?.record(state.vimId, decision(about, 'published', 'every destination accepted', routed));
        }
      } catch (e) {
        await this.settleFailure(state, d, e, about);
      } finally {
        for (const s of steps) s.step.release();
        state.handling.delete(id);
        if (mine.waiters) for (const wake of mine.waiters) wake();
      }
    } catch (e) {
      this.leftUnsettled(state, e);
    } finally {
      this.settled(state);
    }
  }

  /** The records `n` produces (undefined: nothing wants it), or DUPLICATE when it was published already. */
  private decide(
    state: VimState,
    n: Notification,
    c: Classification | null,
    steps: StepRun[],
  ): Decided | Promise<Decided> {
    if (state.dedupe.has(n.messageId)) return DUPLICATE;
    // The payload is mapped once, for the window, every topic and every step alike.
    let mapped: VmFields | undefined;
    const fields = (): VmFields => (mapped ??= toVmFields(n));
    this.remember(state, n, c, fields);
    const matches = matchSubscriptions(state.vimId, n, this.deps.subscriptions(), c);
    return this.prepare(state.vimId, n, matches, fields, steps);
  }

  /**
   * Every record the notification produces; undefined when nothing wants it (filtered). Without
   * a step that keeps memory (compute nodes) or a side step that may want it, synchronously:
   * most notifications need no promise here.
   */
  private prepare(
    vimId: string,
    n: Notification,
    matches: readonly Match[],
    fields: () => VmFields,
    steps: StepRun[],
  ): Routed[] | undefined | Promise<Routed[] | undefined> {
    if (this.sideMayWant(vimId, n.eventType) || isComputeNodeMatch(matches))
      return this.prepareSteps(vimId, n, matches, fields, steps);
    if (matches.length === 0) return undefined;
    return this.vmRecords(vimId, n, matches, fields);
  }

  /** Instance messages: records of no step (they keep no memory). */
  private vmRecords(vimId: string, n: Notification, matches: readonly Match[], fields: () => VmFields): Routed[] {
    let rendered: RenderedMatches;
    try {
      rendered = renderVmMessages(vimId, n, matches, fields, this.deps.render);
    } catch (e) {
      throw unmappable(e);
    }
    return routeMessages(vimId, n.messageId, rendered, this.deps.defaultSink);
  }

  private async prepareSteps(
    vimId: string,
    n: Notification,
    matches: readonly Match[],
    fields: () => VmFields,
    steps: StepRun[],
  ): Promise<Routed[] | undefined> {
    const routed: Routed[] = [];
    let wanted = matches.length > 0;
    if (wanted && !isComputeNodeMatch(matches)) routed.push(...this.vmRecords(vimId, n, matches, fields));
    else if (wanted) {
      let step: PreparedStep<RenderedMatches>;
      try {
        step = await renderMatches(vimId, n, matches, this.deps.computeNode, fields, this.deps.render);
      } catch (e) {
        throw unmappable(e);
      }
      addStep(steps, routed, step, routeMessages(vimId, n.messageId, step.value, this.deps.defaultSink));
    }
    for (const side of this.deps.sideSteps ?? []) {
      if (!side.mayWant(vimId, n.eventType)) continue; // its prepare() would give nothing
      const step = await side.prepare(vimId, n, fields);
      if (!step) continue;
      wanted = true;
      addStep(steps, routed, step, step.value);
    }
    return wanted ? routed : undefined;
  }

  /** sendAll() of one record (most notifications), without its per-record closures and arrays. */
  private async sendOne(vimId: string, r: Routed, started: number, steps: readonly StepRun[]): Promise<void> {
    const dest = this.deps.destinations[r.destination];
    if (!dest) throw sinkNotConfigured(r);
    try {
      await sendHeld(dest, r.record);
    } catch (reason) {
      throw asError(reason);
    }
    this.accepted(vimId, r, started);
    const step = steps.length > 0 ? stepOf(steps, 0) : undefined;
    if (step) await acceptedFor(step);
  }

  /** A destination accepted the record: counted, with the time since the notification was consumed. */
  private accepted(vimId: string, r: Routed, started: number): void {
    this.deps.observer.published(vimId, r.destination, r.record.topic, (performance.now() - started) / 1000);
  }

  /**
   * As Promise.allSettled, then throws the first failure in record order. A step is committed
   * as soon as its own records were accepted, before the others answered.
   */
  private async sendAll(
    vimId: string,
    routed: readonly Routed[],
    started: number,
    steps: readonly StepRun[],
  ): Promise<void> {
    let failures: unknown[] | undefined;
    const sends: Promise<void>[] = [];
    for (let i = 0; i < routed.length; i++) {
      const r = routed[i];
      // A failure's slot is its record's place, so that the first in record order is thrown.
      const fail = (reason: unknown): void => void ((failures ??= [])[i] = reason ?? new Error('destination failed'));
      const dest = this.deps.destinations[r.destination];
      if (!dest) {
        fail(sinkNotConfigured(r));
        continue;
      }
      const accepted = (): void => this.accepted(vimId, r, started);
      // Most records belong to no step: no async step (and its promise) for them.
      const step = steps.length > 0 ? stepOf(steps, i) : undefined;
      const onAccepted = step
        ? async (): Promise<void> => {
            accepted();
            await acceptedFor(step);
          }
        : accepted;
      sends.push(sendHeld(dest, r.record).then(onAccepted, fail));
    }
    if (sends.length === 1) await sends[0];
    else await Promise.all(sends);
    const failed = failures?.find((f) => f !== undefined);
    if (failed !== undefined) throw asError(failed);
  }

  /** The one place a failure settles a delivery: by its code's disposition. */
  private async settleFailure(state: VimState, d: Delivery, e: unknown, about: About): Promise<void> {
    const err = isRelayError(e) ? e : new RelayError('INTERNAL', (e as Error)?.message ?? String(e), { cause: e });
    if (ERRORS[err.code].disposition === 'dead-letter') return this.deadLetter(state, d, err, about);
    this.deps.decisions?.record(state.vimId, decision(about, 'requeued', `${err.code}: ${err.message}`));
    // requeue (a destination closing; an overloaded one holds the record, publish/overload.ts) and
    // anything unforeseen: hand it back to the broker.
    if (err.code === 'INTERNAL')
      this.deps.logger.error('notification requeued after an unexpected error', {
        vim: state.vimId,
        error: err.message,
      });
    else this.deps.logger.debug('requeueing notification', { vim: state.vimId, code: err.code, reason: err.message });
    d.requeue();
  }

  /**
   * Feed the check_vim_status window with every completed or failed instance operation, at
   * decide time on purpose: it records what the VIM did, not what was published.
   */
  private remember(state: VimState, n: Notification, c: Classification | null, fields: () => VmFields): void {
    const [m] = matchSubscriptions(state.vimId, n, state.windowSubscriptions, c);
    if (!m || m.event.startsWith('COMPUTE_NODE_')) return;
    try {
      const v = fields();
      state.remember({
        state_description: v.state_description,
        launched_at: v.launched_at,
        instance_id: v.instance_id,
        display_name: v.display_name,
        state: v.state,
        event: m.event,
        timestamp: n.timestamp,
      });
    } catch {
      // Unmappable here means unmappable for subscribers too; that path dead-letters with the reason.
    }
  }

  private async deadLetter(state: VimState, d: Delivery, e: RelayError, about: About = UNREAD): Promise<void> {
    this.deps.logger.warn('dead-lettering notification', {
      vim: state.vimId,
      code: e.code,
      reason: e.message,
      source: d.source,
    });
    try {
      await d.deadLetter({ code: e.code, message: e.message });
    } catch (err) {
      // The copy was not confirmed (DLQ deleted meanwhile and re-declared, broker nack): the
      // original is still ours and unacked. Kept, it would hold a prefetch slot until the
      // connection drops; handed back after a pause, it is tried again without a hot loop.
      this.deps.logger.warn(
        'dead-letter copy not confirmed; the notification goes back to the broker and is tried again',
        {
          vim: state.vimId,
          code: e.code,
          reason: (err as Error).message,
          retryInMs: DEAD_LETTER_RETRY_PAUSE_MS,
        },
      );
      await new Promise((resolve) => setTimeout(resolve, DEAD_LETTER_RETRY_PAUSE_MS));
      d.requeue();
      this.deps.decisions?.record(
        state.vimId,
        decision(about, 'requeued', `dead-letter copy not confirmed: ${e.code}`),
      );
      return;
    }
    this.deps.observer.deadLettered(state.vimId, e.code);
    this.deps.decisions?.record(state.vimId, decision(about, 'dead-lettered', `${e.code}: ${e.message}`));
  }
}
