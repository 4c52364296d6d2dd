/** What a notification is, in the vocabulary of the README's states, before any subscription is consulted. */
import { isPlainObject } from '../util/json.js';
import { LEGACY_PREFIX, VERSIONED_PREFIX, type Notification } from '../notifications/types.js';
import { buildIndex, COMPUTE_NODE_EVENTS, INSTANCE_EVENT_TABLE, PHASE_SUFFIXES } from './table.js';
import type { Phase, State } from '../model/subscription.js';

export type EventKind = 'instance' | 'compute_node';

export interface Classification {
  readonly kind: EventKind;
  /** The operation's state from the table; null when the event type is not in it (e.g. `instance.lock`) or an update changed nothing. */
  readonly state: State | null;
  /** `.start`, `.end`, `.error`; a bare event (no phase suffix) is `end`. */
  readonly phase: Phase;
  /** An instance failure: any `*.error`, or a legacy instance notification sent with priority ERROR. */
  readonly error: boolean;
}

const INDEX = buildIndex(INSTANCE_EVENT_TABLE);

type Json = Record<string, unknown>;

const asObject = (v: unknown): Json | undefined => (isPlainObject(v) ? v : undefined);

/** Absent and null task states are the same thing to nova (None). */
const differs = (a: unknown, b: unknown): boolean => (a ?? null) !== (b ?? null);

/**
 * nova sends `compute.instance.update` / `instance.update` for every save of the instance when
 * notify_on_state_change is set, most of them not a state change; only those showing a vm or
 * task state transition count. A payload without the old_* fields shows no transition.
 */
function updateChangedSomething(n: Notification): boolean {
  if (n.format === 'versioned') {
    const data = asObject(n.payload['nova_object.data']);
    const su = asObject(asObject(data?.state_update)?.['nova_object.data']);
    if (!su) return false;
    return differs(su.old_state, su.state) || differs(su.old_task_state, su.new_task_state);
  }
  const p = n.payload;
  const stateChanged = 'old_state' in p && differs(p.old_state, p.state);
  const taskChanged = ('old_task_state' in p || 'new_task_state' in p) && differs(p.old_task_state, p.new_task_state);
  return stateChanged || taskChanged;
}

function splitPhase(eventType: string): { base: string; phase: Phase | null } {
  for (const [suffix, phase] of PHASE_SUFFIXES) {
    if (eventType.endsWith(suffix)) return { base: eventType.slice(0, -suffix.length), phase };
  }
  return { base: eventType, phase: null };
}

function classifyInstance(eventType: string, priority: string, legacy: boolean): Classification {
  const { base, phase } = splitPhase(eventType);
  const state: State | null = phase === null ? (INDEX.bare.get(eventType) ?? null) : (INDEX.phased.get(base) ?? null);
  const error = phase === 'error' || (legacy && priority === 'ERROR');
  return { kind: 'instance', state, phase: phase ?? 'end', error };
}

/** The versioned payload's data, or a legacy payload as it is. */
const payloadData = (n: Notification): Json => asObject(n.payload['nova_object.data']) ?? n.payload;

/**
 * What the event type and priority alone say (`priority` upper case). classify() only narrows it
 * by the payload: a compute-node row's `binary` may turn it to null, an UPDATE that changed
 * nothing has state null. Neither narrowing can add a match, so a notification whose type-level
 * classification matches no subscription matches none once parsed (the filtered fast path).
 */
export function classifyType(eventType: string, priority: string): Classification | null {
  const row = COMPUTE_NODE_EVENTS.get(eventType);
  if (row) return { kind: 'compute_node', state: row.state, phase: 'end', error: false };
  if (eventType.startsWith(LEGACY_PREFIX)) return classifyInstance(eventType, priority, true);
  if (eventType.startsWith(VERSIONED_PREFIX)) return classifyInstance(eventType, priority, false);
  return null;
}

/** Null for notifications that are neither about an instance nor a compute node (aggregates, keypairs, other services, ...). */
export function classify(n: Notification): Classification | null {
  const c = classifyType(n.eventType, n.priority);
  if (c === null) return null;
  if (c.kind === 'compute_node') {
    const binary = COMPUTE_NODE_EVENTS.get(n.eventType)?.binary;
    return binary !== undefined && payloadData(n).binary !== binary ? null : c;
  }
  if (c.state === 'UPDATE' && !updateChangedSomething(n)) return { ...c, state: null };
  return c;
}

/** The state label of a classification: its state, ERROR for a failure, NONE when it has none. */
export function stateLabel(c: Classification | null): string {
  if (!c) return 'NONE';
  if (c.error && c.kind === 'instance') return 'ERROR';
  return c.state ?? 'NONE';
}
