/**
 * The VIM catalogue: the registered VIMs and subscriptions (in the store) and one running
 * VimRunner per VIM. Every change goes through one validation pass and is applied here, so the
 * admin API, the config seed and (with a shared store) other replicas all change VIMs the same
 * way. Changes of one VIM are serialised: a listener is stopped before its replacement starts,
 * and nothing is consumed for a VIM that is not registered.
 */
import { applyVimDefaults, type VimConfig, type VimSpec } from '../config/vim.js';
import { subscriptionBodyProblems, vimBodyProblems } from '../config/items.js';
import { sharedQueueProblem } from '../config/shared-queues.js';
import { RelayError } from '../errors.js';
import type { Subscription } from '../model/subscription.js';
import type { StoreState } from '../store/state.js';
import { dropVesState } from '../store/ves-state.js';
import type { ListenerStatusChange } from '../transport/types.js';
import type { Logger } from '../util/logger.js';
import { Chains } from '../util/turns.js';
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
  /** Catches up with what other replicas wrote (RelayStore.refresh); absent: nothing to catch up with. */
  refresh?(): Promise<void>;
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
  /** Per VIM: its changes, each run after every change of that VIM queued before it. */
  private readonly changes = new Chains();
  private closed = false;

  constructor(
    private readonly store: CatalogueStore,
    private readonly pipeline: Pipeline,
    private readonly opts: CatalogueOptions,
    private readonly observer: MetricsObserver,
    private readonly log: Logger,
  ) {}

  /**
   * Starts every stored VIM's listener, all at once (the transport bounds the connection
   * attempts). Idempotent: a VIM a reconcile already started (another replica's change during
   * start-up) is left running, never started twice.
   */
  startAll(): Promise<void> {
    return this.align('start');
  }

  /**
   * Brings the runners in line with the store after another replica changed it: starts the
   * VIMs it added, restarts those it changed, stops those it removed (the replica that removed
   * a VIM retires its queue). Each VIM in its own turn, as for a change through this replica.
   */
  reconcile(): Promise<void> {
    return this.align('replica');
  }

  private async align(cause: 'start' | 'replica'): Promise<void> {
    const state = this.store.get();
    for (const s of state.subscriptions) this.knowRoute(s);
    const ids = new Set([...state.vims.map((v) => v.id), ...this.runners.keys()]);
    await Promise.all(
      [...ids].map((id) =>
        this.changes.run(id, async () => {
          const done = await this.follow(id);
          if (cause === 'replica' && done !== 'kept') this.log.info(REPLICA_CHANGE[done], { vim: id });
        }),
      ),
    );
  }

  /**
   * Makes VIM `id`'s runner what the store says now: read when this turn runs, never when it
   * was queued, so a change queued before it (a local PUT or DELETE) is never undone by a
   * spec read earlier. Only ever called in the VIM's turn (changes.run).
   */
  private async follow(id: string): Promise<'kept' | 'started' | 'restarted' | 'stopped'> {
    const spec = this.stored(id);
    const next = spec && applyVimDefaults(spec);
    const runner = this.runners.get(id);
    if (!runner && !next) return 'kept';
    if (runner && next && sameVim(runner.vim, next)) return 'kept';
    if (runner) await this.stopRunner(id);
    if (next) await this.startRunner(next);
    else this.opts.onRemoved?.(id);
    return next ? (runner ? 'restarted' : 'started') : 'stopped';
  }

  get running(): ReadonlyMap<string, VimRunner> {
    return this.runners;
  }

  /** The store's current snapshot (a new object after every change): what answers may be cached by. */
  storeState(): object {
    return this.store.get();
  }

  vims(): VimConfig[] {
    return this.store.get().vims.map((s) => applyVimDefaults(s));
  }

  vim(id: string): { vim: VimConfig; status?: ListenerStatusChange } | undefined {
    const spec = this.stored(id);
    return spec && { vim: applyVimDefaults(spec), status: this.runners.get(id)?.status };
  }

  /** Creates or replaces; the listener restarts only when the VIM's settings changed. */
  putVim(id: string, body: Omit<VimSpec, 'id'>): Promise<{ created: boolean; vim: VimConfig }> {
    const spec: VimSpec = { ...body, id };
    refuseIf(vimBodyProblems(spec));
    return this.changes.run(id, async () => {
      const state = this.store.get();
      const old = state.vims.find((v) => v.id === id);
      const next = applyVimDefaults(spec);
      const shared = sharedQueueProblem(next, state.vims.map(applyVimDefaults), 'body');
      if (shared) throw new RelayError('CONFLICT', shared);
      // The store first: a write that fails (STORE_UNAVAILABLE, CONFLICT) leaves the runner as it was.
      await this.store.update((s) => {
        s.vims = [...s.vims.filter((v) => v.id !== id), spec];
      });
      const done = await this.follow(id);
      // The runner moved: what the old settings left on the broker (a queue, keys) is retired.
      if (done === 'restarted' && old) await this.retireChange(applyVimDefaults(old), next);
      this.log.info(old ? 'VIM replaced' : 'VIM created', { vim: id, restarted: done === 'restarted' });
      return { created: !old, vim: next };
    });
  }

  /** Stops its listener (in-flight settled), unbinds (or with purge deletes) its queue, removes it and its subscriptions. */
  deleteVim(id: string, purge = false): Promise<boolean> {
    return this.changes.run(id, async () => {
      const spec = await this.caughtUp(() => this.stored(id));
      if (!spec) return false;
      // The store first: a write that fails leaves the runner consuming. The snapshot changes as
      // the write succeeds and the cancel below follows without I/O in between, so no delivery
      // meets the pipeline without the VIM's subscriptions: later ones go back to the broker.
      await this.store.update((s) => {
        s.vims = s.vims.filter((v) => v.id !== id);
        s.subscriptions = s.subscriptions.filter((x) => x.vimId !== id);
        delete s.computeNodes[id];
        dropVesState(s, id);
      });
      // follow() tells onRemoved when it stopped a runner; a VIM without one (closed) is gone too.
      if ((await this.follow(id)) !== 'stopped') this.opts.onRemoved?.(id);
      this.store.dropRecent?.(id);
      this.log.info('VIM deleted with its subscriptions', { vim: id, purge });
      await this.retire(applyVimDefaults(spec), purge);
      return true;
    });
  }

  subscriptions(vimId?: string): Subscription[] {
    return this.store.get().subscriptions.filter((s) => vimId === undefined || s.vimId === vimId);
  }

  subscription(id: string): Subscription | undefined {
    return this.store.get().subscriptions.find((s) => s.id === id);
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
    return this.changes.run(sub.vimId, async () => {
      if (!(await this.caughtUp(() => this.stored(sub.vimId)))) {
        throw new RelayError(
          'CONFLICT',
          `vimId "${sub.vimId}" is not a registered VIM; PUT /api/v1/vims/${sub.vimId} first`,
        );
      }
      const created = !this.store.get().subscriptions.some((s) => s.id === id);
      await this.store.update((s) => {
        s.subscriptions = [...s.subscriptions.filter((x) => x.id !== id), sub];
      });
      this.knowRoute(sub);
      return { created, subscription: sub };
    });
  }

  async deleteSubscription(id: string): Promise<boolean> {
    if (!(await this.caughtUp(() => this.subscription(id)))) return false;
    await this.store.update((s) => {
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

  /** The VIM as the store holds it now. */
  private stored(id: string): VimSpec | undefined {
    return this.store.get().vims.find((v) => v.id === id);
  }

  /**
   * `read()` of the snapshot, or, when it finds nothing, of the snapshot caught up with the
   * engine: a write refused as "not registered" or "not found" must not rest on a change
   * another replica made moments ago and this one has not heard of yet.
   */
  private async caughtUp<T>(read: () => T | undefined): Promise<T | undefined> {
    const found = read();
    if (found !== undefined || !this.store.refresh) return found;
    await this.store.refresh();
    return read();
  }

  private knowRoute(s: Subscription): void {
    this.observer.knowRoute(s.vimId, s.sink ?? this.opts.defaultSink, s.topic);
  }

  private async startRunner(vim: VimConfig): Promise<void> {
    // A signal during start-up or a change: stop() has already drained the runners that existed.
    if (this.closed) return;
    // One runner per VIM, always: one left here would never be stopped, deleted or closed.
    if (this.runners.has(vim.id)) throw new RelayError('INTERNAL', `VIM ${vim.id} already has a runner`);
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
    const spec = this.stored(vim.id);
    return spec !== undefined && sameVim(applyVimDefaults(spec), vim);
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
}

const REPLICA_CHANGE = {
  started: 'VIM added by another replica',
  restarted: 'VIM changed by another replica; listener restarted',
  stopped: 'VIM removed by another replica',
} as const;

function sameVim(a: VimConfig, b: VimConfig): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** One validation pass for the API and the config alike (config/items.ts); every problem, one a line. */
function refuseIf(problems: readonly string[]): void {
  if (problems.length) throw new RelayError('VALIDATION_FAILED', problems.join('\n'));
}
