/**
 * The compute-node renderer and its per-node memory (docs/compute-node.md).
 *
 * The memory must follow only what DMaaP accepted: were it written while rendering, a DMaaP
 * failure followed by a redelivery would find the new values already remembered and suppress
 * the very update that never got out. So prepare() only decides, and gives the decision as a
 * PreparedStep (src/store/prepared-step.ts), the one protocol of decisions with memory. Its
 * own records are the notification's subscribed messages: the pipeline commits it once every
 * one of them was accepted (at once when the decision publishes none), which writes the
 * decision to the store before the delivery is acked; released without that commit (a message
 * refused: requeued, dead-lettered), the decision is dropped and a redelivery decides again.
 *
 * Compute-node notifications of one VIM are decided one at a time, each after the previous
 * one's outcome is known, so that each is compared with what was really published last:
 * with prefetch, a backlog of identical updates would otherwise all be compared with the same
 * old memory and all be published. Instance notifications never wait on this.
 *
 * Replicas (a store other processes write too: PostgreSQL, `shared`) take turns only within
 * their own process, so there a decision is claimed before it is published (src/store/claims.ts):
 * - the VIM's node rows are read with their versions, and the decision is taken against them
 *   (another notification's claim read as the fields it claims, this notification's own claim,
 *   left by a replica that died or a redelivery, as the `previous` it replaced: so a redelivery
 *   publishes again, never suppresses itself; so is a claim older than CLAIM_ABANDONED_MS,
 *   whoever's: its notification will not settle it);
 * - each node row the decision changes (the node, a placeholder it adopts, the nodes a delete
 *   forgets) is written with compareAndSet as the new fields plus `claim: {messageId,
 *   claimedAt, previous}`, in key order. A lost row (another replica wrote it first) puts back
 *   the rows already claimed and the decision is taken again against the row as it now is, at
 *   most MAX_CLAIM_ATTEMPTS times: of two replicas deciding the same update at once, one
 *   publishes it and the other finds it claimed and suppresses it;
 * - the commit tidies each claimed row to its plain fields (a second write per published change,
 *   chosen so that the table holds plain memory for operators, a claim left in a row means
 *   "not known to be published", and `previous` never grows with each publish); a requeued or
 *   dead-lettered notification puts each row back to `previous`. Either only if the row is
 *   still at the claim's version.
 * A decision that changes no row (a suppressed update, a delete of an unknown node) claims
 * nothing and writes nothing: it is taken against this replica's copy of the rows, where a
 * concurrent claim is visible once its NOTIFY arrived; one that arrives later orders the two
 * notifications as if this one came first, which concurrent deliveries allow. One that
 * publishes nothing but teaches the memory untracked fields writes them plainly at once.
 * When the store cannot take a claim (STORE_UNAVAILABLE: PostgreSQL down), the decision goes
 * ahead unclaimed, as in one process, with a warning that another replica may publish the
 * same update: relaying must not stop while PostgreSQL is away, and a duplicate is the cost.
 */
import { RelayError } from '../errors.js';
import { COMPUTE_NODE_STATES, type ComputeNodeState, type Match } from '../model/subscription.js';
import type { Notification } from '../notifications/types.js';
import { nodeFacts, toComputeNodeMessage, type NodeFacts } from '../normalize/compute-node.js';
import { applyDecision, changesMemory, decide, type NodeDecision } from '../normalize/compute-node-rule.js';
import {
  claimDecision,
  decidingView,
  plainRows,
  putBack,
  rowChanges,
  settleRows,
  sharedRows,
  type ClaimLog,
  type ClaimWords,
  type ConditionalRows,
  type HeldRow,
  type RowValue,
  type SharedRows,
} from '../store/claims.js';
import { dropped, preparedStep, type PreparedStep } from '../store/prepared-step.js';
import { RowVersions } from '../store/memory-rows.js';
import type { ComputeNodeMemory } from '../store/state.js';
import type { CasResult } from '../store/store.js';
import type { Logger } from '../util/logger.js';
import { Turns } from '../util/turns.js';
import type { ComputeNodeStep, Rendered, RenderedMatches } from './render.js';

/**
 * Where the memory lives: the RelayStore in the daemon, InMemoryNodeMemory in `replay`. A
 * `shared` store (other processes write it) must give versionOf and compareAndSet: decisions
 * are then claimed. Otherwise only get and update are used.
 */
export interface NodeMemoryStore extends ConditionalRows<'computeNodes'> {
  get(): Readonly<{ computeNodes: ComputeNodeMemory }>;
  update(mutator: (draft: { computeNodes: ComputeNodeMemory }) => void): Promise<void>;
}

type SharedNodeMemory = NodeMemoryStore & SharedRows<'computeNodes'>;

/** The memory in this process: `replay`'s copy of the store file, and the unit tests' (`shared` to run the claims without PostgreSQL). */
export class InMemoryNodeMemory implements NodeMemoryStore {
  readonly shared: boolean;
  private state: { computeNodes: ComputeNodeMemory };
  private readonly versions: RowVersions;
  constructor(initial: ComputeNodeMemory = {}, opts: { readonly shared?: boolean } = {}) {
    this.state = { computeNodes: structuredClone(initial) };
    this.versions = new RowVersions('computeNodes', this.state.computeNodes);
    this.shared = opts.shared ?? false;
  }
  get(): Readonly<{ computeNodes: ComputeNodeMemory }> {
    return this.state;
  }
  async update(mutator: (draft: { computeNodes: ComputeNodeMemory }) => void): Promise<void> {
    const draft = structuredClone(this.state);
    mutator(draft);
    this.versions.track(this.state.computeNodes, draft.computeNodes);
    this.state = draft;
  }
  versionOf(_kind: 'computeNodes', vimId: string, key: string): number {
    return this.versions.of(vimId, key);
  }
  async compareAndSet(
    _kind: 'computeNodes',
    vimId: string,
    key: string,
    expectedVersion: number,
    value: RowValue | undefined,
  ): Promise<CasResult> {
    const { table, result } = this.versions.compareAndSet(this.state.computeNodes, vimId, key, expectedVersion, value);
    this.state = { computeNodes: table };
    return result;
  }
}

const CLAIM_WORDS: ClaimWords = {
  raced:
    'compute-node decision not claimed: other replicas kept changing the same nodes first; it goes ahead unclaimed, and another replica may publish the same update',
  unavailable:
    'compute-node decision not claimed: the store cannot take it now; it goes ahead unclaimed, and another replica may publish the same update',
  gone: 'compute-node decision not claimed: the VIM is gone from the store',
  notPutBack:
    "compute-node claim not put back; until the notification's redelivery settles it, other replicas read the node as claimed",
};

const NODE_STATES = new Set<string>(COMPUTE_NODE_STATES);
const isNodeState = (s: string): s is ComputeNodeState => NODE_STATES.has(s);

function remember(draft: { computeNodes: ComputeNodeMemory }, vimId: string, d: NodeDecision): void {
  const nodes = applyDecision(draft.computeNodes[vimId] ?? {}, d);
  if (Object.keys(nodes).length > 0) draft.computeNodes[vimId] = nodes;
  else delete draft.computeNodes[vimId];
}

export class ComputeNodeTracker implements ComputeNodeStep {
  /** Per VIM: one decision at a time, each after the previous one's outcome. */
  private readonly turns = new Turns();

  constructor(
    private readonly memory: NodeMemoryStore,
    private readonly log: Logger,
  ) {}

  /**
   * Decides, in the VIM's turn, what the notification publishes: one message for every match,
   * or null for all (suppressed). commit() remembers the decision (every one of its messages
   * was accepted, or it publishes none); release() ends the turn, so a notification released
   * without commit leaves the memory as it was and a redelivery decides again (on a shared
   * store: once its claim is put back). Throws RelayError(UNMAPPABLE).
   */
  async prepare(vimId: string, n: Notification, matches: readonly Match[]): Promise<PreparedStep<RenderedMatches>> {
    const event = this.eventOf(n, matches);
    const facts = nodeFacts(n);
    const release = await this.turns.take(vimId);
    const store = this.memory;
    const shared = sharedRows(store) as SharedNodeMemory | undefined;
    let held: readonly HeldRow[] = [];
    try {
      let decision: NodeDecision;
      if (shared) ({ decision, held } = await this.claim(shared, vimId, n, event, facts));
      else decision = decide(n.eventType, event, facts, plainRows(store.get().computeNodes[vimId] ?? {}));
      let rendered: Rendered | null = null;
      if (decision.publish) {
        const msg = toComputeNodeMessage(vimId, n, event, decision.publish);
        rendered = { json: JSON.stringify(msg), key: String(msg.uuid ?? msg.host ?? '') };
      }
      const value = new Map(matches.map((m) => [m, rendered]));
      if (!shared) return preparedStep(value, release, () => this.remember(vimId, n, decision));
      const rows = held;
      return preparedStep(
        value,
        release,
        () => this.tidy(shared, vimId, n, rows),
        this.putBackOf(shared, vimId, n, rows),
      );
    } catch (e) {
      dropped(release, shared && this.putBackOf(shared, vimId, n, held));
      throw e;
    }
  }

  /** Reads, decides and claims until a claim lands (or there is nothing to claim, or it cannot be). */
  private claim(
    store: SharedNodeMemory,
    vimId: string,
    n: Notification,
    event: ComputeNodeState,
    facts: NodeFacts,
  ): Promise<{ decision: NodeDecision; held: readonly HeldRow[] }> {
    return claimDecision({
      store,
      kind: 'computeNodes',
      vimId,
      messageId: n.messageId,
      log: this.claimLog(vimId, n),
      decide: () => {
        // Rows and their versions read together, before any await.
        const rows = store.get().computeNodes[vimId] ?? {};
        const { view, own } = decidingView(rows, n.messageId);
        const decision = decide(n.eventType, event, facts, view);
        const changes = rowChanges(rows, view, applyDecision(view, decision), own, (key) =>
          store.versionOf('computeNodes', vimId, key),
        );
        return { decision, changes, publishes: decision.publish !== null };
      },
    });
  }

  /** What a decision given up puts back: its held rows (none held, nothing). */
  private putBackOf(
    shared: SharedNodeMemory,
    vimId: string,
    n: Notification,
    held: readonly HeldRow[],
  ): (() => Promise<void>) | undefined {
    return held.length > 0 ? () => putBack(shared, 'computeNodes', vimId, held, this.claimLog(vimId, n)) : undefined;
  }

  private claimLog(vimId: string, n: Notification): ClaimLog {
    return { logger: this.log, words: CLAIM_WORDS, fields: { vim: vimId, messageId: n.messageId } };
  }

  /** Published: each held row to its plain fields. Never rejects: a row that cannot be settled stays as it is, and the log says what that costs. */
  private async tidy(store: SharedNodeMemory, vimId: string, n: Notification, held: readonly HeldRow[]): Promise<void> {
    const errors = await settleRows(store, 'computeNodes', vimId, held, true);
    if (errors.length === 0) return;
    const fields = { vim: vimId, messageId: n.messageId, error: (errors[0] as Error).message };
    if (held.some((r) => !r.claimed))
      this.log.warn(
        'compute-node memory not saved; the next update of this node may be published although unchanged',
        fields,
      );
    else this.log.warn('compute-node claim not tidied; the row keeps it, read as the memory it carries', fields);
  }

  /** Never rejects: the message is out, and acking it is right. */
  private async remember(vimId: string, n: Notification, decision: NodeDecision): Promise<void> {
    if (!changesMemory(decision)) return;
    try {
      await this.memory.update((draft) => remember(draft, vimId, decision));
    } catch (e) {
      // The cost of the lost write is one later update published again.
      this.log.warn('compute-node memory not saved; the next update of this node may be published although unchanged', {
        vim: vimId,
        messageId: n.messageId,
        error: (e as Error).message,
      });
    }
  }

  private eventOf(n: Notification, matches: readonly Match[]): ComputeNodeState {
    const events = new Set(matches.map((m) => m.event));
    const [event] = events;
    if (events.size !== 1 || event === undefined || !isNodeState(event)) {
      throw new RelayError(
        'UNMAPPABLE',
        `${n.eventType}: expected one compute-node state, got ${[...events].join(', ') || 'none'}.`,
      );
    }
    return event;
  }
}
