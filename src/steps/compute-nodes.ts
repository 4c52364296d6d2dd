/**
 * The compute-node renderer and its per-node memory (docs/compute-node.md).
 *
 * The memory must follow only what DMaaP accepted: were it written while rendering, a DMaaP
 * failure followed by a redelivery would find the new values already remembered and suppress
 * the very update that never got out. So render() only decides, and keeps the decision
 * pending; the pipeline then reports the outcome: published() writes the decision to the
 * store (before the delivery is acked), abandoned() (requeued, dead-lettered) drops it.
 *
 * Compute-node notifications of one VIM are decided one at a time, each after the previous
 * one's outcome is known, so that each is compared with what was really published last:
 * with prefetch, a backlog of identical updates would otherwise all be compared with the same
 * old memory and all be published. Instance notifications never wait on this.
 */
import { RelayError } from '../errors.js';
import { COMPUTE_NODE_STATES, type ComputeNodeState, type Match } from '../model/subscription.js';
import type { Notification } from '../notifications/types.js';
import { nodeFacts, toComputeNodeMessage } from '../normalize/compute-node.js';
import { applyDecision, changesMemory, decide, type NodeDecision } from '../normalize/compute-node-rule.js';
import type { ComputeNodeMemory } from '../store/state-store.js';
import type { Logger } from '../util/logger.js';
import { Turns } from '../util/turns.js';
import type { ComputeNodeStep, PreparedStep, Rendered, RenderedMatches } from './render.js';

/** Where the memory lives: the StateStore in the daemon, InMemoryNodeMemory in `replay`. */
export interface NodeMemoryStore {
  get(): Readonly<{ computeNodes: ComputeNodeMemory }>;
  update(mutator: (draft: { computeNodes: ComputeNodeMemory }) => void): Promise<void>;
}

export class InMemoryNodeMemory implements NodeMemoryStore {
  private state: { computeNodes: ComputeNodeMemory };
  constructor(initial: ComputeNodeMemory = {}) {
    this.state = { computeNodes: structuredClone(initial) };
  }
  get(): Readonly<{ computeNodes: ComputeNodeMemory }> {
    return this.state;
  }
  async update(mutator: (draft: { computeNodes: ComputeNodeMemory }) => void): Promise<void> {
    const draft = structuredClone(this.state);
    mutator(draft);
    this.state = draft;
  }
}

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

  /** `memory` is a getter because the daemon opens its store after building the pipeline. */
  constructor(
    private readonly memory: () => NodeMemoryStore,
    private readonly log: Logger,
  ) {}

  /**
   * Decides, in the VIM's turn, what the notification publishes: one message for every match,
   * or null for all (suppressed). commit() remembers the decision (every destination accepted,
   * or nothing was sent); release() ends the turn, so a requeued or dead-lettered notification
   * leaves the memory as it was and a redelivery decides again. Throws RelayError(UNMAPPABLE).
   */
  async prepare(vimId: string, n: Notification, matches: readonly Match[]): Promise<PreparedStep<RenderedMatches>> {
    const event = this.eventOf(n, matches);
    const facts = nodeFacts(n);
    const release = await this.turns.take(vimId);
    try {
      const decision = decide(n.eventType, event, facts, this.memory().get().computeNodes[vimId] ?? {});
      let rendered: Rendered | null = null;
      if (decision.publish) {
        const msg = toComputeNodeMessage(vimId, n, event, decision.publish);
        rendered = { json: JSON.stringify(msg), key: String(msg.uuid ?? msg.host ?? '') };
      }
      return {
        value: new Map(matches.map((m) => [m, rendered])),
        commit: () => this.remember(vimId, n, decision),
        release,
      };
    } catch (e) {
      release();
      throw e;
    }
  }

  /** Never rejects: the message is out, and acking it is right. */
  private async remember(vimId: string, n: Notification, decision: NodeDecision): Promise<void> {
    if (!changesMemory(decision)) return;
    try {
      await this.memory().update((draft) => remember(draft, vimId, decision));
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
