/**
 * The daemon's lifecycle: owns the store, the destinations, the pipeline, the VIM catalogue
 * and the admin port, and is the only place that knows the start and stop order. The admin
 * API's changes are the catalogue's; this class only answers RelayControl by delegating.
 */
import type { Registry } from 'prom-client';
import type { RelayConfig } from '../config/load.js';
import type { VimConfig, VimSpec } from '../config/vim.js';
import type { Subscription } from '../filter/types.js';
import { RelayError } from '../errors.js';
import { DmaapPublisher } from '../publish/publisher.js';
import type { Destination, DestinationName, SinkName } from '../publish/destination.js';
import { KafkaDestination } from '../publish/kafka/destination.js';
import { kafkaDestinationOptions } from '../publish/kafka/config.js';
import { openStore, storeLocation } from '../store/open.js';
import type { RelayStore } from '../store/store.js';
import { redactText } from '../util/redact.js';
import { createAdminServer } from '../admin/server.js';
import { redactTransportUrl } from '../transport/transport-url.js';
import { retireQueue } from '../transport/retire.js';
import type { Logger } from '../util/logger.js';
import type { RelayControl, Readiness, StateChange, VimStatusView, VimView } from './control.js';
import { Pipeline } from './pipeline.js';
import { ComputeNodeTracker } from '../steps/compute-nodes.js';
import { MetricsObserver } from './observer.js';
import { CLOSE_GRACE_MS, settlesWithin } from './deadline.js';
import { VimCatalogue } from './vim-catalogue.js';
import { createVesAgent, type VesAgent } from '../ves/index.js';
import type { VesAgentConfigInput, VesAgentView } from '../ves/types.js';
import { vesStep } from '../steps/ves.js';

type AdminServer = ReturnType<typeof createAdminServer>;

export class Relay implements RelayControl {
  private readonly observer = new MetricsObserver();
  private readonly destinations: Destination[];
  private readonly ves: VesAgent;
  private readonly catalogue: VimCatalogue;
  private admin?: AdminServer;
  private store?: RelayStore;
  private unwatchStore?: () => void;
  private stopping = false;
  /** The admin port's URL once listening. */
  adminUrl = '';

  constructor(private readonly cfg: RelayConfig, private readonly log: Logger) {
    const hooks = this.observer.hooks();
    this.ves = createVesAgent({ store: () => this.requireStore(), config: cfg.ves, logger: log, hooks });
    const destinations: Partial<Record<DestinationName, Destination>> = {
      ves: this.ves.destination,
      dmaap: new DmaapPublisher({ ...cfg.dmaap, ...cfg.publish, hooks }, log),
      // Connects on its first record: configured but unused costs nothing.
      ...(cfg.kafka.brokers.length > 0 ? { kafka: new KafkaDestination(kafkaDestinationOptions(cfg.kafka, hooks), log) } : {}),
    };
    this.destinations = Object.values(destinations);
    this.observer.watchDestinations(this.destinations);
    const sinks = new Set<SinkName>(['dmaap', ...(destinations.kafka ? (['kafka'] as const) : [])]);
    const pipeline = new Pipeline({
      destinations,
      defaultSink: cfg.sinks.default,
      subscriptions: () => this.store?.get().subscriptions ?? [],
      observer: this.observer,
      logger: log,
      maxBodyBytes: cfg.transport.maxBodyBytes,
      computeNode: new ComputeNodeTracker(() => this.requireStore(), log),
      sideSteps: [vesStep(this.ves.alarms, (vimId) => this.store?.get().vesAgents[vimId] !== undefined)],
    });
    this.catalogue = new VimCatalogue(() => this.requireStore(), pipeline, {
      transport: cfg.transport, dedupeWindow: cfg.dedupe.windowSize, recentWindow: cfg.recent.windowSize,
      // Replicas answer check_vim_status from the shared window; one daemon from its own.
      shareRecent: cfg.store.url ? (vimId, change) => this.store?.pushRecent(vimId, change) : undefined,
      drainTimeoutMs: cfg.shutdown.timeoutMs, defaultSink: cfg.sinks.default, sinks,
      retire: async (vim, purge) => void (await retireQueue(vim, { purge, transport: cfg.transport }, log)),
      onStatus: (vimId, change) => this.ves.vimWatch.statusChanged(vimId, change),
      onRemoved: (vimId) => this.ves.vimWatch.forget(vimId),
    }, this.observer, log);
  }

  get metrics(): Registry {
    return this.observer.registry;
  }

  /** Open the store, listen on the admin port, start every VIM's listener. */
  async start(): Promise<void> {
    const { store, seeded } = await openStore(this.cfg, { vims: this.cfg.vims, subscriptions: this.cfg.subscriptions }, this.log);
    this.store = store;
    const state = store.get();
    this.log.info(seeded ? 'store seeded from the config file' : "store loaded; the config file's vims and subscriptions are ignored (the store is the source of truth)", {
      engine: store.engine, location: redactText(storeLocation(this.cfg)), vims: state.vims.length, subscriptions: state.subscriptions.length,
    });
    // Another replica changed the shared store: its VIMs apply here too (subscriptions are read live).
    this.unwatchStore = store.onChange((kinds) => {
      if (kinds.includes('vims') && !this.stopping) void this.catalogue.reconcile();
    });
    if (this.stopping) return;
    this.admin = createAdminServer(this, { ...this.cfg.admin, logger: this.log });
    this.adminUrl = (await this.admin.listen()).url;
    this.log.info('admin port listening', { url: this.adminUrl });
    if (this.stopping) return;
    await this.catalogue.startAll();
  }

  /**
   * SIGTERM: readiness 503 at once (the admin port keeps answering until the very end), stop
   * taking, finish in flight within shutdown.timeoutMs, requeue the rest, close the brokers
   * (bounded by CLOSE_GRACE_MS), then close the admin port.
   */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const deadline = Date.now() + this.cfg.shutdown.timeoutMs;
    const awaiting = Object.fromEntries(this.destinations.map((d) => [d.name, d.pending()]));
    this.log.info('shutting down: no new notifications taken; finishing those in flight', { timeoutMs: this.cfg.shutdown.timeoutMs, awaiting });
    const left = await this.catalogue.drainAll(deadline);
    // Whatever is still waiting for a destination is rejected (PUBLISHER_CLOSED) and requeued by the pipeline.
    const left_ms = (): number => Math.max(0, deadline - Date.now());
    await Promise.all(this.destinations.map((d) => (d === this.ves.destination ? this.ves.close(left_ms()) : d.close(left_ms()))));
    if (left > 0) this.log.warn('shutdown deadline reached; unsettled notifications were requeued and will be redelivered (duplicates possible)', { requeued: left });
    if (!(await settlesWithin(this.catalogue.closeAll(), CLOSE_GRACE_MS))) {
      this.log.warn('a broker connection did not close in time; exiting anyway: the broker redelivers what was not acked (duplicates possible)', { graceMs: CLOSE_GRACE_MS });
    }
    this.unwatchStore?.();
    await this.store?.close().catch((e: unknown) => this.log.warn('store did not close cleanly', { error: (e as Error).message }));
    await this.admin?.close();
    this.log.info('stopped', { requeued: left });
  }

  private requireStore(): RelayStore {
    if (!this.store) throw new RelayError('INTERNAL', 'the daemon has not started');
    return this.store;
  }

  private view(v: VimConfig): VimView {
    return { ...v, transportUrl: redactTransportUrl(v.transportUrl) };
  }

  listVims(): VimView[] {
    return this.catalogue.vims().map((v) => this.view(v));
  }

  getVim(id: string): VimStatusView | undefined {
    const found = this.catalogue.vim(id);
    if (!found) return undefined;
    const s = found.status;
    return { ...this.view(found.vim), status: s?.status ?? 'PENDING', statusSince: (s?.since ?? new Date()).toISOString(), ...(s?.reason ? { statusReason: s.reason } : {}) };
  }

  async putVim(id: string, body: Omit<VimSpec, 'id'>): Promise<{ created: boolean; vim: VimView }> {
    const { created, vim } = await this.catalogue.putVim(id, body);
    return { created, vim: this.view(vim) };
  }

  deleteVim(id: string, opts: { purge?: boolean } = {}): Promise<boolean> {
    return this.catalogue.deleteVim(id, opts.purge ?? false);
  }

  listSubscriptions(vimId?: string): Subscription[] {
    return this.catalogue.subscriptions(vimId);
  }

  getSubscription(id: string): Subscription | undefined {
    return this.catalogue.subscription(id);
  }

  putSubscription(id: string, body: Omit<Subscription, 'id'>): Promise<{ created: boolean; subscription: Subscription }> {
    return this.catalogue.putSubscription(id, body);
  }

  deleteSubscription(id: string): Promise<boolean> {
    return this.catalogue.deleteSubscription(id);
  }

  async recentStateChanges(vimId: string, states: readonly string[]): Promise<StateChange[] | undefined> {
    if (!this.catalogue.vim(vimId)) return undefined;
    if (this.cfg.store.url) return this.requireStore().queryRecent(vimId, states);
    return this.catalogue.running.get(vimId)?.state.recent.query(states) ?? [];
  }

  getVesAgent(vimId: string): VesAgentView | undefined {
    return this.ves.agents.get(vimId);
  }

  putVesAgent(vimId: string, config: VesAgentConfigInput): Promise<VesAgentView> {
    return this.ves.agents.put(vimId, config);
  }

  deleteVesAgent(vimId: string): Promise<boolean> {
    return this.ves.agents.delete(vimId);
  }

  readiness(): Readiness {
    const reasons: string[] = [];
    if (this.stopping) reasons.push('shutting down');
    for (const [id, r] of this.catalogue.running) {
      const s = r.status;
      if (s.status !== 'REACHABLE') reasons.push(`vim ${id}: ${s.status} since ${s.since.toISOString()}${s.reason ? ` (${s.reason})` : ''}`);
    }
    const store = this.store?.health();
    if (store && !store.ok) reasons.push(`store: ${store.reason ?? 'unreachable'} since ${store.since}; relaying goes on, admin changes answer 503`);
    for (const d of this.destinations) {
      const h = d.health();
      if (!h.ok) reasons.push(`${d.name}: failing since ${h.since.toISOString()}${h.reason ? ` (${h.reason})` : ''}`);
    }
    return { ready: reasons.length === 0, reasons };
  }
}
