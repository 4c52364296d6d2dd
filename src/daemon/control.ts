/**
 * What the admin HTTP port may ask of the running daemon. The admin room speaks only this
 * interface; the daemon's ControlPlane (control-plane.ts) implements it. Every VimView is
 * already redacted (no passwords).
 */
import type { Registry } from 'prom-client';
import type { VimSpec } from '../config/vim.js';
import type { Subscription } from '../model/subscription.js';
import type { ListenerStatus } from '../transport/types.js';
import type { StateChange } from '../model/state-change.js';
import type { VesAgentConfigInput, VesAgentView } from '../model/ves.js';
import type { OpsControl } from './ops-control.js';
import type { VimBacklog } from '../transport/amqp091/queue-depth.js';

/** A VIM as the API shows it: transportUrl redacted, defaults applied. */
export interface VimView extends Required<Omit<VimSpec, 'addresses'>> {
  readonly addresses: readonly string[];
}

export interface VimStatusView extends VimView {
  readonly status: ListenerStatus;
  /** ISO 8601. */
  readonly statusSince: string;
  readonly statusReason?: string;
  /** When its last notification was consumed (ISO 8601), null when none yet; absent without ops tools. */
  readonly lastConsumedAt?: string | null;
  /** Its queue and dead-letter queue depth as last read from its broker (monitor.backlogIntervalMs). */
  readonly backlog?: VimBacklog | null;
}

export interface Readiness {
  readonly ready: boolean;
  readonly reasons: readonly string[];
}

/**
 * MultiCloud's VES agent configuration of a VIM (GET|POST|DELETE .../{vimId}/vesagent). Every
 * view is MultiCloud's answer with the password redacted; VesAgentRegistry (src/ves/agents.ts)
 * implements all three over the store.
 */
export interface VesAgentControl {
  /** undefined when the VIM has no VES agent configuration (or is unknown). */
  getVesAgent(vimId: string): VesAgentView | undefined;
  /** Creates or replaces, live. Throws RelayError(NOT_FOUND) when the VIM is not registered. */
  putVesAgent(vimId: string, config: VesAgentConfigInput): Promise<VesAgentView>;
  /** Removes it with the VIM's open alarms: VES events for that VIM stop. false when it had none. */
  deleteVesAgent(vimId: string): Promise<boolean>;
}

export interface RelayControl extends VesAgentControl {
  listVims(): VimView[];
  getVim(id: string): VimStatusView | undefined;
  /** Creates or replaces; (re)starts the listener when the transport changed. Throws RelayError(VALIDATION_FAILED) on a bad transportUrl. */
  putVim(id: string, spec: Omit<VimSpec, 'id'>): Promise<{ created: boolean; vim: VimView }>;
  /**
   * Stops its listener (in-flight settled), removes its subscriptions and unbinds its queue
   * (messages kept; re-adding the VIM resumes them), or with purge deletes the queue and its
   * dead-letter queue. false when unknown.
   */
  deleteVim(id: string, opts?: { purge?: boolean }): Promise<boolean>;
  listSubscriptions(vimId?: string): Subscription[];
  getSubscription(id: string): Subscription | undefined;
  /**
   * Throws RelayError(CONFLICT) when the VIM is unknown. `warnings`: what is stored but will not
   * deliver yet (a Kafka topic that does not exist), for the answer to say.
   */
  putSubscription(
    id: string,
    spec: Omit<Subscription, 'id'>,
  ): Promise<{ created: boolean; subscription: Subscription; warnings?: readonly string[] }>;
  deleteSubscription(id: string): Promise<boolean>;
  /** Newest first; undefined when the VIM is unknown. `states` upper-case or "*". */
  recentStateChanges(vimId: string, states: readonly string[]): Promise<StateChange[] | undefined>;
  /** strict: judge the VIMs, the store and the destinations too, whatever admin.readiness says. */
  readiness(opts?: { strict?: boolean }): Readiness;
  /** What strict readiness adds (empty when every VIM, the store and every destination are well). */
  dependencyReasons(): string[];
  readonly metrics: Registry;
  /** The operator's read-only tools (recent decisions, explain); absent where the daemon has none. */
  readonly ops?: OpsControl;
}

/**
 * The admin port as the daemon starts and stops it: admin/server.ts builds one over the daemon's
 * RelayControl, and the command that runs the daemon (cli/run.ts) hands the builder over, so the
 * daemon knows when the port listens and closes but not what it serves.
 */
export interface AdminPort {
  listen(): Promise<{ url: string }>;
  close(): Promise<void>;
}

export type AdminPortFactory = (control: RelayControl) => AdminPort;
