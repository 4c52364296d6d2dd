/**
 * One "replica" for the claim tests: the real Pipeline with the real ComputeNodeTracker and
 * VesAlarmTracker (as the daemon wires them: compute nodes as the render step, VES as a side
 * step) over a given store, and scripted DMaaP and VES destinations that record what they were
 * handed. Several of them over one shared store (PostgreSQL, or an in-memory one marked shared)
 * race as replicas do: each has its own turns, only the store is common.
 */
import { Pipeline } from '../../src/daemon/pipeline.js';
import { VimState } from '../../src/daemon/vim-state.js';
import type { Subscription } from '../../src/model/subscription.js';
import { ComputeNodeTracker, type NodeMemoryStore } from '../../src/steps/compute-nodes.js';
import { vesStep } from '../../src/steps/ves.js';
import type { Delivery } from '../../src/transport/types.js';
import type { Logger } from '../../src/util/logger.js';
import { silentLogger } from '../../src/util/logger.js';
import type { VesStore } from '../../src/ves/agents.js';
import { VesAlarmTracker } from '../../src/ves/alarm-tracker.js';
import { expandVersioned, toWireV2, type Sample } from './fixtures.js';
import { ScriptedDestination } from './scripted-destination.js';
import { silentObserver } from './silent-observer.js';

export const CLAIM_VIM = 'vio-1';

/** Compute-node events only: VM notifications reach the VES destination alone. */
export const NODE_SUBSCRIPTIONS: Subscription[] = [
  {
    id: 'nodes',
    vimId: CLAIM_VIM,
    states: ['COMPUTE_NODE_CREATE', 'COMPUTE_NODE_UPDATE', 'COMPUTE_NODE_DELETE'],
    topic: 'NODES',
  },
];

export type Settled = 'ack' | 'requeue' | `dead:${string}`;

const observer = silentObserver;

export interface ClaimReplica {
  readonly dmaap: ScriptedDestination;
  readonly ves: ScriptedDestination;
  readonly nodes: ComputeNodeTracker;
  readonly alarms: VesAlarmTracker;
  /** Hands the replica one delivery; resolves with how it was settled. */
  deliver(sample: Sample, messageId: string, at?: Date): Promise<Settled[]>;
  /** The compute-node messages (message_id, event) it published. */
  published(): { messageId: string; event: string }[];
  /** The VES events it sent: eventName per message_id. */
  vesEvents(): { messageId: string; eventName: string }[];
}

export function claimReplica(
  stores: { nodes: NodeMemoryStore; ves: VesStore },
  logger: Logger = silentLogger(),
): ClaimReplica {
  const nodes = new ComputeNodeTracker(stores.nodes, logger);
  const alarms = new VesAlarmTracker(stores.ves, logger);
  const dmaap = new ScriptedDestination(undefined, 'dmaap');
  const ves = new ScriptedDestination(undefined, 'ves');
  const pipeline = new Pipeline({
    destinations: { dmaap, ves },
    defaultSink: 'dmaap',
    subscriptions: () => NODE_SUBSCRIPTIONS,
    observer,
    logger,
    maxBodyBytes: 1 << 20,
    computeNode: nodes,
    sideSteps: [vesStep(alarms, (vimId) => stores.ves.get().vesAgents[vimId] !== undefined)],
  });
  const state = new VimState(CLAIM_VIM, { dedupeWindow: 100 });
  return {
    dmaap,
    ves,
    nodes,
    alarms,
    async deliver(sample, messageId, at) {
      const settled: Settled[] = [];
      const d: Delivery = {
        vimId: CLAIM_VIM,
        body: Buffer.from(JSON.stringify(toWireV2(sample, { messageId, ...(at ? { timestamp: at } : {}) }))),
        source: 'versioned_notifications.info',
        redelivered: false,
        ack: () => void settled.push('ack'),
        requeue: () => void settled.push('requeue'),
        deadLetter: async (reason) => void settled.push(`dead:${reason.code}`),
      };
      await pipeline.accept(state, d);
      return settled;
    },
    published: () =>
      dmaap.calls.map((r) => {
        const m = JSON.parse(r.json) as { message_id: string; event: string };
        return { messageId: m.message_id, event: m.event };
      }),
    vesEvents: () =>
      ves.calls.map((r) => {
        const h = (JSON.parse(r.json) as { commonEventHeader: { eventName: string } }).commonEventHeader;
        const id = /"message_id":"([^"]+)"/.exec(r.json)?.[1] ?? '';
        return { messageId: id, eventName: h.eventName };
      }),
  };
}

/** A versioned nova instance sample (doc/notification_samples) for the VES tests. */
export const instanceSample = (file: 'instance-power_off-end.json' | 'instance-power_on-end.json'): Sample =>
  expandVersioned(file);
