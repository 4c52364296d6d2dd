/**
 * What the admin port asks of the daemon (RelayControl), answered over the VIM catalogue, the
 * store, the VES agent registry and the metrics registry. The changes themselves are the
 * catalogue's and the registry's; this room only shapes what the API shows (transport URLs
 * redacted, a VIM with its listener status), picks the check_vim_status window and judges
 * readiness. It knows nothing of the start and stop order, which is the Relay's.
 */
import type { Registry } from 'prom-client';
import type { VimConfig, VimSpec } from '../config/vim.js';
import type { Subscription } from '../model/subscription.js';
import type { Destination } from '../publish/destination.js';
import type { RelayStore } from '../store/store.js';
import { redactTransportUrl } from '../transport/transport-url.js';
import type { VesAgentConfigInput, VesAgentView } from '../model/ves.js';
import type { ReadinessMode } from '../config/load.js';
import type { RelayControl, Readiness, VimStatusView, VimView } from './control.js';
import type { StateChange } from '../model/state-change.js';
import type { VimCatalogue } from './vim-catalogue.js';
import type { OpsControl } from './ops-control.js';

/** What the control plane reads of the store: its engine picks the check_vim_status window. */
export type ControlStore = Pick<RelayStore, 'engine' | 'health' | 'queryRecent'>;

/** The VES agent configurations (VesAgentRegistry, src/ves/agents.ts). */
export interface VesAgents {
  get(vimId: string): VesAgentView | undefined;
  put(vimId: string, config: VesAgentConfigInput): Promise<VesAgentView>;
  delete(vimId: string): Promise<boolean>;
}

export interface ControlPlaneParts {
  readonly catalogue: VimCatalogue;
  readonly store: ControlStore;
  readonly vesAgents: VesAgents;
  readonly metrics: Registry;
  /** Every destination whose health strict readiness reports. */
  readonly destinations: readonly Destination[];
  /** admin.readiness: what /readyz judges when the probe does not ask (README "Admin HTTP API"). */
  readonly readiness?: ReadinessMode;
  readonly ops?: OpsControl;
  /** What a stored subscription will not deliver yet (a missing Kafka topic); none by default. */
  readonly subscriptionWarnings?: (subscription: Subscription) => Promise<string[]>;
}

export class ControlPlane implements RelayControl {
  private vimList?: { readonly state: object; readonly views: VimView[] };
  private stoppingNow = false;
  private startedNow = false;

  constructor(private readonly parts: ControlPlaneParts) {}

  get metrics(): Registry {
    return this.parts.metrics;
  }

  get ops(): OpsControl | undefined {
    return this.parts.ops;
  }

  /** true once the daemon began to stop: readiness answers 503 from then on. */
  get stopping(): boolean {
    return this.stoppingNow;
  }

  beginStopping(): void {
    this.stoppingNow = true;
  }

  /** The daemon opened its store, listens on the admin port and started every VIM's listener. */
  markStarted(): void {
    this.startedNow = true;
  }

  /** One frozen list per store state: the admin port asks for it often, and redacts it once (server.ts). */
  listVims(): VimView[] {
    const state = this.parts.catalogue.storeState();
    if (this.vimList?.state !== state)
      this.vimList = { state, views: Object.freeze(this.parts.catalogue.vims().map(view)) as VimView[] };
    return this.vimList.views;
  }

  getVim(id: string): VimStatusView | undefined {
    const found = this.parts.catalogue.vim(id);
    if (!found) return undefined;
    const s = found.status;
    return {
      ...view(found.vim),
      status: s?.status ?? 'PENDING',
      statusSince: (s?.since ?? new Date()).toISOString(),
      ...(s?.reason ? { statusReason: s.reason } : {}),
      ...this.parts.ops?.activity(id),
    };
  }

  async putVim(id: string, body: Omit<VimSpec, 'id'>): Promise<{ created: boolean; vim: VimView }> {
    const { created, vim } = await this.parts.catalogue.putVim(id, body);
    return { created, vim: view(vim) };
  }

  deleteVim(id: string, opts: { purge?: boolean } = {}): Promise<boolean> {
    return this.parts.catalogue.deleteVim(id, opts.purge ?? false);
  }

  listSubscriptions(vimId?: string): Subscription[] {
    return this.parts.catalogue.subscriptions(vimId);
  }

  getSubscription(id: string): Subscription | undefined {
    return this.parts.catalogue.subscription(id);
  }

  async putSubscription(
    id: string,
    body: Omit<Subscription, 'id'>,
  ): Promise<{ created: boolean; subscription: Subscription; warnings?: readonly string[] }> {
    const put = await this.parts.catalogue.putSubscription(id, body);
    const warnings = (await this.parts.subscriptionWarnings?.(put.subscription)) ?? [];
    return warnings.length > 0 ? { ...put, warnings } : put;
  }

  deleteSubscription(id: string): Promise<boolean> {
    return this.parts.catalogue.deleteSubscription(id);
  }

  /** The store's window: one daemon's in memory, the one replicas share in PostgreSQL. */
  async recentStateChanges(vimId: string, states: readonly string[]): Promise<StateChange[] | undefined> {
    if (!this.parts.catalogue.vim(vimId)) return undefined;
    return this.parts.store.queryRecent(vimId, states);
  }

  getVesAgent(vimId: string): VesAgentView | undefined {
    return this.parts.vesAgents.get(vimId);
  }

  putVesAgent(vimId: string, config: VesAgentConfigInput): Promise<VesAgentView> {
    return this.parts.vesAgents.put(vimId, config);
  }

  deleteVesAgent(vimId: string): Promise<boolean> {
    return this.parts.vesAgents.delete(vimId);
  }

  /**
   * "process" (the default): the process can do its job and serve its port: started (its store
   * was opened before the admin port listened), not stopping. "strict" adds what the process
   * cannot fix by itself: every VIM reachable, the store and every destination healthy.
   * GET /api/v1/status always shows both.
   */
  readiness(opts: { strict?: boolean } = {}): Readiness {
    const reasons: string[] = [];
    if (this.stoppingNow) reasons.push('shutting down');
    if (!this.startedNow) reasons.push("starting: the VIMs' listeners are not started yet");
    if (opts.strict ?? this.parts.readiness === 'strict') reasons.push(...this.dependencyReasons());
    return { ready: reasons.length === 0, reasons };
  }

  /** What strict readiness adds: the VIMs, the store and the destinations, each that is not well. */
  dependencyReasons(): string[] {
    const reasons: string[] = [];
    for (const [id, r] of this.parts.catalogue.running) {
      const s = r.status;
      if (s.status !== 'REACHABLE')
        reasons.push(`vim ${id}: ${s.status} since ${s.since.toISOString()}${s.reason ? ` (${s.reason})` : ''}`);
    }
    const store = this.parts.store.health();
    if (!store.ok)
      reasons.push(
        `store: ${store.reason ?? 'unreachable'} since ${store.since}; relaying goes on, admin changes answer 503`,
      );
    for (const d of this.parts.destinations) {
      const h = d.health();
      if (!h.ok) reasons.push(`${d.name}: failing since ${h.since.toISOString()}${h.reason ? ` (${h.reason})` : ''}`);
    }
    return reasons;
  }
}

function view(v: VimConfig): VimView {
  return { ...v, transportUrl: redactTransportUrl(v.transportUrl) };
}
