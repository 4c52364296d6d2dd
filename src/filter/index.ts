export { classify, type Classification, type EventKind } from './classify.js';
export { matchSubscriptions, normalizeStates } from './match.js';
export { COMPUTE_NODE_EVENTS, INSTANCE_EVENT_TABLE, type ComputeNodeRow, type StateRow } from './table.js';
export * from './types.js';
