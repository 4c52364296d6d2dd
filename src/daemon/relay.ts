/**
 * The daemon: owns the store, the publisher, the admin port and one VimRunner per VIM, and is
 * the only place that knows the start and stop order. Implements RelayControl for the admin API.
 */
import type { Registry } from 'prom-client';
import type { RelayConfig } from '../config/load.js';
import { applyVimDefaults, type VimConfig, type VimSpec } from '../config/vim.js';
import { validateSubscriptionItems, validateVimItems } from '../config/items.js';
import type { Subscription } from '../filter/types.js';
import { RelayError } from '../errors.js';
import { DmaapPublisher } from '../publish/publisher.js';
import { StateStore } from '../store/state-store.js';
import { createAdminServer } from '../admin/server.js';
import { redactTransportUrl } from '../transport/transport-url.js';
import type { Logger } from '../util/logger.js';
import type { RelayControl, Readiness, StateChange, VimStatusView, VimView } from './control.js';
import { Pipeline } from './pipeline.js';
import { ComputeNodeTracker } from './compute-nodes.js';
import { VimRunner } from './vim-runner.js';
import { MetricsObserver } from './observer.js';
import { CLOSE_GRACE_MS, settlesWithin } from './deadline.js';

type AdminServer = ReturnType<typeof createAdminServer>;

export class Relay implements RelayControl {
  private readonly runners = new Map<string, VimRunner>();
  private readonly observer: MetricsObserver;
  private readonly publisher: DmaapPublisher;
  private readonly pipeline: Pipeline;
  private admin?: AdminServer;
  private store?: StateStore;
  private stopping = false;
  /** The admin port's URL once listening. */
  adminUrl = '';

  constructor(private readonly cfg: RelayConfig, private readonly log: Logger) {
    this.observer = new MetricsObserver();
    this.publisher = new DmaapPublisher({ ...cfg.dmaap, ...cfg.publish, hooks: this.observer.publisherHooks() });
    const computeNodes = new ComputeNodeTracker(() => this.requireStore(), log);
    this.pipeline = new Pipeline({
      publisher: this.publisher,
      subscriptions: () => this.store?.get().subscriptions ?? [],
      observer: this.observer,
      logger: log,
      maxBodyBytes: cfg.transport.maxBodyBytes,
      computeNode: computeNodes.render,
      settle: computeNodes,
    });
  }

  get metrics(): Registry {
    return this.observer.registry;
  }

  /** Open the store, listen on the admin port, start every VIM's listener. */
  async start(): Promise<void> {
    const { store, seeded } = await StateStore.open(this.cfg.store.path, { vims: this.cfg.vims, subscriptions: this.cfg.subscriptions });
    this.store = store;
    const state = store.get();
    this.log.info(seeded ? 'store seeded from the config file' : "store loaded; the config file's vims and subscriptions are ignored (the store is the source of truth)", {
      path: this.cfg.store.path, vims: state.vims.length, subscriptions: state.subscriptions.length,
    });
    if (this.stopping) return;
    this.admin = createAdminServer(this, { ...this.cfg.admin, logger: this.log });
    this.adminUrl = (await this.admin.listen()).url;
    this.log.info('admin port listening', { url: this.adminUrl });
    for (const spec of state.vims) await this.startRunner(applyVimDefaults(spec));
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
    const runners = [...this.runners.values()];
    this.log.info('shutting down: no new notifications taken; finishing those in flight', { timeoutMs: this.cfg.shutdown.timeoutMs, awaitingDmaap: this.publisher.pending() });
    const left = (await Promise.all(runners.map((r) => r.drain(deadline)))).reduce((a, b) => a + b, 0);
    // Whatever is still waiting for DMaaP is rejected and requeued by the pipeline.
    await this.publisher.close(Math.max(0, deadline - Date.now()));
    if (left > 0) this.log.warn('shutdown deadline reached; unsettled notifications were requeued and will be redelivered (duplicates possible)', { requeued: left });
    if (!(await settlesWithin(Promise.all(runners.map((r) => r.close())), CLOSE_GRACE_MS))) {
      this.log.warn('a broker connection did not close in time; exiting anyway: the broker redelivers what was not acked (duplicates possible)', { graceMs: CLOSE_GRACE_MS });
    }
    await this.admin?.close();
    this.log.info('stopped', { requeued: left });
  }

  private async startRunner(vim: VimConfig): Promise<void> {
    // A signal during start(): stop() has already drained the runners that existed.
    if (this.stopping) return;
    const runner = new VimRunner(vim, this.pipeline, {
      transport: this.cfg.transport, dedupeWindow: this.cfg.dedupe.windowSize, recentWindow: this.cfg.recent.windowSize,
    }, this.log);
    runner.on('status', (s) => {
      this.observer.vimStatus(vim.id, s.status);
      this.log.info('VIM status changed', { vim: vim.id, status: s.status, reason: s.reason });
    });
    this.runners.set(vim.id, runner);
    this.observer.vimStatus(vim.id, runner.status.status);
    await runner.start();
  }

  private async stopRunner(id: string): Promise<void> {
    const runner = this.runners.get(id);
    if (!runner) return;
    this.runners.delete(id);
    await runner.stop(Date.now() + this.cfg.shutdown.timeoutMs);
    this.observer.forgetVim(id);
  }

  private view(v: VimConfig): VimView {
    return { ...v, transportUrl: redactTransportUrl(v.transportUrl) };
  }

  private requireStore(): StateStore {
    if (!this.store) throw new RelayError('INTERNAL', 'the daemon has not started');
    return this.store;
  }

  listVims(): VimView[] {
    return this.requireStore().get().vims.map((s) => this.view(applyVimDefaults(s)));
  }

  getVim(id: string): VimStatusView | undefined {
    const spec = this.requireStore().get().vims.find((v) => v.id === id);
    if (!spec) return undefined;
    const s = this.runners.get(id)?.status;
    return { ...this.view(applyVimDefaults(spec)), status: s?.status ?? 'PENDING', statusSince: (s?.since ?? new Date()).toISOString(), ...(s?.reason ? { statusReason: s.reason } : {}) };
  }

  async putVim(id: string, body: Omit<VimSpec, 'id'>): Promise<{ created: boolean; vim: VimView }> {
    const spec: VimSpec = { ...body, id };
    try {
      validateVimItems([spec]);
    } catch (e) {
      throw new RelayError('VALIDATION_FAILED', (e as Error).message.replace(/^vims\[0\]/gm, 'body'));
    }
    const store = this.requireStore();
    const old = store.get().vims.find((v) => v.id === id);
    await store.update((s) => {
      s.vims = [...s.vims.filter((v) => v.id !== id), spec];
    });
    const next = applyVimDefaults(spec);
    if (!old || JSON.stringify(applyVimDefaults(old)) !== JSON.stringify(next)) {
      await this.stopRunner(id);
      if (!this.stopping) await this.startRunner(next);
    }
    this.log.info(old ? 'VIM replaced' : 'VIM created', { vim: id });
    return { created: !old, vim: this.view(next) };
  }

  async deleteVim(id: string): Promise<boolean> {
    const store = this.requireStore();
    if (!store.get().vims.some((v) => v.id === id)) return false;
    await this.stopRunner(id);
    await store.update((s) => {
      s.vims = s.vims.filter((v) => v.id !== id);
      s.subscriptions = s.subscriptions.filter((x) => x.vimId !== id);
      delete s.computeNodes[id];
    });
    this.log.info('VIM deleted with its subscriptions', { vim: id });
    return true;
  }

  listSubscriptions(vimId?: string): Subscription[] {
    return this.requireStore().get().subscriptions.filter((s) => vimId === undefined || s.vimId === vimId);
  }

  getSubscription(id: string): Subscription | undefined {
    return this.requireStore().get().subscriptions.find((s) => s.id === id);
  }

  async putSubscription(id: string, body: Omit<Subscription, 'id'>): Promise<{ created: boolean; subscription: Subscription }> {
    const sub: Subscription = { ...body, id, states: body.states.map((s) => s.toUpperCase()) };
    try {
      validateSubscriptionItems([sub]);
    } catch (e) {
      throw new RelayError('VALIDATION_FAILED', (e as Error).message.replace(/^subscriptions\[0\]/gm, 'body'));
    }
    const store = this.requireStore();
    if (!store.get().vims.some((v) => v.id === sub.vimId)) {
      throw new RelayError('CONFLICT', `vimId "${sub.vimId}" is not a registered VIM; PUT /api/v1/vims/${sub.vimId} first`);
    }
    const created = !store.get().subscriptions.some((s) => s.id === id);
    await store.update((s) => {
      s.subscriptions = [...s.subscriptions.filter((x) => x.id !== id), sub];
    });
    return { created, subscription: sub };
  }

  async deleteSubscription(id: string): Promise<boolean> {
    const store = this.requireStore();
    if (!store.get().subscriptions.some((s) => s.id === id)) return false;
    await store.update((s) => {
      s.subscriptions = s.subscriptions.filter((x) => x.id !== id);
    });
    return true;
  }

  recentStateChanges(vimId: string, states: readonly string[]): StateChange[] | undefined {
    if (!this.requireStore().get().vims.some((v) => v.id === vimId)) return undefined;
    return this.runners.get(vimId)?.state.recent.query(states) ?? [];
  }

  readiness(): Readiness {
    const reasons: string[] = [];
    if (this.stopping) reasons.push('shutting down');
    for (const [id, r] of this.runners) {
      const s = r.status;
      if (s.status !== 'REACHABLE') reasons.push(`vim ${id}: ${s.status} since ${s.since.toISOString()}${s.reason ? ` (${s.reason})` : ''}`);
    }
    const h = this.publisher.healthy();
    if (!h.ok) reasons.push(`dmaap: last request failed${h.lastStatus ? ` with HTTP ${h.lastStatus}` : ''}${h.lastError ? `: ${h.lastError}` : ''}`);
    return { ready: reasons.length === 0, reasons };
  }
}
