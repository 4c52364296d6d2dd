/**
 * The VIM catalogue: the registered VIMs and subscriptions (in the store) and one running
 * VimRunner per VIM. Every change goes through one validation pass and is applied here, so the
 * admin API, the config seed and (with a shared store) other replicas all change VIMs the same
 * way. Changes of one VIM are serialised: a listener is stopped before its replacement starts,
 * and nothing is consumed for a VIM that is not registered.
 */
import { applyVimDefaults, type VimConfig, type VimSpec } from '../config/vim.js';
import { subscriptionBodyProblems, vimBodyProblems } from '../config/items.js';
import { RelayError } from '../errors.js';
import type { Subscription } from '../model/subscription.js';
import type { StoreState } from '../store/state-store.js';
import { dropVesState } from '../store/ves-state.js';
import type { ListenerStatusChange } from '../transport/types.js';
import type { Logger } from '../util/logger.js';
import type { Pipeline } from './pipeline.js';
import { VimRunner, type VimRunnerOptions } from './vim-runner.js';
import type { MetricsObserver } from './observer.js';
import type { SinkName } from '../publish/destination.js';

/** What the catalogue needs of a store: the file store and the PostgreSQL store both give it. */
export interface CatalogueStore {
  get(): Readonly<StoreState>;
  update(mutator: (draft: StoreState) => void): Promise<void>;
  /** Forgets a deleted VIM's check_vim_status window. */
  dropRecent?(vimId: string): void;
}

export interface CatalogueOptions extends VimRunnerOptions {
  /** How long a VIM removal or replacement waits for its in-flight notifications, ms. */
  readonly drainTimeoutMs: number;
  readonly defaultSink: SinkName;
  /** Sinks the configuration sets up (a subscription naming another is refused). */
  readonly sinks: ReadonlySet<SinkName>;
  /** Called after a VIM is removed (its queue unbound, or deleted when purge). */
  readonly retire?: (vim: VimConfig, purge: boolean) => Promise<void>;
  /** Called after a changed VIM's new listener started: retires the queue or bindings it no longer reads. */
  readonly retireChange?: (old: VimConfig, next: VimConfig) => Promise<void>;
  /** Every status of every VIM's listener, its first included (the VES VIM-unreachable watch). */
  readonly onStatus?: (vimId: string, change: ListenerStatusChange) => void;
  /** A VIM's runner is gone for good (deleted here or by another replica). */
  readonly onRemoved?: (vimId: string) => void;
}

export class VimCatalogue {
  private readonly runners = new Map<string, VimRunner>();
  /** Per VIM: the tail of its queued changes. */
  private readonly turns = new Map<string, Promise<unknown>>();
  private closed = false;

  constructor(
    private readonly store: () => CatalogueStore,
    private readonly pipeline: Pipeline,
    private readonly opts: CatalogueOptions,
    private readonly observer: MetricsObserver,
    private readonly log: Logger,
  ) {}

  /** Starts every stored VIM's listener, all at once (the transport bounds the connection attempts). */
  async startAll(): Promise<void> {
    const state = this.store().get();
    for (const s of state.subscriptions) this.knowRoute(s);
    await Promise.all(state.vims.map((spec) => this.serial(spec.id, () => this.startRunner(applyVimDefaults(spec)))));
  }

  /**
   * Brings the runners in line with the store after another replica changed it: starts the
   * VIMs it added, restarts those it changed, stops those it removed (the replica that removed
   * a VIM retires its queue). Each VIM in its own turn, as for a change through this replica.
   */
  async reconcile(): Promise<void> {
    const wanted = new Map(
      this.store()
        .get()
        .vims.map((s) => [s.id, applyVimDefaults(s)]),
    );
    for (const s of this.store().get().subscriptions) this.knowRoute(s);
    const ids = new Set([...wanted.keys(), ...this.runners.keys()]);
    await Promise.all(
      [...ids].map((id) =>
        this.serial(id, async () => {
          const next = wanted.get(id);
          const runner = this.runners.get(id);
          if (runner && next && JSON.stringify(runner.vim) === JSON.stringify(next)) return;
          if (runner) await this.stopRunner(id);
          if (next) await this.startRunner(next);
          else this.opts.onRemoved?.(id);
          this.log.info(
            next
              ? runner
                ? 'VIM changed by another replica; listener restarted'
                : 'VIM added by another replica'
              : 'VIM removed by another replica',
            { vim: id },
          );
        }),
      ),
    );
  }

  get running(): ReadonlyMap<string, VimRunner> {
    return this.runners;
  }

  /** The store's current snapshot (a new object after every change): what answers may be cached by. */
  storeState(): object {
    return this.store().get();
  }

  vims(): VimConfig[] {
    return this.store()
      .get()
      .vims.map((s) => applyVimDefaults(s));
  }

  vim(id: string): { vim: VimConfig; status?: ListenerStatusChange } | undefined {
    const spec = this.store()
      .get()
      .vims.find((v) => v.id === id);
    return spec && { vim: applyVimDefaults(spec), status: this.runners.get(id)?.status };
  }

  /** Creates or replaces; the listener restarts only when the VIM's settings changed. */
  putVim(id: string, body: Omit<VimSpec, 'id'>): Promise<{ created: boolean; vim: VimConfig }> {
    const spec: VimSpec = { ...body, id };
    refuseIf(vimBodyProblems(spec));
    return this.serial(id, async () => {
      const old = this.store()
        .get()
        .vims.find((v) => v.id === id);
      const next = applyVimDefaults(spec);
      const changed = !old || JSON.stringify(applyVimDefaults(old)) !== JSON.stringify(next);
      if (changed) await this.stopRunner(id);
      await this.store().update((s) => {
        s.vims = [...s.vims.filter((v) => v.id !== id), spec];
      });
      if (changed) await this.startRunner(next);
      if (changed && old) await this.retireChange(applyVimDefaults(old), next);
      this.log.info(old ? 'VIM replaced' : 'VIM created', { vim: id, restarted: changed });
      return { created: !old, vim: next };
    });
  }

  /** Stops its listener (in-flight settled), unbinds (or with purge deletes) its queue, removes it and its subscriptions. */
  deleteVim(id: string, purge = false): Promise<boolean> {
    return this.serial(id, async () => {
      const spec = this.store()
        .get()
        .vims.find((v) => v.id === id);
      if (!spec) return false;
      await this.stopRunner(id);
      await this.store().update((s) => {
        s.vims = s.vims.filter((v) => v.id !== id);
        s.subscriptions = s.subscriptions.filter((x) => x.vimId !== id);
        delete s.computeNodes[id];
        dropVesState(s, id);
      });
      this.opts.onRemoved?.(id);
      this.store().dropRecent?.(id);
      this.log.info('VIM deleted with its subscriptions', { vim: id, purge });
      await this.retire(applyVimDefaults(spec), purge);
      return true;
    });
  }

  subscriptions(vimId?: string): Subscription[] {
    return this.store()
      .get()
      .subscriptions.filter((s) => vimId === undefined || s.vimId === vimId);
  }

  subscription(id: string): Subscription | undefined {
    return this.store()
      .get()
      .subscriptions.find((s) => s.id === id);
  }

  putSubscription(
    id: string,
    body: Omit<Subscription, 'id'>,
  ): Promise<{ created: boolean; subscription: Subscription }> {
    const sub: Subscription = { ...body, id, states: body.states.map((s) => s.toUpperCase()) };
    refuseIf(subscriptionBodyProblems(sub));
    const sink = sub.sink ?? this.opts.defaultSink;
    if (!this.opts.sinks.has(sink)) {
      throw new RelayError(
        'CONFLICT',
        `sink "${sink}" is not configured; set kafka.brokers first, or use sink "dmaap"`,
      );
    }
    // Serialised with its VIM's changes: a subscription never lands on a VIM being deleted.
    return this.serial(sub.vimId, async () => {
      if (
        !this.store()
          .get()
          .vims.some((v) => v.id === sub.vimId)
      ) {
        throw new RelayError(
          'CONFLICT',
          `vimId "${sub.vimId}" is not a registered VIM; PUT /api/v1/vims/${sub.vimId} first`,
        );
      }
      const created = !this.store()
        .get()
        .subscriptions.some((s) => s.id === id);
      await this.store().update((s) => {
        s.subscriptions = [...s.subscriptions.filter((x) => x.id !== id), sub];
      });
      this.knowRoute(sub);
      return { created, subscription: sub };
    });
  }

  async deleteSubscription(id: string): Promise<boolean> {
    if (!this.subscription(id)) return false;
    await this.store().update((s) => {
      s.subscriptions = s.subscriptions.filter((x) => x.id !== id);
    });
    return true;
  }

  /** Stop taking deliveries on every VIM; wait for those in hand up to `deadline`. Returns how many are left. */
  async drainAll(deadline: number): Promise<number> {
    this.closed = true;
    const left = await Promise.all([...this.runners.values()].map((r) => r.drain(deadline)));
    return left.reduce((a, b) => a + b, 0);
  }

  /** Requeue whatever is unsettled and close every connection. */
  async closeAll(): Promise<void> {
    await Promise.all([...this.runners.values()].map((r) => r.close()));
  }

  private knowRoute(s: Subscription): void {
    this.observer.knowRoute(s.vimId, s.sink ?? this.opts.defaultSink, s.topic);
  }

  private async startRunner(vim: VimConfig): Promise<void> {
    // A signal during start-up or a change: stop() has already drained the runners that existed.
    if (this.closed) return;
    // A listener whose VIM was removed or moved (here or by another replica) never declares its old queue again.
    const runner = new VimRunner(
      vim,
      this.pipeline,
      { ...this.opts, stillWanted: (v) => this.registeredAs(v) },
      this.log,
    );
    runner.on('status', (s: ListenerStatusChange) => {
      this.observer.vimStatus(vim.id, s.status);
      this.log.info('VIM status changed', { vim: vim.id, status: s.status, reason: s.reason });
      this.opts.onStatus?.(vim.id, s);
    });
    this.runners.set(vim.id, runner);
    this.observer.knowVim(vim.id);
    this.observer.vimStatus(vim.id, runner.status.status);
    this.opts.onStatus?.(vim.id, runner.status);
    await runner.start();
  }

  private async stopRunner(id: string): Promise<void> {
    const runner = this.runners.get(id);
    if (!runner) return;
    this.runners.delete(id);
    await runner.stop(Date.now() + this.opts.drainTimeoutMs);
    this.observer.forgetVim(id);
  }

  private async retire(vim: VimConfig, purge: boolean): Promise<void> {
    if (!this.opts.retire) return;
    try {
      await this.opts.retire(vim, purge);
    } catch (e) {
      // The VIM is gone either way; its queue stays bound, which the operator must hear of.
      this.log.warn(
        purge
          ? "could not delete the removed VIM's queues"
          : "could not unbind the removed VIM's queue; it keeps filling",
        {
          vim: vim.id,
          queue: vim.queue,
          error: (e as Error).message,
        },
      );
    }
  }

  /** Whether the store holds `vim` exactly so. */
  private registeredAs(vim: VimConfig): boolean {
    const spec = this.store()
      .get()
      .vims.find((v) => v.id === vim.id);
    return spec !== undefined && JSON.stringify(applyVimDefaults(spec)) === JSON.stringify(vim);
  }

  private async retireChange(old: VimConfig, next: VimConfig): Promise<void> {
    try {
      await this.opts.retireChange?.(old, next);
    } catch (e) {
      // The change stands; the old queue stays unbound with its backlog, which the operator must hear of.
      this.log.warn("could not retire the changed VIM's old queue; it is unbound and keeps its messages", {
        vim: old.id,
        queue: old.queue,
        error: (e as Error).message,
      });
    }
  }

  /** Runs `fn` after every change of VIM `id` queued before it. */
  private serial<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.turns.get(id) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.turns.set(id, tail);
    void tail.then(() => {
      if (this.turns.get(id) === tail) this.turns.delete(id);
    });
    return run;
  }
}

/** One validation pass for the API and the config alike (config/items.ts); every problem, one a line. */
function refuseIf(problems: readonly string[]): void {
  if (problems.length) throw new RelayError('VALIDATION_FAILED', problems.join('\n'));
}
