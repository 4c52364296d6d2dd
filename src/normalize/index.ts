export { toVmMessage, serializeMessage, ENVELOPE_KEYS, type VmEnvelope, type VmMessage } from './vm-message.js';
export { VM_KEYS, CONVERTERS, type VmFields, type VmKey, type ConverterName } from './vm-fields.js';
export { LEGACY_RULES, fromLegacy } from './legacy.js';
export { VERSIONED_RULES, fromVersioned, type VersionedRule } from './versioned.js';
