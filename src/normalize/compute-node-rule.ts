/**
 * What a compute-node notification means given what is known of the VIM's nodes: which
 * message to publish (or none) and how the memory changes once it is published. Pure: the
 * memory is read from and written to the store by src/daemon/compute-nodes.ts.
 *
 * The memory holds, per node key, the node's last known fields. Any change to a tracked field
 * is published, so the tracked values remembered are always those last published, which is
 * what the spec's rule compares against; the untracked ones (host_ip, free_ram_mb, ...) are
 * kept current so that the next message carries them.
 */
import { RelayError } from '../errors.js';
import type { ComputeNodeState } from '../model/subscription.js';
import {
  COMPUTE_NODE_KEYS,
  completeFields,
  nodeKey,
  trackedChanged,
  type ComputeNodeFields,
  type NodeFacts,
} from './compute-node.js';

/** One VIM's memory: node key -> the node's last known fields. */
export type NodeMemory = Readonly<Record<string, Readonly<Record<string, unknown>>>>;

export interface NodeDecision {
  /** The fields to publish; null = suppressed (nothing tracked changed). */
  readonly publish: ComputeNodeFields | null;
  /** Node keys to forget, then records to (re)write, once the outcome is published. */
  readonly remove: readonly string[];
  readonly set: Readonly<Record<string, ComputeNodeFields>>;
}

type Rule = (eventType: string, facts: NodeFacts, memory: NodeMemory) => NodeDecision;

function requireKey(eventType: string, facts: NodeFacts): string {
  const key = nodeKey(facts);
  if (key === null)
    throw new RelayError(
      'UNMAPPABLE',
      `${eventType}: names no compute node (no hypervisor_hostname, nodename or host).`,
    );
  return key;
}

/**
 * service.create knows only the host, so the node is first remembered under the host name;
 * once a notification names the node on that host, that entry is the same node.
 */
function placeholderFor(facts: NodeFacts, key: string, memory: NodeMemory): string | undefined {
  const host = facts.host;
  if (typeof host !== 'string' || host === key || !Object.hasOwn(memory, host)) return undefined;
  return (memory[host].hypervisor_hostname ?? null) === null ? host : undefined;
}

const sameFields = (a: ComputeNodeFields, b: ComputeNodeFields): boolean =>
  COMPUTE_NODE_KEYS.every((k) => a[k] === b[k]);

/** A create starts the node's record afresh (a re-created service is a new node) and is always published. */
const create: Rule = (eventType, facts, memory) => {
  const key = requireKey(eventType, facts);
  const fields = completeFields(facts);
  const placeholder = placeholderFor(facts, key, memory);
  return { publish: fields, remove: placeholder ? [placeholder] : [], set: { [key]: fields } };
};

/** An update adds what it says to what is known; published only when a tracked field changed, or when the node was not known. */
const update: Rule = (eventType, facts, memory) => {
  const key = requireKey(eventType, facts);
  const adopted = Object.hasOwn(memory, key) ? undefined : placeholderFor(facts, key, memory);
  const stored = Object.hasOwn(memory, key) ? memory[key] : adopted !== undefined ? memory[adopted] : undefined;
  const prev = stored ? completeFields(stored) : undefined;
  const next: ComputeNodeFields = { ...(prev ?? completeFields()), ...facts };
  const publish = !prev || trackedChanged(prev, next) ? next : null;
  const learned = !prev || adopted !== undefined || !sameFields(prev, next);
  return { publish, remove: adopted !== undefined ? [adopted] : [], set: learned ? { [key]: next } : {} };
};

/** Which remembered nodes a delete is about: by node name, else uuid, else id, else every node of the host (a deleted nova-compute service takes its nodes with it). */
function deleteTargets(eventType: string, facts: NodeFacts, memory: NodeMemory): string[] {
  const keys = Object.keys(memory);
  const name = facts.hypervisor_hostname;
  if (typeof name === 'string' && name !== '') return keys.filter((k) => k === name);
  if (typeof facts.uuid === 'string') return keys.filter((k) => memory[k].uuid === facts.uuid);
  if (typeof facts.id === 'number') return keys.filter((k) => memory[k].id === facts.id);
  if (typeof facts.host === 'string' && facts.host !== '')
    return keys.filter((k) => k === facts.host || memory[k].host === facts.host);
  throw new RelayError('UNMAPPABLE', `${eventType}: names no compute node (no hypervisor_hostname, uuid, id or host).`);
}

/**
 * Always published. nova's delete forms say little (ComputeNodeDeletePayload: id and uuid;
 * service.delete: the host), so the message carries what was known of the node as well,
 * letting a consumer tell which hypervisor went; with several nodes on a host, only the host.
 */
const remove: Rule = (eventType, facts, memory) => {
  const targets = deleteTargets(eventType, facts, memory);
  const known = targets.length === 1 ? memory[targets[0]] : undefined;
  return { publish: { ...completeFields(known), ...facts }, remove: targets, set: {} };
};

const RULES: Readonly<Record<ComputeNodeState, Rule>> = {
  COMPUTE_NODE_CREATE: create,
  COMPUTE_NODE_UPDATE: update,
  COMPUTE_NODE_DELETE: remove,
};

/** Throws RelayError(UNMAPPABLE) when the notification names no node. */
export function decide(eventType: string, event: ComputeNodeState, facts: NodeFacts, memory: NodeMemory): NodeDecision {
  return RULES[event](eventType, facts, memory);
}

/** The VIM's memory once the decision's outcome is published. */
export function applyDecision(memory: NodeMemory, d: NodeDecision): Record<string, Readonly<Record<string, unknown>>> {
  const next = { ...memory };
  for (const key of d.remove) delete next[key];
  return Object.assign(next, d.set);
}

/** Whether applying the decision would change the memory at all (no store write otherwise). */
export function changesMemory(d: NodeDecision): boolean {
  return d.remove.length > 0 || Object.keys(d.set).length > 0;
}
