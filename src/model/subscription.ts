/** The shared model: the state vocabulary (README "Subscriptions and states"), subscriptions and the matches they make. Pure data. */
export const INSTANCE_STATES = [
  'CREATE',
  'DELETE',
  'SOFT_DELETE',
  'RESTORE',
  'POWER_OFF',
  'POWER_ON',
  'SHUT_DOWN',
  'PAUSE',
  'UNPAUSE',
  'SUSPEND',
  'RESUME',
  'REBOOT',
  'REBUILD',
  'RESIZE',
  'SHELVE',
  'UNSHELVE',
  'RESCUE',
  'UNRESCUE',
  'LIVE_MIGRATE',
  'EVACUATE',
  'UPDATE',
  'ERROR',
] as const;
export const COMPUTE_NODE_STATES = ['COMPUTE_NODE_CREATE', 'COMPUTE_NODE_UPDATE', 'COMPUTE_NODE_DELETE'] as const;
export const STATES = [...INSTANCE_STATES, ...COMPUTE_NODE_STATES] as const;
export type State = (typeof STATES)[number];
export type InstanceState = (typeof INSTANCE_STATES)[number];
export type ComputeNodeState = (typeof COMPUTE_NODE_STATES)[number];

/** Which phase of a nova operation: `.start`, `.end` (or a bare event with no phases), `.error`. */
/** A state as the relay keeps and compares it: states are taken case-insensitively, kept upper-case. */
export const stateKey = (state: string): string => state.trim().toUpperCase();

export const PHASES = ['start', 'end', 'error'] as const;
export type Phase = (typeof PHASES)[number];

export interface Subscription {
  readonly id: string;
  readonly vimId: string;
  /** Upper-case states from STATES, or ["*"]. */
  readonly states: readonly string[];
  readonly topic: string;
  /** Default ["end"]. */
  readonly phases?: readonly Phase[];
  /** Where its messages go: Message Router or Kafka; absent = the config's sinks.default. */
  readonly sink?: 'dmaap' | 'kafka';
}

/** One subscription that a notification matched, and the state it matched as. */
export interface Match {
  readonly subscription: Subscription;
  readonly event: State;
  readonly phase: Phase;
}
