/**
 * An in-memory RelayControl for the admin room's tests, behaving as src/daemon/control.ts and
 * docs/admin-api.md say (redacted views, CONFLICT for a subscription of an unknown VIM, a VIM's
 * subscriptions going with it), without brokers or DMaaP. It records every call it gets, so a
 * test can see exactly what the admin port handed the daemon.
 */
import type { Registry } from 'prom-client';
import { createRelayMetrics, type RelayMetrics } from '../../src/daemon/metrics.js';
import { applyVimDefaults, type VimSpec } from '../../src/config/vim.js';
import type { Readiness, RelayControl, StateChange, VimStatusView, VimView } from '../../src/daemon/control.js';
import { RelayError } from '../../src/errors.js';
import type { Subscription } from '../../src/filter/types.js';
import { parseTransportUrl, redactTransportUrl } from '../../src/transport/transport-url.js';
import type { ListenerStatusChange } from '../../src/transport/types.js';
import { dropVesState } from '../../src/store/ves-state.js';
import { VesAgentRegistry } from '../../src/ves/agents.js';
import { InMemoryVesStore } from '../../src/ves/memory-store.js';
import type { VesAgentConfigInput, VesAgentView } from '../../src/ves/types.js';

/** How many state changes per VIM the window keeps, like the daemon's bounded window. */
export const FAKE_WINDOW = 100;

export interface FakeCall {
  readonly method: keyof RelayControl;
  readonly args: readonly unknown[];
}

export class FakeControl implements RelayControl {
  readonly calls: FakeCall[] = [];
  readonly relayMetrics: RelayMetrics = createRelayMetrics();
  private readonly vims = new Map<string, VimSpec>();
  private readonly statuses = new Map<string, ListenerStatusChange>();
  private readonly subscriptions = new Map<string, Subscription>();
  private readonly windows = new Map<string, StateChange[]>();
  private ready: Readiness = { ready: true, reasons: [] };
  /** VES agent configurations and alarms, as the daemon keeps them in its store. */
  readonly vesStore = new InMemoryVesStore();
  private readonly vesAgents = new VesAgentRegistry(() => this.vesStore);

  get metrics(): Registry {
    return this.relayMetrics.registry;
  }

  // --- test controls ---------------------------------------------------------------------

  setStatus(vimId: string, change: ListenerStatusChange): void {
    this.statuses.set(vimId, change);
  }

  setReadiness(r: Readiness): void {
    this.ready = r;
  }

  /** As the daemon does when a matched state change goes by; the oldest fall out of the window. */
  recordStateChange(vimId: string, change: StateChange): void {
    const w = this.windows.get(vimId) ?? [];
    w.push(change);
    if (w.length > FAKE_WINDOW) w.shift();
    this.windows.set(vimId, w);
  }

  // --- RelayControl ----------------------------------------------------------------------

  private view(spec: VimSpec): VimView {
    const cfg = applyVimDefaults(spec);
    return { ...cfg, transportUrl: redactTransportUrl(cfg.transportUrl) };
  }

  listVims(): VimView[] {
    this.calls.push({ method: 'listVims', args: [] });
    return [...this.vims.values()].map((v) => this.view(v));
  }

  getVim(id: string): VimStatusView | undefined {
    this.calls.push({ method: 'getVim', args: [id] });
    const spec = this.vims.get(id);
    if (!spec) return undefined;
    const s = this.statuses.get(id) ?? { status: 'PENDING' as const, since: new Date(0) };
    return { ...this.view(spec), status: s.status, statusSince: s.since.toISOString(), ...(s.reason ? { statusReason: s.reason } : {}) };
  }

  async putVim(id: string, spec: Omit<VimSpec, 'id'>): Promise<{ created: boolean; vim: VimView }> {
    this.calls.push({ method: 'putVim', args: [id, spec] });
    try {
      parseTransportUrl(spec.transportUrl);
    } catch (e) {
      // Like the daemon, the message may quote the URL; the admin port must redact it.
      throw new RelayError('VALIDATION_FAILED', `body.transportUrl ${JSON.stringify(spec.transportUrl)}: ${(e as Error).message}`);
    }
    const created = !this.vims.has(id);
    const full: VimSpec = { ...spec, id };
    this.vims.set(id, full);
    if (created) await this.vesStore.update((d) => void d.vims.push({ id }));
    return { created, vim: this.view(full) };
  }

  async deleteVim(id: string): Promise<boolean> {
    this.calls.push({ method: 'deleteVim', args: [id] });
    if (!this.vims.delete(id)) return false;
    for (const [subId, s] of this.subscriptions) if (s.vimId === id) this.subscriptions.delete(subId);
    this.windows.delete(id);
    this.statuses.delete(id);
    await this.vesStore.update((d) => {
      d.vims = d.vims.filter((v) => v.id !== id);
      dropVesState(d, id);
    });
    return true;
  }

  listSubscriptions(vimId?: string): Subscription[] {
    this.calls.push({ method: 'listSubscriptions', args: [vimId] });
    return [...this.subscriptions.values()].filter((s) => vimId === undefined || s.vimId === vimId);
  }

  getSubscription(id: string): Subscription | undefined {
    this.calls.push({ method: 'getSubscription', args: [id] });
    return this.subscriptions.get(id);
  }

  async putSubscription(id: string, spec: Omit<Subscription, 'id'>): Promise<{ created: boolean; subscription: Subscription }> {
    this.calls.push({ method: 'putSubscription', args: [id, spec] });
    if (!this.vims.has(spec.vimId)) {
      throw new RelayError('CONFLICT', `vimId "${spec.vimId}" is not a registered VIM; PUT /api/v1/vims/${spec.vimId} first`);
    }
    const created = !this.subscriptions.has(id);
    const subscription: Subscription = { ...spec, id };
    this.subscriptions.set(id, subscription);
    return { created, subscription };
  }

  async deleteSubscription(id: string): Promise<boolean> {
    this.calls.push({ method: 'deleteSubscription', args: [id] });
    return this.subscriptions.delete(id);
  }

  async recentStateChanges(vimId: string, states: readonly string[]): Promise<StateChange[] | undefined> {
    this.calls.push({ method: 'recentStateChanges', args: [vimId, states] });
    if (!this.vims.has(vimId)) return undefined;
    const all = states.includes('*');
    return (this.windows.get(vimId) ?? []).filter((c) => all || states.includes(c.event)).reverse();
  }

  getVesAgent(vimId: string): VesAgentView | undefined {
    this.calls.push({ method: 'getVesAgent', args: [vimId] });
    return this.vesAgents.get(vimId);
  }

  async putVesAgent(vimId: string, config: VesAgentConfigInput): Promise<VesAgentView> {
    this.calls.push({ method: 'putVesAgent', args: [vimId, config] });
    return this.vesAgents.put(vimId, config);
  }

  async deleteVesAgent(vimId: string): Promise<boolean> {
    this.calls.push({ method: 'deleteVesAgent', args: [vimId] });
    return this.vesAgents.delete(vimId);
  }

  readiness(): Readiness {
    return this.ready;
  }
}
