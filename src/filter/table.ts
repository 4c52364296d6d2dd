/**
 * The README's state table ("Subscriptions and states") as data: which nova event types complete which operation. Each entry
 * is written as that table writes it: `<op>.end` for a phased operation (its `.start` and
 * `.error` then belong to the same state) or a bare name for events nova sends without
 * phases (`evacuate`, `update`). ERROR is not listed: it is a rule (any `*.error`), not a row.
 */
import type { ComputeNodeState, InstanceState, Phase } from '../model/subscription.js';
import { LEGACY_PREFIX, VERSIONED_PREFIX } from '../notifications/types.js';

export interface StateRow {
  readonly state: InstanceState;
  /** After `compute.instance.`. */
  readonly legacy: readonly string[];
  /** After `instance.`. */
  readonly versioned: readonly string[];
}

const same = (state: InstanceState, ...suffixes: string[]): StateRow => ({
  state,
  legacy: suffixes,
  versioned: suffixes,
});

export const INSTANCE_EVENT_TABLE: readonly StateRow[] = [
  same('CREATE', 'create.end'),
  same('DELETE', 'delete.end'),
  same('SOFT_DELETE', 'soft_delete.end'),
  same('RESTORE', 'restore.end'),
  same('POWER_OFF', 'power_off.end'),
  same('POWER_ON', 'power_on.end'),
  same('SHUT_DOWN', 'shutdown.end'),
  same('PAUSE', 'pause.end'),
  same('UNPAUSE', 'unpause.end'),
  same('SUSPEND', 'suspend.end'),
  same('RESUME', 'resume.end'),
  same('REBOOT', 'reboot.end'),
  same('REBUILD', 'rebuild.end'),
  // Legacy nova reports a resize twice (source host, then destination); versioned once.
  { state: 'RESIZE', legacy: ['resize.end', 'finish_resize.end'], versioned: ['resize_finish.end'] },
  same('SHELVE', 'shelve.end', 'shelve_offload.end'),
  same('UNSHELVE', 'unshelve.end'),
  same('RESCUE', 'rescue.end'),
  same('UNRESCUE', 'unrescue.end'),
  { state: 'LIVE_MIGRATE', legacy: ['live_migration.post.dest.end'], versioned: ['live_migration_post_dest.end'] },
  same('EVACUATE', 'evacuate'),
  same('UPDATE', 'update'),
];

/** How a notification becomes a compute-node event (docs/compute-node.md). */
export interface ComputeNodeRow {
  readonly state: ComputeNodeState;
  /** Only when the payload's `binary` is this: service.* speaks of every nova service, and only nova-compute runs hypervisors. */
  readonly binary?: string;
}

/**
 * Event type -> compute-node state. nova never shipped compute_node.* (the
 * hypervisor-notification spec was approved, not implemented): they are accepted in the
 * spec's form from sources that emit them, and derived from what nova does send. Whether a
 * derived UPDATE is worth publishing is the compute-node memory's decision, not the filter's.
 */
export const COMPUTE_NODE_EVENTS: ReadonlyMap<string, ComputeNodeRow> = new Map<string, ComputeNodeRow>([
  ['compute_node.create', { state: 'COMPUTE_NODE_CREATE' }],
  ['compute_node.update', { state: 'COMPUTE_NODE_UPDATE' }],
  ['compute_node.delete', { state: 'COMPUTE_NODE_DELETE' }],
  ['service.create', { state: 'COMPUTE_NODE_CREATE', binary: 'nova-compute' }],
  ['service.delete', { state: 'COMPUTE_NODE_DELETE', binary: 'nova-compute' }],
  // Sent only when [DEFAULT] compute_monitors is set; the legacy one first, then the versioned one.
  ['compute.metrics.update', { state: 'COMPUTE_NODE_UPDATE' }],
  ['metrics.update', { state: 'COMPUTE_NODE_UPDATE' }],
]);

export const PHASE_SUFFIXES: ReadonlyArray<readonly [string, Phase]> = [
  ['.start', 'start'],
  ['.end', 'end'],
  ['.error', 'error'],
];

/** Full event type -> state, for phased operations (keyed by the type without its phase) and bare events. */
export interface EventIndex {
  readonly phased: ReadonlyMap<string, InstanceState>;
  readonly bare: ReadonlyMap<string, InstanceState>;
}

export function buildIndex(table: readonly StateRow[]): EventIndex {
  const phased = new Map<string, InstanceState>();
  const bare = new Map<string, InstanceState>();
  const add = (prefix: string, suffix: string, state: InstanceState): void => {
    if (suffix.endsWith('.end')) phased.set(prefix + suffix.slice(0, -'.end'.length), state);
    else bare.set(prefix + suffix, state);
  };
  for (const row of table) {
    for (const s of row.legacy) add(LEGACY_PREFIX, s, row.state);
    for (const s of row.versioned) add(VERSIONED_PREFIX, s, row.state);
  }
  return { phased, bare };
}
