/**
 * The compute-node message (docs/compute-node.md): the hypervisor-notification spec's
 * ComputeNodePayload keys plus the envelope, and what each source form says about a node.
 * Pure. nova never shipped compute_node.*, so besides the spec's own form this reads the
 * notifications nova does send about a compute host (service.*, metrics.update); each form
 * is a mapping table, and a key a form does not give stays absent so the node's memory can
 * keep what it knew (see compute-node-rule.ts).
 */
import { RelayError } from '../errors.js';
import type { ComputeNodeState } from '../model/subscription.js';
import type { Notification } from '../notifications/types.js';
import { isDict, type JsonDict } from './vm-fields.js';
import { valueAt } from './versioned.js';

/** The spec's ComputeNodePayload fields, in the spec's order (also the order in a published message). */
export const COMPUTE_NODE_KEYS = [
  'id',
  'uuid',
  'host',
  'vcpus',
  'memory_mb',
  'local_gb',
  'vcpus_used',
  'memory_mb_used',
  'local_gb_used',
  'hypervisor_type',
  'hypervisor_version',
  'hypervisor_hostname',
  'free_ram_mb',
  'free_disk_gb',
  'current_workload',
  'running_vms',
  'disk_available_least',
  'host_ip',
] as const;
export type ComputeNodeKey = (typeof COMPUTE_NODE_KEYS)[number];

/** The spec's note: an update is sent only when one of these changed, "to avoid unnecessary notifications with the same content". */
export const TRACKED_KEYS: readonly ComputeNodeKey[] = [
  'vcpus',
  'memory_mb',
  'local_gb',
  'vcpus_used',
  'local_gb_used',
  'hypervisor_hostname',
  'disk_available_least',
  'running_vms',
  'current_workload',
];

export type ComputeNodeValue = string | number | null;
export type ComputeNodeFields = Record<ComputeNodeKey, ComputeNodeValue>;
/** What one notification says: only the keys its form gives (a given key may be null). */
export type NodeFacts = Partial<ComputeNodeFields>;

export interface ComputeNodeEnvelope {
  vim_id: string;
  event: ComputeNodeState;
  event_type: string;
  message_id: string;
  /** ISO 8601 UTC with `Z`; "" when the notification carried none. */
  timestamp: string;
  publisher_id: string;
}

export type ComputeNodeMessage = ComputeNodeEnvelope & ComputeNodeFields;

type Kind = 'integer' | 'string';

interface FieldRule {
  /** Source keys in the payload's data, first present wins. */
  readonly from: readonly string[];
  readonly as: Kind;
}

export interface SourceForm {
  /** nova_object.name values accepted for a versioned payload; a plain dict is read as it is. */
  readonly payloads: readonly string[];
  readonly rules: Readonly<Partial<Record<ComputeNodeKey, FieldRule>>>;
}

/** The spec's field types: IntegerField and StringField / UUIDField / IPAddressField (all serialised as strings). */
const SPEC_KINDS: Readonly<Record<ComputeNodeKey, Kind>> = {
  id: 'integer',
  uuid: 'string',
  host: 'string',
  vcpus: 'integer',
  memory_mb: 'integer',
  local_gb: 'integer',
  vcpus_used: 'integer',
  memory_mb_used: 'integer',
  local_gb_used: 'integer',
  hypervisor_type: 'string',
  hypervisor_version: 'integer',
  hypervisor_hostname: 'string',
  free_ram_mb: 'integer',
  free_disk_gb: 'integer',
  current_workload: 'integer',
  running_vms: 'integer',
  disk_available_least: 'integer',
  host_ip: 'string',
};

const same = (keys: readonly ComputeNodeKey[]): Partial<Record<ComputeNodeKey, FieldRule>> =>
  Object.fromEntries(keys.map((k) => [k, { from: [k], as: SPEC_KINDS[k] }]));

/** ComputeNodeDeletePayload is the first two of these (id, uuid); the others are then absent. */
const SPEC_RULES = same(COMPUTE_NODE_KEYS);

/** ServiceStatusPayload: its uuid is the service's, not the compute node's, so only the host maps. */
const SERVICE_RULES = same(['host']);

/**
 * `ResourceTracker._get_host_metrics`: {nodename, host, host_ip, metrics}. The 2013 capture
 * ceilometer keeps predates merged nova and calls host_ip `host_id`. The metrics themselves
 * (cpu.*) have no ComputeNodePayload counterpart.
 */
const METRICS_RULES: Partial<Record<ComputeNodeKey, FieldRule>> = {
  host: { from: ['host'], as: 'string' },
  host_ip: { from: ['host_ip', 'host_id'], as: 'string' },
  hypervisor_hostname: { from: ['nodename'], as: 'string' },
};

/** Every event type that classifies as a compute-node event (src/filter/table.ts), and how to read it. */
export const COMPUTE_NODE_SOURCES: ReadonlyMap<string, SourceForm> = new Map<string, SourceForm>([
  ['compute_node.create', { payloads: ['ComputeNodePayload'], rules: SPEC_RULES }],
  ['compute_node.update', { payloads: ['ComputeNodePayload'], rules: SPEC_RULES }],
  ['compute_node.delete', { payloads: ['ComputeNodeDeletePayload', 'ComputeNodePayload'], rules: SPEC_RULES }],
  ['service.create', { payloads: ['ServiceStatusPayload'], rules: SERVICE_RULES }],
  ['service.delete', { payloads: ['ServiceStatusPayload'], rules: SERVICE_RULES }],
  ['compute.metrics.update', { payloads: [], rules: METRICS_RULES }],
  ['metrics.update', { payloads: ['MetricsPayload'], rules: METRICS_RULES }],
]);

const unmappable = (n: Notification, why: string): RelayError => new RelayError('UNMAPPABLE', `${n.eventType}: ${why}`);

function payloadData(n: Notification, form: SourceForm): JsonDict {
  if (n.format === 'legacy') return n.payload;
  const name = n.payload['nova_object.name'];
  if (typeof name !== 'string' || !form.payloads.includes(name)) {
    throw unmappable(
      n,
      `payload ${JSON.stringify(name ?? null)} is not ${form.payloads.join(' or ') || 'a legacy payload'}.`,
    );
  }
  const data = n.payload['nova_object.data'];
  return isDict(data) ? data : {};
}

function convert(n: Notification, key: string, kind: Kind, v: unknown): ComputeNodeValue {
  if (v === null) return null;
  if (kind === 'integer' ? typeof v === 'number' && Number.isSafeInteger(v) : typeof v === 'string')
    return v as ComputeNodeValue;
  throw unmappable(
    n,
    `payload.${key} must be ${kind === 'integer' ? 'an integer' : 'a string'} or null; got ${Array.isArray(v) ? 'an array' : typeof v}.`,
  );
}

/** What the notification says about its node. Throws RelayError(UNMAPPABLE) for a payload that is not the expected one or a field of the wrong type. */
export function nodeFacts(n: Notification): NodeFacts {
  const form = COMPUTE_NODE_SOURCES.get(n.eventType);
  if (!form) throw unmappable(n, 'is not a compute-node event.');
  const data = payloadData(n, form);
  const facts: NodeFacts = {};
  for (const key of COMPUTE_NODE_KEYS) {
    const rule = form.rules[key];
    const source = rule?.from.find((k) => valueAt(data, k) !== undefined);
    if (rule && source !== undefined) facts[key] = convert(n, source, rule.as, valueAt(data, source));
  }
  return facts;
}

/** All 18 keys, null where unknown. Anything else (e.g. a hand-edited store) is dropped. */
export function completeFields(known: Readonly<Record<string, unknown>> = {}): ComputeNodeFields {
  const out = {} as ComputeNodeFields;
  for (const key of COMPUTE_NODE_KEYS) {
    const v = known[key];
    out[key] = typeof v === 'string' || typeof v === 'number' ? v : null;
  }
  return out;
}

/** The node's key within its VIM: its hypervisor hostname (nodename), else its host; null when it has neither. */
export function nodeKey(f: NodeFacts): string | null {
  for (const name of [f.hypervisor_hostname, f.host]) if (typeof name === 'string' && name !== '') return name;
  return null;
}

/** The spec's rule: did any tracked field change? An absent value and null are the same thing (None). */
export function trackedChanged(prev: Readonly<NodeFacts>, next: Readonly<NodeFacts>): boolean {
  return TRACKED_KEYS.some((k) => (prev[k] ?? null) !== (next[k] ?? null));
}

export function toComputeNodeMessage(
  vimId: string,
  n: Notification,
  event: ComputeNodeState,
  fields: Readonly<ComputeNodeFields>,
): ComputeNodeMessage {
  return {
    vim_id: vimId,
    event,
    event_type: n.eventType,
    message_id: n.messageId,
    timestamp: n.timestamp,
    publisher_id: n.publisherId,
    ...completeFields(fields),
  };
}
