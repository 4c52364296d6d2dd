/**
 * What the admin HTTP port may ask of the running daemon. The admin room speaks only this
 * interface; the daemon's ControlPlane (control-plane.ts) implements it. Every VimView is
 * already redacted (no passwords).
 */
import type { Registry } from 'prom-client';
import type { VimSpec } from '../config/vim.js';
import type { Subscription } from '../model/subscription.js';
import type { ListenerStatus } from '../transport/types.js';
import type { VesAgentConfigInput, VesAgentView } from '../ves/types.js';

/** A VIM as the API shows it: transportUrl redacted, defaults applied. */
export interface VimView extends Required<Omit<VimSpec, 'addresses'>> {
  readonly addresses: readonly string[];
}

export interface VimStatusView extends VimView {
  readonly status: ListenerStatus;
  /** ISO 8601. */
  readonly statusSince: string;
  readonly statusReason?: string;
}

/** One entry of the check_vim_status window (docs/admin-api.md). */
export interface StateChange {
  readonly state_description: string | null;
  readonly launched_at: string | null;
  readonly instance_id: string | null;
  readonly display_name: string | null;
  readonly state: string | null;
  readonly event: string;
  readonly timestamp: string;
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
  readiness(): Readiness;
  readonly metrics: Registry;
}
