export { toVmMessage, toVmFields, serializeMessage, ENVELOPE_KEYS, type VmEnvelope, type VmMessage } from './vm-message.js';
export { VM_KEYS, CONVERTERS, type VmFields, type VmKey, type ConverterName } from './vm-fields.js';
export { LEGACY_RULES, fromLegacy } from './legacy.js';
export { VERSIONED_RULES, fromVersioned, type VersionedRule } from './versioned.js';
export {
  COMPUTE_NODE_KEYS, COMPUTE_NODE_SOURCES, TRACKED_KEYS, completeFields, nodeFacts, nodeKey, toComputeNodeMessage, trackedChanged,
  type ComputeNodeEnvelope, type ComputeNodeFields, type ComputeNodeKey, type ComputeNodeMessage, type NodeFacts,
} from './compute-node.js';
export { applyDecision, changesMemory, decide, type NodeDecision, type NodeMemory } from './compute-node-rule.js';
